"""The chat logs and topic lists are shared fragments (musicplatform/fragments.py): one
viewer's rendering serves the next, and still every viewer sees at once what changed in
them (a hidden message, a renamed author, a vote) and their own vote and unread replies."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.models import (
    ForumPost,
    ForumType,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
)
from communities.selectors import community_info_key
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    ForumPostVoteFactory,
    ForumTopicReadFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def live_poll(community):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    return event, reverse("communities:event_messages", args=[community.pk, event.pk])


def test_a_hidden_live_message_leaves_the_chat_of_viewers_who_already_saw_it(
    community, member, live_poll
):
    event, poll_url = live_poll
    LiveEventMessageFactory(event=event, seq=1, content="Opening song!")
    spam = LiveEventMessageFactory(event=event, seq=2, content="Buy cheap followers")
    viewer = browser(member)
    assert "Buy cheap followers" in viewer.get(poll_url, {"after": 0}).text

    LiveEventMessage.objects.filter(pk=spam.pk).update(hidden_at=timezone.now())
    poll = viewer.get(poll_url, {"after": 0}).text

    assert "Opening song!" in poll
    assert "Buy cheap followers" not in poll


def test_a_renamed_author_shows_under_the_new_name_in_a_chat_already_rendered(
    community, member, live_poll
):
    event, poll_url = live_poll
    message = LiveEventMessageFactory(event=event, seq=1)
    viewer = browser(member)
    viewer.get(poll_url, {"after": 0})

    message.user.username = "renamed_fan"
    message.user.save()

    assert "<strong>renamed_fan</strong>" in viewer.get(poll_url, {"after": 0}).text


# Committed, so that the edit's `updated_at` (a trigger's CURRENT_TIMESTAMP: the time its
# transaction started) is later than the message's, as between two requests.
@pytest.mark.django_db(transaction=True)
def test_an_edited_forum_chat_message_shows_its_new_text_to_viewers_who_saw_it(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    message = ForumPostFactory(forum=forum, title=None, content="See you at 8")
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    viewer = browser(member)
    assert "See you at 8" in viewer.get(url).text

    ForumPost.objects.filter(pk=message.pk).update(content="See you at 9")
    page = viewer.get(url).text

    assert "See you at 9" in page and "See you at 8" not in page


@pytest.fixture
def suggestion(community):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    topic = ForumPostFactory(forum=forum, title="Play the B-sides")
    return topic, reverse("communities:forum", args=[community.pk, forum.pk])


def test_each_viewer_sees_their_own_vote_on_a_topic_list_another_rendered(
    community, member, suggestion
):
    topic, url = suggestion
    voter = CommunitySubscriptionFactory(community=community).user
    ForumPostVoteFactory(post=topic, user=voter)

    voter_page = browser(voter).get(url).text
    member_page = browser(member).get(url).text

    assert "Take back my vote" in voter_page and "1 vote\n" in voter_page
    assert "Take back my vote" not in member_page and "1 vote\n" in member_page


def test_votes_and_replies_of_others_show_at_once_on_a_topic_list_already_rendered(
    community, member, suggestion
):
    topic, url = suggestion
    viewer = browser(member)
    first = viewer.get(url).text
    assert "0 votes\n" in first and "0 replies" in first

    ForumPostVoteFactory(post=topic)
    ForumPostFactory(forum=topic.forum, topic=topic, title=None)
    page = viewer.get(url).text

    assert "1 vote\n" in page and "1 reply" in page
    assert "1 new reply" in page


def test_unread_replies_are_each_viewers_own_on_a_topic_list_another_rendered(
    community, member, suggestion
):
    topic, url = suggestion
    reply = ForumPostFactory(forum=topic.forum, topic=topic, title=None)
    reader = CommunitySubscriptionFactory(community=community).user
    ForumTopicReadFactory(topic=topic, user=reader, last_read_at=reply.created_at)

    assert "1 new reply" in browser(member).get(url).text
    assert "new repl" not in browser(reader).get(url).text


def test_a_new_forum_and_event_show_at_once_on_a_community_page_already_rendered(community, member):
    viewer = browser(member)
    assert "Listening party" not in viewer.get(community.get_absolute_url()).text

    forum = ForumFactory(community=community, name="Listening party")
    LiveEventFactory(community=community, title="Album premiere")
    cache.delete(community_info_key(community.pk))  # as the services creating them do, on commit
    page = viewer.get(community.get_absolute_url()).text

    assert f'href="/communities/{community.pk}/forums/{forum.pk}/">Listening party</a>' in page
    assert "Album premiere" in page


def test_only_members_get_links_on_a_community_page_a_member_rendered_first(
    community, member, outsider
):
    forum = ForumFactory(community=community, name="Listening party")
    forum_link = f'href="/communities/{community.pk}/forums/{forum.pk}/"'

    assert forum_link in browser(member).get(community.get_absolute_url()).text
    assert forum_link not in browser(outsider).get(community.get_absolute_url()).text


# The forms of the forum and event pages: the empty form is shared, each viewer's own
# submission and filter are not, and descriptions show their edits at once.


def test_a_rejected_new_post_shows_its_own_errors_and_text_after_the_empty_form_was_shared(
    community, member
):
    forum = ForumFactory(community=community, forum_type=ForumType.FAN_ART)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    viewer = browser(member)
    assert "Ensure this value has at most 255 characters" not in viewer.get(url).text

    response = viewer.post(url, {"title": "x" * 300, "content": "My sketch of the tour bus"})

    assert response.status_code == 400
    assert "Ensure this value has at most 255 characters" in response.text
    assert "My sketch of the tour bus</textarea>" in response.text
    assert "My sketch of the tour bus</textarea>" not in browser(member).get(url).text


def test_a_rejected_chat_message_shows_its_error_after_the_empty_form_was_shared(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    viewer = browser(member)
    assert "This field is required." not in viewer.get(url).text

    response = viewer.post(url, {"content": ""})

    assert response.status_code == 400
    assert "This field is required." in response.text


def test_the_suggestion_filter_shows_each_viewers_own_choice(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    answered = '<option value="answered" selected>'

    assert answered in browser(member).get(url, {"state": "answered"}).text
    assert answered not in browser(member).get(url).text
    assert '<option value="" selected>All</option>' in browser(member).get(url).text


def test_an_edited_forum_description_shows_at_once(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.FAN_ART, description="Old")
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    viewer = browser(member)
    assert "<p>Old</p>" in viewer.get(url).text

    type(forum).objects.filter(pk=forum.pk).update(description="Sketches **only**")
    cache.delete(community_info_key(community.pk))  # as the services changing a forum do

    assert "<strong>only</strong>" in viewer.get(url).text


def test_an_edited_event_description_shows_at_once(community, member):
    event = LiveEventFactory(
        community=community,
        event_type=LiveEventType.CHAT,
        status=LiveEventStatus.LIVE,
        description="Old",
    )
    viewer = browser(member)
    assert "<p>Old</p>" in viewer.get(event.get_absolute_url()).text

    type(event).objects.filter(pk=event.pk).update(description="Bring **lights**")

    assert "<strong>lights</strong>" in viewer.get(event.get_absolute_url()).text


def test_the_head_of_a_forum_shows_moderation_only_to_moderators_after_one_rendered_it(
    community, artist_user, member
):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    assert "Set slow mode" in browser(artist_user).get(url).text

    assert "Set slow mode" not in browser(member).get(url).text


def test_a_forums_new_slow_mode_shows_at_once_in_its_shared_head(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.FAN_ART)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    viewer = browser(member)
    assert "Slow mode:" not in viewer.get(url).text

    type(forum).objects.filter(pk=forum.pk).update(slow_mode_seconds=30)
    cache.delete(community_info_key(community.pk))  # as the services changing a forum do

    assert "one message every 30 seconds" in viewer.get(url).text


def test_the_head_of_a_community_page_shows_the_artists_buttons_to_the_artist_only(
    community, artist_user, member
):
    url = community.get_absolute_url()
    assert "Dashboard" in browser(artist_user).get(url).text

    assert "Dashboard" not in browser(member).get(url).text


def test_an_event_going_live_or_renamed_shows_at_once_in_its_shared_head(community, member):
    event = LiveEventFactory(
        community=community,
        event_type=LiveEventType.CHAT,
        status=LiveEventStatus.SCHEDULED,
        title="Listening party",
    )
    viewer = browser(member)
    assert '<span class="badge">Scheduled</span>' in viewer.get(event.get_absolute_url()).text

    type(event).objects.filter(pk=event.pk).update(status=LiveEventStatus.LIVE, title="Party!")
    page = viewer.get(event.get_absolute_url()).text

    assert '<span class="badge badge-ok">Live</span>' in page
    assert "<h2>Party!" in page


def _pinned_part(page: str) -> str:
    return page.split('<div class="pinned-messages">', 1)[1].split('<ol id="chat-log"', 1)[0]


def test_a_pinned_chat_message_offers_editing_to_its_author_only_after_another_rendered_it(
    community, member
):
    forum = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    other = CommunitySubscriptionFactory(community=community).user
    pinned = ForumPostFactory(forum=forum, user=member, content="House rules", is_pinned=True)
    url = reverse("communities:forum", args=[community.pk, forum.pk])
    edit_url = reverse("communities:post_edit", args=[community.pk, pinned.pk])
    assert edit_url not in _pinned_part(browser(other).get(url).text)

    assert edit_url in _pinned_part(browser(member).get(url).text)


def test_a_live_events_controls_show_only_to_those_with_the_rights_after_a_member_rendered_it(
    community, artist_user, member
):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    page = browser(member).get(event.get_absolute_url()).text
    assert "End the event" not in page
    assert "Set slow mode" not in page

    page = browser(artist_user).get(event.get_absolute_url()).text

    assert "End the event" in page
    assert "Set slow mode" in page


def test_a_live_events_new_slow_mode_shows_at_once_on_its_shared_page(community, member):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    viewer = browser(member)
    assert "Slow mode:" not in viewer.get(event.get_absolute_url()).text

    type(event).objects.filter(pk=event.pk).update(slow_mode_seconds=30)

    assert "one message every 30 seconds" in viewer.get(event.get_absolute_url()).text


def test_a_forum_page_shows_no_template_comment(community, member):
    # A `{# #}` comment spanning lines is not a comment to Django: it was shown as text.
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)

    page = browser(member).get(reverse("communities:forum", args=[community.pk, forum.pk])).text

    assert "{#" not in page
