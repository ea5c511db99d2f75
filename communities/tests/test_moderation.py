"""Issue 22, items 7 and 8: flags, the review queue, moderators, mute, ban, slow mode."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities.models import (
    CommunityModerator,
    CommunityRestriction,
    CommunitySubscription,
    ContentFlag,
    FlagStatus,
    ForumPost,
    ForumType,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
    ModerationAction,
)
from communities.services import CommunityError
from communities.services.forums import forum_post_create
from communities.services.live import live_event_message_post
from communities.services.moderation import flag_create, member_ban, moderator_name
from communities.services.subscriptions import subscription_prepare
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from content.models import Comment
from content.tests.factories import CommentFactory, PostFactory, ReviewFactory
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationType
from shop.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def member_of(community):
    return CommunitySubscriptionFactory(community=community).user


@pytest.fixture
def chat(community):
    return ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)


@pytest.fixture
def live_chat(community):
    return LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )


def name_moderator(community, artist_user, user):
    with TestCase.captureOnCommitCallbacks(execute=True):
        moderator_name(community=community, by=artist_user, user=user)  # and forget the cache


@pytest.fixture
def moderator(community, artist_user):
    user = member_of(community)
    name_moderator(community, artist_user, user)
    return user


def flag_url(kind, item):
    return reverse("communities:flag", args=[kind, item.pk])


def queue_url(community):
    return reverse("communities:moderation", args=[community.pk])


def chat_page(client, user, forum):
    client.force_login(user)
    return client.get(reverse("communities:forum", args=[forum.community_id, forum.pk]))


# Flags


def test_a_member_flags_a_chat_message_and_the_artist_is_told_once(
    client, community, chat, artist_user, member
):
    message = ForumPostFactory(forum=chat, title=None, content="Buy followers at spam.example")
    client.force_login(member)

    page = client.get(flag_url("forum_post", message))
    response = client.post(
        flag_url("forum_post", message), {"reason": "spam", "note": "a link farm"}
    )

    assert page.status_code == 200 and "Buy followers" in page.content.decode()
    assert response.status_code == 302
    flag = ContentFlag.objects.get()
    assert (flag.reason, flag.note, flag.status, flag.author_id) == (
        "spam",
        "a link farm",
        FlagStatus.OPEN,
        message.user_id,
    )
    assert Notification.objects.get(notification_type=NotificationType.FLAG).user == artist_user
    # One flag: the message is still shown to everyone.
    assert "Buy followers" in chat_page(client, member, chat).content.decode()


def test_one_flag_per_member_and_item_and_none_on_ones_own(client, community, chat, member):
    message = ForumPostFactory(forum=chat, title=None)
    client.force_login(member)
    client.post(flag_url("forum_post", message), {"reason": "spam"})

    again = client.post(flag_url("forum_post", message), {"reason": "harassment"})
    own = client.post(
        flag_url("forum_post", ForumPostFactory(forum=chat, user=member)), {"reason": "spam"}
    )

    assert again.status_code == 400 and "already flagged" in again.content.decode()
    assert own.status_code == 400 and "wrote yourself" in own.content.decode()
    assert ContentFlag.objects.count() == 1


def test_a_flag_needs_a_known_reason_and_a_short_note(client, community, chat, member):
    message = ForumPostFactory(forum=chat, title=None)
    client.force_login(member)

    unknown = client.post(flag_url("forum_post", message), {"reason": "boring"})
    long_note = client.post(flag_url("forum_post", message), {"reason": "other", "note": "x" * 501})

    assert unknown.status_code == 400 and long_note.status_code == 400
    assert not ContentFlag.objects.exists()


def test_what_a_member_cannot_see_cannot_be_flagged(client, community, chat, outsider):
    message = ForumPostFactory(forum=chat, title=None)
    client.force_login(outsider)

    assert client.post(flag_url("forum_post", message), {"reason": "spam"}).status_code == 404
    with pytest.raises(CommunityError):
        flag_create(kind="forum_post", object_id=message.pk, by=outsider, reason="spam")
    assert not ContentFlag.objects.exists()


def test_enough_open_flags_hide_an_item_until_a_moderator_shows_it_again(
    client, settings, community, chat, live_chat, moderator
):
    settings.FLAGS_TO_HIDE = 2
    post = ForumPostFactory(forum=chat, title=None, content="Flagged words")
    message = LiveEventMessageFactory(event=live_chat, content="Flagged live words")
    flaggers = [member_of(community) for _ in range(2)]

    flag_create(kind="forum_post", object_id=post.pk, by=flaggers[0], reason="spam")
    assert "Flagged words" in chat_page(client, flaggers[1], chat).content.decode()
    for flagger in flaggers:
        if flagger is not flaggers[0]:
            flag_create(kind="forum_post", object_id=post.pk, by=flagger, reason="off_topic")
        flag_create(kind="live_message", object_id=message.pk, by=flagger, reason="harassment")

    live_poll = reverse("communities:event_messages", args=[community.pk, live_chat.pk])
    assert "Flagged words" not in chat_page(client, flaggers[0], chat).content.decode()
    assert "Flagged live words" not in client.get(live_poll).content.decode()
    client.force_login(moderator)
    assert "Flagged live words" in client.get(queue_url(community)).content.decode()

    for kind, item in (("forum_post", post), ("live_message", message)):
        client.post(
            reverse("communities:item_moderate", args=[community.pk, kind, item.pk]),
            {"action": "dismiss", "reason": "banter between friends"},
        )

    assert "Flagged words" in chat_page(client, flaggers[0], chat).content.decode()
    assert "Flagged live words" in client.get(live_poll).content.decode()
    assert set(ContentFlag.objects.values_list("status", flat=True)) == {FlagStatus.DISMISSED}
    assert (
        StatusHistory.objects.filter(entity_type="content_flag", changed_by=moderator).count() == 4
    )
    client.force_login(moderator)
    assert "Nothing is waiting for review" in client.get(queue_url(community)).content.decode()


def test_the_queue_is_for_the_artist_moderators_and_staff_only(
    client, community, chat, artist_user, moderator, member, outsider
):
    ForumPostFactory(forum=chat, title=None)
    for user, status in ((artist_user, 200), (moderator, 200), (member, 404), (outsider, 404)):
        client.force_login(user)
        assert client.get(queue_url(community)).status_code == status, user
    client.force_login(UserFactory(staff=True))
    assert client.get(queue_url(community)).status_code == 200


def flag_everything(community, chat, live_chat, n):
    post = PostFactory(artist=community.artist)
    for _ in range(n):
        flagger = member_of(community)
        items = [
            ("forum_post", ForumPostFactory(forum=chat, title=None)),
            ("live_message", LiveEventMessageFactory(event=live_chat)),
            ("comment", CommentFactory(post=post)),
        ]
        for kind, item in items:
            flag_create(kind=kind, object_id=item.pk, by=flagger, reason="spam")


@pytest.mark.parametrize("n", [1, 5])
def test_the_queue_runs_a_constant_number_of_queries(
    client, community, chat, live_chat, artist_user, django_assert_num_queries, n
):
    flag_everything(community, chat, live_chat, n)
    client.force_login(artist_user)
    # caches the signed-in user, the header's unread count and the community
    client.get(queue_url(community))

    # flags, 3 kinds of items, log, moderators
    with django_assert_num_queries(6):
        response = client.get(queue_url(community))

    assert response.content.decode().count('class="card flagged-item"') == 3 * n


def test_moderators_delete_a_flagged_comment_on_the_artists_post(
    client, community, moderator, member
):
    comment = CommentFactory(post=PostFactory(artist=community.artist), content="Rude words")
    flag_create(kind="comment", object_id=comment.pk, by=member, reason="harassment")
    client.force_login(moderator)

    client.post(
        reverse("communities:item_moderate", args=[community.pk, "comment", comment.pk]),
        {"action": "delete", "reason": "insults"},
    )

    assert Comment.objects.get(pk=comment.pk).deleted_at is not None
    assert ContentFlag.objects.get().status == FlagStatus.UPHELD
    action = ModerationAction.objects.get(action="delete")
    assert (action.moderator, action.reason) == (moderator, "insults")


# Moderators and their actions


def test_the_artist_names_a_member_moderator_and_only_the_artist_can(
    client, community, artist_user, member, outsider
):
    url = reverse("communities:moderator_name", args=[community.pk])
    client.force_login(artist_user)

    client.post(url, {"username": outsider.username})
    assert not CommunityModerator.objects.exists()  # not a member
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(url, {"username": member.username})
    assert CommunityModerator.objects.get().user == member

    other_member = member_of(community)
    client.force_login(member)  # a moderator, but not the artist
    response = client.post(url, {"username": other_member.username}, follow=True)
    assert "Only the community&#x27;s artist names moderators" in response.content.decode()
    assert CommunityModerator.objects.count() == 1


def test_every_action_is_in_the_log_the_other_moderators_read(
    client, community, chat, artist_user, moderator
):
    topic = ForumPostFactory(forum=ForumFactory(community=community, forum_type="artist_forum"))
    client.force_login(moderator)
    client.post(reverse("communities:post_pin", args=[community.pk, topic.pk]), {"pinned": "1"})
    for action in ("lock", "hide"):
        client.post(
            reverse("communities:item_moderate", args=[community.pk, "forum_post", topic.pk]),
            {"action": action, "reason": f"why {action}"},
        )
    topic.refresh_from_db()
    assert (topic.is_locked, topic.is_pinned, topic.hidden_at is not None) == (True, True, True)

    client.force_login(artist_user)
    log = client.get(queue_url(community)).content.decode()
    for words in ("Locked", "Pinned", "Hid", "why lock", "why hide", moderator.display_name):
        assert words in log


def test_a_plain_member_cannot_act_on_items(client, community, chat, member):
    post = ForumPostFactory(forum=chat, title=None)
    client.force_login(member)

    response = client.post(
        reverse("communities:item_moderate", args=[community.pk, "forum_post", post.pk]),
        {"action": "hide"},
    )

    assert response.status_code == 404
    post.refresh_from_db()
    assert post.hidden_at is None and not ModerationAction.objects.exists()


# Mute


def mute(client, community, by, user, hours=24):
    client.force_login(by)
    return client.post(
        reverse("communities:member_moderate", args=[community.pk, user.pk]),
        {"do": "mute", "mute-hours": str(hours), "mute-reason": "shouting"},
    )


def test_a_muted_member_reads_but_cannot_post_or_chat_until_the_mute_ends(
    client, community, chat, live_chat, moderator, member, frozen_clock
):
    now = frozen_clock.set(timezone.now())
    assert mute(client, community, moderator, member).status_code == 302

    page = chat_page(client, member, chat)
    refused = client.post(
        reverse("communities:forum", args=[community.pk, chat.pk]), {"content": "hello?"}
    )
    assert page.status_code == 200
    assert (
        refused.status_code == 400 and "You are muted in this community" in refused.content.decode()
    )
    with pytest.raises(CommunityError, match="muted"):
        live_event_message_post(event=live_chat, by=member, content="hello?")
    assert not ForumPost.objects.filter(user=member).exists()
    assert not LiveEventMessage.objects.filter(user=member).exists()

    frozen_clock.set(now + timedelta(hours=25))
    forum_post_create(forum=chat, community=community, by=member, content="I am back")
    assert ForumPost.objects.filter(user=member).exists()


def test_unmuting_lets_the_member_post_again(client, community, chat, moderator, member):
    mute(client, community, moderator, member)
    client.post(
        reverse("communities:member_moderate", args=[community.pk, member.pk]), {"do": "unmute"}
    )

    forum_post_create(forum=chat, community=community, by=member, content="Thanks")

    assert list(
        ModerationAction.objects.values_list("action", flat=True).order_by("created_at")
    ) == [
        "name_moderator",
        "mute",
        "unmute",
    ]


def test_moderators_cannot_mute_the_artist_or_each_other(client, community, artist_user, moderator):
    other = member_of(community)
    name_moderator(community, artist_user, other)

    for target in (artist_user, other):
        response = mute(client, community, moderator, target)
        assert response.status_code == 400
    assert not CommunityRestriction.objects.exists()


def test_a_mute_needs_one_of_the_offered_durations(client, community, moderator, member):
    response = mute(client, community, moderator, member, hours=99999)

    assert response.status_code == 400
    assert not CommunityRestriction.objects.exists()


# Ban


def paid_membership(community, *, days_left=15):
    subscription = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() + timedelta(days=days_left)
    )
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        amount=Decimal("30.00"),
        gateway="test",
        stripe_payment_id=None,
    )
    CommunitySubscription.objects.filter(pk=subscription.pk).update(payment=payment)
    return subscription, payment


def test_a_ban_ends_the_membership_refunds_the_unused_period_and_keeps_them_out(
    client, community, moderator, frozen_clock
):
    frozen_clock.set(timezone.now())
    community.subscription_fee = Decimal("30.00")
    subscription, payment = paid_membership(community, days_left=15)
    banned = subscription.user
    client.force_login(moderator)

    response = client.post(
        reverse("communities:member_moderate", args=[community.pk, banned.pk]),
        {"do": "ban", "ban-reason": "harassing other members"},
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    payment.refresh_from_db()
    assert not subscription.is_active
    assert payment.refunded_amount == Decimal("15.00")
    assert ModerationAction.objects.get(action="ban").reason == "harassing other members"
    with pytest.raises(CommunityError, match="banned"):
        subscription_prepare(user=banned, community=community)
    # Banning again refunds nothing more.
    member_ban(community=community, by=moderator, user=banned, reason="again")
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("15.00")


def test_a_ban_needs_a_reason(client, community, moderator, member):
    client.force_login(moderator)

    response = client.post(
        reverse("communities:member_moderate", args=[community.pk, member.pk]),
        {"do": "ban", "ban-reason": "  "},
    )

    assert response.status_code == 400
    assert CommunitySubscription.objects.get(user=member).is_active
    assert not CommunityRestriction.objects.exists()


# Slow mode and the flood limit


def test_slow_mode_lets_a_member_send_one_message_per_interval(
    client, community, chat, moderator, member, frozen_clock
):
    now = frozen_clock.set(timezone.now())
    client.force_login(moderator)
    client.post(
        reverse("communities:slow_mode", args=[community.pk, "forum", chat.pk]), {"seconds": "30"}
    )
    chat.refresh_from_db()
    assert chat.slow_mode_seconds == 30

    forum_post_create(forum=chat, community=community, by=member, content="one")
    with pytest.raises(CommunityError, match=r"Slow mode is on: one message every 30 seconds"):
        forum_post_create(forum=chat, community=community, by=member, content="two")
    # Moderators are not slowed down.
    for text in ("a", "b"):
        forum_post_create(forum=chat, community=community, by=moderator, content=text)

    frozen_clock.set(now + timedelta(seconds=31))
    forum_post_create(forum=chat, community=community, by=member, content="three")
    assert ForumPost.objects.filter(user=member).count() == 2


def test_slow_mode_of_a_live_chat(client, community, live_chat, moderator, member):
    client.force_login(moderator)
    client.post(
        reverse("communities:slow_mode", args=[community.pk, "event", live_chat.pk]),
        {"seconds": "60"},
    )

    live_event_message_post(event=live_chat, by=member, content="one")
    with pytest.raises(CommunityError, match="Slow mode"):
        live_event_message_post(event=live_chat, by=member, content="two")


def test_slow_mode_refuses_nonsense(client, community, chat, moderator):
    client.force_login(moderator)
    url = reverse("communities:slow_mode", args=[community.pk, "forum", chat.pk])

    for seconds in ("-1", "99999", "soon"):
        client.post(url, {"seconds": seconds})

    chat.refresh_from_db()
    assert chat.slow_mode_seconds == 0
    assert not ModerationAction.objects.filter(action="slow_mode").exists()


def test_the_flood_limit_refuses_a_burst_of_chat_messages(
    client, settings, community, chat, member
):
    settings.USER_RATE_LIMITS = {
        **settings.USER_RATE_LIMITS,
        "forum_message": (3, timedelta(minutes=1)),
    }
    client.force_login(member)
    url = reverse("communities:forum", args=[community.pk, chat.pk])

    answers = [client.post(url, {"content": f"m{i}"}).status_code for i in range(5)]

    assert answers == [302, 302, 302, 429, 429]


def test_a_fan_flags_a_review_of_the_artists_work_from_its_page(client, community, moderator):
    review = ReviewFactory(artist=community.artist, title="Overrated", text_content="Bad words")
    fan = UserFactory()
    client.force_login(fan)

    page = client.get(reverse("content:review_detail", args=[review.pk])).content.decode()
    client.post(flag_url("review", review), {"reason": "harassment"})

    assert flag_url("review", review) in page
    client.force_login(moderator)
    queue = client.get(queue_url(community)).content.decode()
    assert "Review by" in queue and "Overrated" in queue


def test_moderators_find_the_slow_mode_form_and_members_see_it_is_on(
    client, community, chat, live_chat, moderator, member
):
    pages = [
        reverse("communities:forum", args=[community.pk, chat.pk]),
        reverse("communities:event", args=[community.pk, live_chat.pk]),
    ]
    client.force_login(moderator)
    for page in pages:
        assert "Set slow mode" in client.get(page).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the cached forum is forgotten
        client.post(
            reverse("communities:slow_mode", args=[community.pk, "forum", chat.pk]),
            {"seconds": "30", "next": pages[0]},
        )

    client.force_login(member)
    seen = client.get(pages[0]).content.decode()
    assert "Slow mode: one message every 30 seconds." in seen
    assert "Set slow mode" not in seen
