"""What artists, members, outsiders and staff see and do on the community pages."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory, image_upload
from communities.models import (
    Community,
    CommunitySubscription,
    ForumPost,
    ForumType,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
)
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from payments.models import Payment

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client, url, **params) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return len(captured)


@pytest.fixture
def forums(community):
    return {kind: ForumFactory(community=community, forum_type=kind) for kind in ForumType.values}


@pytest.fixture
def content_urls(community, forums):
    post = ForumPostFactory(forum=forums[ForumType.SUGGESTIONS])
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    message = LiveEventMessageFactory(event=event)
    c = community.pk
    gets = [reverse("communities:forum", args=[c, forum.pk]) for forum in forums.values()]
    gets += [
        reverse("communities:forum_chat", args=[c, forums[ForumType.ALL_CHAT].pk]),
        reverse("communities:post_edit", args=[c, post.pk]),
        reverse("communities:event", args=[c, event.pk]),
        reverse("communities:event_messages", args=[c, event.pk]),
    ]
    posts = [
        reverse("communities:forum", args=[c, forums[ForumType.SUGGESTIONS].pk]),
        reverse("communities:post_delete", args=[c, post.pk]),
        reverse("communities:post_pin", args=[c, post.pk]),
        reverse("communities:event_messages", args=[c, event.pk]),
        reverse("communities:question_upvote", args=[c, event.pk, message.pk]),
    ]
    return {"get": gets, "post": posts, "post_obj": post, "message": message}


# Access


@pytest.mark.parametrize("who", ["anonymous", "outsider", "ended", "pending"])
def test_no_forum_or_event_content_reaches_a_non_member_by_any_url(community, content_urls, who):
    if who == "anonymous":
        client = Client()
    elif who == "outsider":
        client = _client_for(UserFactory())
    elif who == "ended":
        ended = CommunitySubscriptionFactory(
            community=community, end_date=timezone.now() - timedelta(minutes=1)
        )
        client = _client_for(ended.user)
    else:
        pending = CommunitySubscriptionFactory(community=community, is_active=False)
        client = _client_for(pending.user)
    secret = content_urls["post_obj"].title
    for url in content_urls["get"]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert secret not in response.text
        if response.status_code == 403:
            assert "For members only" in response.text
    for url in content_urls["post"]:
        response = client.post(url, {"content": "sneaky", "title": "sneaky"})
        assert response.status_code in (302, 403), url
    assert ForumPost.objects.count() == 1
    assert LiveEventMessage.objects.count() == 1
    assert not ForumPost.objects.filter(is_pinned=True).exists()


def test_a_member_loses_the_forum_at_the_end_of_the_paid_period(community, forums, frozen_clock):
    end = timezone.now() + timedelta(days=1)
    subscription = CommunitySubscriptionFactory(community=community, end_date=end, auto_renew=False)
    client = _client_for(subscription.user)
    url = reverse("communities:forum", args=[community.pk, forums[ForumType.FAN_ART].pk])
    frozen_clock.set(end - timedelta(seconds=1))
    assert client.get(url).status_code == 200
    frozen_clock.set(end)
    assert client.get(url).status_code == 403


def test_ids_from_another_community_are_not_found(community, member, content_urls):
    other = CommunityFactory()
    client = _client_for(member)
    forum = ForumFactory(community=other)
    event = LiveEventFactory(community=other)
    post = ForumPostFactory(forum=forum)
    c = community.pk
    for url in [
        reverse("communities:forum", args=[c, forum.pk]),
        reverse("communities:event", args=[c, event.pk]),
        reverse("communities:post_edit", args=[c, post.pk]),
    ]:
        assert client.get(url).status_code == 404
    assert client.post(reverse("communities:post_delete", args=[c, post.pk])).status_code == 404
    assert ForumPost.objects.filter(pk=post.pk).exists()
    import uuid

    assert client.get(reverse("communities:detail", args=[uuid.uuid4()])).status_code == 404


def test_members_the_artist_and_staff_see_every_forum_and_event(
    community, member, artist_user, content_urls
):
    staff = UserFactory(staff=True)
    for user in (member, artist_user, staff):
        client = _client_for(user)
        for url in content_urls["get"]:
            if "/edit/" in url:
                continue
            assert client.get(url).status_code == 200, (user, url)


def test_management_pages_are_not_found_for_members(community, member):
    client = _client_for(member)
    c = community.pk
    for name in ("edit", "dashboard", "forum_create", "event_create"):
        assert client.get(reverse(f"communities:{name}", args=[c])).status_code == 404


# Public page and subscribing


def test_the_public_page_shows_the_paywall_and_subscribe_button(client, community, forums):
    CommunitySubscriptionFactory.create_batch(2, community=community)
    event = LiveEventFactory(community=community)
    response = client.get(reverse("communities:detail", args=[community.pk]))
    text = response.text
    assert response.status_code == 200
    assert community.name in text and "2 members" in text
    assert f"${community.subscription_fee}" in text and "Log in to subscribe" in text
    assert forums[ForumType.FAN_ART].name in text and event.title in text
    assert reverse("communities:forum", args=[community.pk, forums[ForumType.FAN_ART].pk]) not in (
        text
    )


def test_subscribing_sends_the_fan_to_the_payment_service_and_back_as_a_member(community):
    fan = UserFactory()
    client = _client_for(fan)
    response = client.post(reverse("communities:subscribe", args=[community.pk]))
    payment = Payment.objects.get(user=fan)
    assert response.status_code == 302
    assert response.url == reverse("payments:test_checkout", args=[payment.pk])
    response = client.post(response.url, {"card_number": "4242424242424242"})
    assert response.status_code == 302
    page = client.get(reverse("communities:detail", args=[community.pk])).text
    assert "You are a member" in page
    mine = client.get(reverse("communities:mine")).text
    assert community.name in mine and str(community.subscription_fee) in mine


def test_a_member_subscribing_again_is_told_and_nothing_is_charged(community, member):
    client = _client_for(member)
    response = client.post(reverse("communities:subscribe", args=[community.pk]), follow=True)
    assert "already a member" in response.text
    assert not Payment.objects.exists()


def test_cancel_and_resume_from_my_communities(community, member):
    client = _client_for(member)
    response = client.post(reverse("communities:cancel", args=[community.pk]), follow=True)
    assert "will not renew" in response.text
    subscription = CommunitySubscription.objects.get(user=member)
    assert not subscription.auto_renew
    assert "Resume renewal" in client.get(reverse("communities:mine")).text
    client.post(reverse("communities:resume", args=[community.pk]))
    subscription.refresh_from_db()
    assert subscription.auto_renew


# Artist side


def test_an_artist_creates_a_community_and_bad_input_changes_nothing(client):
    artist = ArtistFactory()
    client.force_login(artist.user)
    url = reverse("communities:create")
    bad = client.post(url, {"name": " ", "subscription_fee": "-3", "subscription_interval": "x"})
    assert bad.status_code == 400 and not Community.objects.exists()
    good = client.post(
        url,
        {
            "name": "Inner circle",
            "description": "Hi",
            "subscription_fee": "4.50",
            "subscription_interval": "yearly",
        },
    )
    community = Community.objects.get()
    assert good.url == community.get_absolute_url()
    assert (community.subscription_fee, community.subscription_interval) == (
        Decimal("4.50"),
        "yearly",
    )
    again = client.post(
        url,
        {"name": "Inner circle", "subscription_fee": "1.00", "subscription_interval": "monthly"},
    )
    assert again.status_code == 400 and "already have a community" in again.text


def test_a_fan_without_an_artist_page_is_sent_to_create_one(client):
    client.force_login(UserFactory())
    response = client.get(reverse("communities:create"))
    assert response.url == reverse("artists:become")


def test_the_artist_creates_forums_pins_and_answers(
    community, artist_user, member, django_capture_on_commit_callbacks
):
    client = _client_for(artist_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("communities:forum_create", args=[community.pk]),
            {"name": "Ideas", "forum_type": "suggestions"},
        )
    forum = community.forums.get()
    post = ForumPostFactory(forum=forum, user=member, title="Acoustic set")
    client.post(reverse("communities:post_pin", args=[community.pk, post.pk]), {"pinned": "1"})
    client.post(
        reverse("communities:post_answer", args=[community.pk, post.pk]), {"state": "answered"}
    )
    post.refresh_from_db()
    assert post.is_pinned and post.is_answered
    member_client = _client_for(member)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    assert "Acoustic set" in member_client.get(url, {"state": "answered"}).text
    assert "Acoustic set" not in member_client.get(url, {"state": "open"}).text
    assert member_client.get(url, {"state": "bogus"}).status_code == 200


def test_the_dashboard_counts_members_new_cancelled_and_revenue(community, artist_user):
    community.subscription_fee = Decimal("5.00")
    community.save()
    members = CommunitySubscriptionFactory.create_batch(3, community=community)
    CommunitySubscriptionFactory(community=community, is_active=False)
    from communities.services.subscriptions import subscription_cancel

    subscription_cancel(subscription=members[0], by=members[0].user)
    response = _client_for(artist_user).get(reverse("communities:dashboard", args=[community.pk]))
    dashboard = response.context["dashboard"]
    assert dashboard.active_subscribers == 3
    assert dashboard.new_this_period == 3
    assert dashboard.cancelled_this_period == 1
    assert dashboard.monthly_recurring_revenue == Decimal("10.00")
    assert members[1].user.username in response.text


# Forum posting through the pages


def test_members_post_in_each_forum_type_without_javascript(community, member, forums):
    client = _client_for(member)
    c = community.pk
    url = reverse("communities:forum", args=[c, forums[ForumType.ALL_CHAT].pk])
    assert client.post(url, {"content": "hello all"}).status_code == 302
    url = reverse("communities:forum", args=[c, forums[ForumType.SUGGESTIONS].pk])
    assert client.post(url, {"title": "More vinyl"}).status_code == 302
    url = reverse("communities:forum", args=[c, forums[ForumType.FAN_ART].pk])
    assert client.post(url, {"title": "Drawing", "images": [image_upload()]}).status_code == 302
    gallery = client.get(url).text
    assert "<img" in gallery and "gallery" in gallery
    refused = client.post(url, {"title": "No picture"})
    assert refused.status_code == 400 and "Choose a picture" in refused.text
    url = reverse("communities:forum", args=[c, forums[ForumType.ARTIST_FORUM].pk])
    client.post(url, {"title": "I am the artist now"})
    assert ForumPost.objects.filter(user=member).count() == 3


def test_artist_forum_posts_reach_the_members_feed(community, artist_user, member, forums):
    forum = forums[ForumType.ARTIST_FORUM]
    _client_for(artist_user).post(
        reverse("communities:forum", args=[community.pk, forum.pk]),
        {"title": "New single on Friday", "content": "Members hear it first."},
    )
    assert "New single on Friday" in _client_for(member).get(reverse("content:feed")).text
    assert (
        "New single on Friday" not in _client_for(UserFactory()).get(reverse("content:feed")).text
    )


def test_a_foreign_next_address_is_not_followed(community, member):
    response = _client_for(member).post(
        reverse("communities:cancel", args=[community.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == community.get_absolute_url()


def test_members_edit_their_own_posts_only(community, member, forums):
    forum = forums[ForumType.SUGGESTIONS]
    mine = ForumPostFactory(forum=forum, user=member)
    theirs = ForumPostFactory(forum=forum)
    client = _client_for(member)
    c = community.pk
    client.post(reverse("communities:post_edit", args=[c, mine.pk]), {"title": "Edited"})
    mine.refresh_from_db()
    assert mine.title == "Edited"
    assert client.get(reverse("communities:post_edit", args=[c, theirs.pk])).status_code == 404
    client.post(reverse("communities:post_delete", args=[c, theirs.pk]))
    assert ForumPost.objects.filter(pk=theirs.pk).exists()


def test_a_chat_message_from_one_member_appears_in_anothers_next_poll(community, forums):
    forum = forums[ForumType.ALL_CHAT]
    alice, bob = (CommunitySubscriptionFactory(community=community).user for _ in range(2))
    first = ForumPostFactory(forum=forum, user=alice, content="first", title=None)
    bob_client = _client_for(bob)
    page = bob_client.get(reverse("communities:forum", args=[community.pk, forum.pk]))
    assert "first" in page.text
    poll_url = reverse("communities:forum_chat", args=[community.pk, forum.pk])
    empty = bob_client.get(poll_url, {"after": first.created_at.isoformat()})
    assert "chat-message" not in empty.text
    _client_for(alice).post(
        reverse("communities:forum", args=[community.pk, forum.pk]),
        {"content": "hello bob"},
        HTTP_HX_REQUEST="true",
    )
    # The poller the page rendered asks for what came after the last message shown.
    poller = re.search(r'id="chat-poller" data-hx-get="([^"]+)"', page.text).group(1)
    poll = bob_client.get(html.unescape(poller))
    assert "hello bob" in poll.text and "first" not in poll.text
    assert 'data-hx-swap-oob="true"' in poll.text
    next_poller = re.search(r'id="chat-poller" data-hx-get="([^"]+)"', poll.text).group(1)
    assert "chat-message" not in bob_client.get(html.unescape(next_poller)).text
    assert bob_client.get(poll_url, {"after": "yesterday-ish"}).status_code == 400


# Live events through the pages


def test_a_live_chat_message_posted_by_one_client_appears_in_anothers_next_poll(
    community, artist_user
):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    alice, bob = (CommunitySubscriptionFactory(community=community).user for _ in range(2))
    url = reverse("communities:event_messages", args=[community.pk, event.pk])
    bob_client = _client_for(bob)
    cursor = bob_client.get(reverse("communities:event", args=[community.pk, event.pk])).context[
        "cursor"
    ]
    _client_for(alice).post(url, {"content": "Play the hits!"}, HTTP_HX_REQUEST="true")
    poll = bob_client.get(url, {"after": cursor}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "Play the hits!" in poll.text
    again = bob_client.get(url, {"after": cursor + 1}, HTTP_HX_REQUEST="true")
    assert "Play the hits!" not in again.text
    assert bob_client.get(url, {"after": "-4"}).status_code == 400


def test_polling_stops_when_the_event_is_over(community, member):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.COMPLETED
    )
    url = reverse("communities:event_messages", args=[community.pk, event.pk])
    assert _client_for(member).get(url, HTTP_HX_REQUEST="true").status_code == 286


def test_the_artist_runs_a_qa_members_ask_and_upvote(community, artist_user, member):
    event = LiveEventFactory(community=community, event_type=LiveEventType.QA)
    artist = _client_for(artist_user)
    status_url = reverse("communities:event_status", args=[community.pk, event.pk])
    artist.post(status_url, {"status": "live"})
    fan = _client_for(member)
    fan.post(
        reverse("communities:event_messages", args=[community.pk, event.pk]),
        {"content": "When is the tour?"},
    )
    question = LiveEventMessage.objects.get()
    fan.post(reverse("communities:question_upvote", args=[community.pk, event.pk, question.pk]))
    artist.post(reverse("communities:question_answer", args=[community.pk, event.pk, question.pk]))
    poll = fan.get(reverse("communities:event_messages", args=[community.pk, event.pk]))
    assert "When is the tour?" in poll.text and "Answered" in poll.text
    assert '1<span class="visually-hidden"> upvote</span>' in poll.text
    artist.post(status_url, {"status": "completed"})
    response = artist.post(status_url, {"status": "live"}, follow=True)
    assert "cannot become live" in response.text
    event.refresh_from_db()
    assert event.status == LiveEventStatus.COMPLETED
    assert artist.post(status_url, {"status": "bogus"}).status_code == 302


def test_an_empty_or_too_long_message_is_refused_with_a_message(community, member):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    url = reverse("communities:event_messages", args=[community.pk, event.pk])
    client = _client_for(member)
    response = client.post(url, {"content": "x" * 501}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "at most 500" in response.text
    response = client.post(url, {"content": ""}, follow=True)
    assert response.status_code == 200
    assert not LiveEventMessage.objects.exists()


def test_the_artist_schedules_an_event_and_bad_times_are_refused(community, artist_user):
    client = _client_for(artist_user)
    url = reverse("communities:event_create", args=[community.pk])
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"title": "Past", "event_type": "qa", "start_time": past})
    assert response.status_code == 400 and "future" in response.text
    future = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"title": "Q&A night", "event_type": "qa", "start_time": future})
    event = community.live_events.get()
    assert response.url == event.get_absolute_url()


# Constant queries


def _fill(community, n: int) -> dict:
    forums = {kind: ForumFactory(community=community, forum_type=kind) for kind in ForumType.values}
    members = CommunitySubscriptionFactory.create_batch(n, community=community)
    chat = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    qa = LiveEventFactory(
        community=community, event_type=LiveEventType.QA, status=LiveEventStatus.LIVE
    )
    for i, subscription in enumerate(members):
        for forum in forums.values():
            ForumPostFactory(forum=forum, user=subscription.user, is_pinned=i == 0)
        LiveEventMessageFactory(event=chat, user=subscription.user, seq=i + 1)
        LiveEventMessageFactory(event=qa, user=subscription.user, seq=i + 1)
    return {"forums": forums, "chat": chat, "qa": qa, "member": members[0].user}


def _urls(community, data) -> list[tuple[str, dict]]:
    c = community.pk
    urls = [(reverse("communities:detail", args=[c]), {})]
    urls += [(reverse("communities:forum", args=[c, f.pk]), {}) for f in data["forums"].values()]
    urls += [
        (reverse("communities:forum_chat", args=[c, data["forums"][ForumType.ALL_CHAT].pk]), {}),
        (reverse("communities:event", args=[c, data["chat"].pk]), {}),
        (reverse("communities:event", args=[c, data["qa"].pk]), {}),
        (reverse("communities:event_messages", args=[c, data["chat"].pk]), {"after": 1}),
        (reverse("communities:event_messages", args=[c, data["qa"].pk]), {}),
    ]
    return urls


def test_member_pages_and_polls_run_the_same_queries_for_small_and_large_communities(
    django_assert_num_queries,
):
    small, large = CommunityFactory(), CommunityFactory()
    small_data, large_data = _fill(small, 2), _fill(large, 12)
    small_client, large_client = (
        _client_for(small_data["member"]),
        _client_for(large_data["member"]),
    )
    for (small_url, params), (large_url, _) in zip(
        _urls(small, small_data), _urls(large, large_data), strict=True
    ):
        count = _queries(small_client, small_url, **params)
        cache.clear()
        with django_assert_num_queries(count):
            assert large_client.get(large_url, params).status_code == 200


def test_artist_pages_run_the_same_queries_for_small_and_large_communities(
    django_assert_num_queries,
):
    small, large = CommunityFactory(), CommunityFactory()
    _fill(small, 2)
    _fill(large, 12)
    pages = ["dashboard", "detail"]
    for name in pages:
        count = _queries(
            _client_for(small.artist.user), reverse(f"communities:{name}", args=[small.pk])
        )
        client = _client_for(large.artist.user)
        cache.clear()
        with django_assert_num_queries(count):
            client.get(reverse(f"communities:{name}", args=[large.pk]))


def test_lists_run_the_same_queries_for_few_and_many(django_assert_num_queries):
    fan = UserFactory()
    CommunitySubscriptionFactory(user=fan)
    client = _client_for(fan)
    counts = [_queries(client, reverse(f"communities:{name}")) for name in ("list", "mine")]
    for _ in range(6):
        CommunitySubscriptionFactory(user=fan)
    for name, count in zip(("list", "mine"), counts, strict=True):
        cache.clear()
        with django_assert_num_queries(count):
            client.get(reverse(f"communities:{name}"))
