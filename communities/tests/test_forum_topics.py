"""Forums that are forums: topics with replies, quotes, @mentions, votes and answers to
suggestions, reactions, unread replies, fan-art galleries and search, as members see them."""

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from artists.tests.factories import image_upload
from communities.models import ForumPost, ForumPostReaction, ForumPostVote, ForumType
from communities.selectors import REPLY_PAGE_SIZE, TOPIC_PAGE_SIZE
from communities.services import CommunityError, forums, topics
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from notifications.models import Notification, NotificationType
from notifications.tests.factories import NotificationEmailPreferenceFactory

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _topic_url(topic) -> str:
    return reverse("communities:topic", args=[topic.forum.community_id, topic.pk])


def _forum_url(forum) -> str:
    return reverse("communities:forum", args=[forum.community_id, forum.pk])


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def artist_forum(community):
    return ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)


@pytest.fixture
def suggestions(community):
    return ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)


@pytest.fixture
def other_member(community):
    return CommunitySubscriptionFactory(community=community).user


@pytest.fixture
def announcement(artist_forum, artist_user):
    return ForumPostFactory(
        forum=artist_forum, user=artist_user, title="Tour dates", content="Soon"
    )


# Replies and quotes


def test_members_reply_to_the_artists_topic_and_the_artist_is_told(
    announcement, artist_user, member
):
    client = _client_for(member)
    response = client.post(_topic_url(announcement), {"content": "See you in **Lisbon**"})
    reply = ForumPost.objects.get(topic=announcement)
    assert response.status_code == 302 and response.url.endswith(f"#post-{reply.pk}")
    page = client.get(response.url)
    assert "<strong>Lisbon</strong>" in page.content.decode()
    notification = Notification.objects.get(user=artist_user)
    assert notification.notification_type == NotificationType.FORUM_REPLY
    assert "replied to “Tour dates”" in notification.title
    # The notification leads to the reply on its topic's page.
    opened = _client_for(artist_user).get(
        reverse("notifications:open", args=[notification.pk]), follow=True
    )
    assert "See you in" in _text(opened)


def test_replying_to_your_own_topic_tells_nobody(announcement, artist_user):
    _client_for(artist_user).post(_topic_url(announcement), {"content": "Adding a date"})
    assert ForumPost.objects.filter(topic=announcement).count() == 1
    assert not Notification.objects.exists()


def test_an_empty_reply_is_refused_with_a_message_and_changes_nothing(announcement, member):
    response = _client_for(member).post(_topic_url(announcement), {"content": "   "})
    assert response.status_code == 400
    assert "This field is required" in _text(response)
    assert not ForumPost.objects.filter(topic=announcement).exists()


def test_outsiders_cannot_reply(announcement, outsider):
    response = _client_for(outsider).post(_topic_url(announcement), {"content": "hi"})
    assert response.status_code == 403
    assert not ForumPost.objects.filter(topic=announcement).exists()


def test_a_reply_cannot_be_replied_to_nor_a_chat_message(announcement, community, member):
    reply = topics.topic_reply_create(
        topic=announcement, community=community, by=member, content="first"
    )
    reply.forum = announcement.forum
    with pytest.raises(CommunityError, match="under a topic"):
        topics.topic_reply_create(topic=reply, community=community, by=member, content="nested")
    # A reply has no page of its own.
    assert _client_for(member).get(_topic_url(reply)).status_code == 404


def test_quote_starts_the_reply_with_the_quoted_post(announcement, artist_user, member):
    response = _client_for(member).get(_topic_url(announcement), {"quote": announcement.pk})
    assert f"@{artist_user.username} wrote:\n&gt; Soon" in response.content.decode()
    # A broken or foreign id quotes nothing, and is no error.
    for bogus in ("nope", ForumPostFactory().pk):
        response = _client_for(member).get(_topic_url(announcement), {"quote": bogus})
        assert response.status_code == 200 and "wrote:" not in response.content.decode()


# @mentions


def test_a_mentioned_member_is_notified_and_emailed_as_they_chose(
    announcement, member, other_member, outsider, django_capture_on_commit_callbacks
):
    NotificationEmailPreferenceFactory(
        user=other_member, notification_type=NotificationType.MENTION, send_email=True
    )
    text = f"@{other_member.username} and @{outsider.username}, look! mail@{member.username}.com"
    with django_capture_on_commit_callbacks(execute=True):
        _client_for(member).post(_topic_url(announcement), {"content": text})
    mentions = Notification.objects.filter(notification_type=NotificationType.MENTION)
    # Only members of the community are told; an email address is not a mention.
    assert [n.user_id for n in mentions] == [other_member.pk]
    assert (
        mentions[0].title
        == f"{member.display_name} mentioned you in {announcement.forum.community.name}"
    )
    assert [message.to for message in mail.outbox] == [[other_member.email]]


def test_mentions_are_not_emailed_to_who_did_not_ask(
    announcement, member, other_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _client_for(member).post(_topic_url(announcement), {"content": f"@{other_member.username}"})
    assert Notification.objects.filter(user=other_member).count() == 1
    assert mail.outbox == []


def test_the_topic_author_mentioned_in_a_reply_is_told_once(announcement, artist_user, member):
    _client_for(member).post(_topic_url(announcement), {"content": f"@{artist_user.username} hi"})
    assert Notification.objects.filter(user=artist_user).count() == 1


def test_a_chat_message_mention_notifies_too(community, member, other_member):
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    _client_for(member).post(_forum_url(chat), {"content": f"hey @{other_member.username.upper()}"})
    assert Notification.objects.get(user=other_member).notification_type == NotificationType.MENTION


def test_mention_suggestions_list_the_communitys_people_only(
    community, member, other_member, outsider
):
    url = reverse("communities:mention_suggestions", args=[community.pk])
    client = _client_for(member)
    prefix = other_member.username[:3]
    response = client.get(url, {"content": f"Thanks @{prefix}"}, headers={"HX-Request": "true"})
    assert f'data-mention="{other_member.username}"' in response.content.decode()
    assert outsider.username not in response.content.decode()
    # Nothing is suggested when the text does not end with an @word.
    assert client.get(url, {"content": "no mention"}).content.decode().strip() == ""


# Suggestions: votes and answers


def test_one_vote_per_member_and_the_vote_can_be_taken_back(suggestions, member, other_member):
    idea = ForumPostFactory(forum=suggestions, user=other_member, title="Vinyl")
    url = reverse("communities:topic_vote", args=[suggestions.community_id, idea.pk])
    client = _client_for(member)
    client.post(url, {"voted": "1"})
    client.post(url, {"voted": "1"})
    assert ForumPostVote.objects.filter(post=idea).count() == 1
    page = client.get(_forum_url(suggestions))
    assert "1 vote" in _text(page) and "Take back my vote" in _text(page)
    client.post(url, {"voted": "0"})
    assert not ForumPostVote.objects.exists()
    assert "0 votes" in _text(client.get(_forum_url(suggestions)))


def test_the_artist_answers_a_suggestion_and_its_author_is_told(
    suggestions, community, artist_user, member
):
    idea = forums.forum_post_create(
        forum=suggestions, community=community, by=member, title="Vinyl"
    )
    url = reverse("communities:post_answer", args=[community.pk, idea.pk])
    _client_for(member).post(url, {"state": "planned"})
    idea.refresh_from_db()
    assert idea.suggestion_state == "open"
    _client_for(artist_user).post(url, {"state": "planned"})
    idea.refresh_from_db()
    assert idea.suggestion_state == "planned" and not idea.is_answered
    _client_for(artist_user).post(url, {"state": "answered"})
    idea.refresh_from_db()
    assert idea.suggestion_state == "answered" and idea.is_answered
    titles = list(Notification.objects.filter(user=member).values_list("title", flat=True))
    assert titles == ["Your suggestion “Vinyl” is planned", "Your suggestion “Vinyl” is answered"]
    # Back to "open" is not a move the artist can make: a clear message, nothing changed.
    response = _client_for(artist_user).post(url, {"state": "open"}, follow=True)
    assert "cannot go from answered back to open" in _text(response)
    idea.refresh_from_db()
    assert idea.suggestion_state == "answered"
    assert "Answered" in _text(
        _client_for(member).get(_forum_url(suggestions), {"state": "answered"})
    )


# Reactions


def test_reactions_toggle_count_and_are_one_per_member_per_emoji(
    announcement, community, member, other_member
):
    url = reverse("communities:post_react", args=[community.pk, announcement.pk])
    for client in (_client_for(member), _client_for(other_member)):
        client.post(url, {"emoji": "🔥"})
    _client_for(member).post(url, {"emoji": "👍"})
    page = _client_for(member).get(_topic_url(announcement)).content.decode()
    assert re.search(r'aria-pressed="true" title="Fire">🔥 <span class="reaction-count">2<', page)
    # Again: taken back. htmx gets the reactions alone.
    response = _client_for(member).post(url, {"emoji": "🔥"}, headers={"HX-Request": "true"})
    assert response.content.decode().startswith('<div class="reactions"')
    assert 'aria-pressed="false" title="Fire">🔥 <span class="reaction-count">1<' in (
        response.content.decode()
    )
    assert ForumPostReaction.objects.count() == 2


def test_an_unknown_reaction_is_refused(announcement, community, member):
    url = reverse("communities:post_react", args=[community.pk, announcement.pk])
    response = _client_for(member).post(url, {"emoji": "💩"}, follow=True)
    assert "Choose one of the reactions shown." in _text(response)
    assert not ForumPostReaction.objects.exists()


# Unread replies


def test_new_replies_are_counted_and_lead_to_the_first_unread(
    announcement, artist_forum, community, member, other_member
):
    reader = _client_for(member)

    def reply(by, text):
        topics.topic_reply_create(topic=announcement, community=community, by=by, content=text)

    reply(other_member, "Reply-one")
    reader.get(_topic_url(announcement))  # read up to Reply-one
    assert "new repl" not in _text(reader.get(_forum_url(artist_forum)))
    reply(member, "Reply-mine")  # replying is reading: one's own reply is no news
    for text in ("Reply-two", "Reply-three", "Reply-four"):
        reply(other_member, text)
    listing = reader.get(_forum_url(artist_forum)).content.decode()
    link = re.search(r'<a class="unread" href="([^"]+)"><strong>3 new replies</strong>', listing)
    assert link
    page = _text(reader.get(html.unescape(link[1]).split("#")[0]))
    first_unread = page[page.index('id="first-unread"') :]
    assert first_unread.split("</li>")[0].count("Reply-two") == 1
    assert "Reply-one" not in page and "Reply-mine" not in page
    assert "new repl" not in _text(reader.get(_forum_url(artist_forum)))


def test_a_topic_never_opened_counts_every_reply_of_others(
    announcement, community, member, other_member
):
    topics.topic_reply_create(topic=announcement, community=community, by=other_member, content="a")
    listing = _text(_client_for(member).get(_forum_url(announcement.forum)))
    assert "1 new reply" in listing


# Pagination by cursor


def test_topics_are_paged_by_cursor_and_a_broken_cursor_is_no_error(
    artist_forum, artist_user, member
):
    for n in range(TOPIC_PAGE_SIZE + 3):
        ForumPostFactory(
            forum=artist_forum,
            user=artist_user,
            title=f"Topic {n:02d}",
            created_at=timezone.now() - timedelta(minutes=n),
        )
    client = _client_for(member)
    first = client.get(_forum_url(artist_forum)).content.decode()
    assert "Topic 00" in first and f"Topic {TOPIC_PAGE_SIZE - 1:02d}" in first
    assert f"Topic {TOPIC_PAGE_SIZE:02d}" not in first
    older = html.unescape(re.search(r'href="(\?before=[^"]+)" rel="next"', first)[1])
    second = client.get(_forum_url(artist_forum) + older).content.decode()
    assert f"Topic {TOPIC_PAGE_SIZE + 2:02d}" in second and "Topic 00" not in second
    assert 'rel="next"' not in second
    broken = client.get(_forum_url(artist_forum), {"before": "yesterday~x"}, follow=True)
    assert "This page link is broken" in _text(broken)


def test_replies_are_paged_by_cursor(announcement, community, other_member, member):
    start = timezone.now()
    for n in range(REPLY_PAGE_SIZE + 2):
        ForumPostFactory(
            forum=announcement.forum,
            topic=announcement,
            user=other_member,
            title=None,
            content=f"Reply {n:02d}",
            created_at=start + timedelta(seconds=n),
        )
    client = _client_for(member)
    first = client.get(_topic_url(announcement)).content.decode()
    assert "Reply 00" in first and f"Reply {REPLY_PAGE_SIZE:02d}" not in first
    newer = html.unescape(re.search(r'href="(\?after=[^"]+)" rel="next"', first)[1])
    second = client.get(_topic_url(announcement) + newer).content.decode()
    assert f"Reply {REPLY_PAGE_SIZE:02d}" in second and "Reply 00" not in second
    # A reply's own address (notifications lead there) opens the page that starts with it.
    last = ForumPost.objects.filter(topic=announcement).order_by("created_at").last()
    assert last.get_absolute_url().startswith(_topic_url(announcement))
    shown = client.get(last.get_absolute_url()).content.decode()
    assert f"Reply {REPLY_PAGE_SIZE + 1:02d}" in shown and "Reply 00" not in shown
    response = client.get(_topic_url(announcement), {"after": "2026-01-01T00:00:00~x"}, follow=True)
    assert "This page link is broken" in _text(response)


def _queries(client, url) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grow(forum, artist_user, members, *, topics_count, replies_each):
    for n in range(topics_count):
        topic = ForumPostFactory(forum=forum, user=artist_user, title=f"T{n}")
        ForumPostVote.objects.create(post=topic, user=members[n % len(members)])
        for m in range(replies_each):
            reply = ForumPostFactory(
                forum=forum, topic=topic, user=members[m % len(members)], title=None
            )
            ForumPostReaction.objects.create(post=reply, user=members[0], emoji="🔥")


@pytest.mark.parametrize("kind", [ForumType.ARTIST_FORUM, ForumType.SUGGESTIONS])
def test_the_topic_list_runs_the_same_queries_whatever_its_size(community, artist_user, kind):
    forum = ForumFactory(community=community, forum_type=kind)
    members = [CommunitySubscriptionFactory(community=community).user for _ in range(3)]
    client = _client_for(members[0])
    _grow(forum, artist_user, members, topics_count=2, replies_each=1)
    small = _queries(client, _forum_url(forum))
    _grow(forum, artist_user, members, topics_count=TOPIC_PAGE_SIZE + 5, replies_each=3)
    assert _queries(client, _forum_url(forum)) == small


def test_the_topic_page_runs_the_same_queries_whatever_its_size(
    announcement, community, artist_user
):
    members = [CommunitySubscriptionFactory(community=community).user for _ in range(3)]
    client = _client_for(members[0])
    ForumPostFactory(forum=announcement.forum, topic=announcement, user=members[1], title=None)
    small = _queries(client, _topic_url(announcement))
    for n in range(REPLY_PAGE_SIZE + 5):
        reply = ForumPostFactory(
            forum=announcement.forum, topic=announcement, user=members[n % 3], title=None
        )
        ForumPostReaction.objects.create(post=reply, user=members[n % 3], emoji="👍")
    assert _queries(client, _topic_url(announcement)) == small


# Fan art galleries


def test_a_fan_art_topic_is_a_gallery_of_up_to_four_pictures(community, member):
    fan_art = ForumFactory(community=community, forum_type=ForumType.FAN_ART)
    client = _client_for(member)
    response = client.post(
        _forum_url(fan_art),
        {
            "title": "Sketches",
            "images": [image_upload("a.png"), image_upload("b.png", color="red")],
        },
    )
    topic = ForumPost.objects.get(forum=fan_art)
    assert response.status_code == 302 and len(topic.media_urls) == 2
    page = client.get(_topic_url(topic)).content.decode()
    assert "Sketches by" in page and "(2 of 2)" in page
    too_many = client.post(
        _forum_url(fan_art),
        {"title": "Too many", "images": [image_upload(f"{n}.png") for n in range(5)]},
    )
    assert too_many.status_code == 400 and "at most 4 pictures" in _text(too_many)
    assert ForumPost.objects.filter(forum=fan_art).count() == 1


# Search within a community's forums


def test_search_finds_topics_and_replies_of_this_community_only(announcement, community, member):
    topics.topic_reply_create(
        topic=announcement, community=community, by=member, content="The saxophone solo was great"
    )
    elsewhere = ForumFactory(community=CommunityFactory())
    ForumPostFactory(forum=elsewhere, title="Saxophone elsewhere", content="saxophone")
    url = reverse("communities:forum_search", args=[community.pk])
    page = _text(_client_for(member).get(url, {"q": "saxophone"}))
    assert "Tour dates" in page and "Reply by" in page
    assert "<mark>saxophone</mark>" in page
    assert "elsewhere" not in page
    assert "No topic or reply matches" in _text(_client_for(member).get(url, {"q": "bassoon"}))
    too_long = _client_for(member).get(url, {"q": "x" * 300})
    assert too_long.status_code == 400


def test_someone_who_left_is_not_mentioned(announcement, community, member):
    lapsed = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=1), is_active=False
    ).user
    _client_for(member).post(_topic_url(announcement), {"content": f"@{lapsed.username}"})
    assert not Notification.objects.filter(user=lapsed).exists()


def test_editing_or_deleting_a_reply_returns_to_its_topic(announcement, community, member):
    reply = topics.topic_reply_create(
        topic=announcement, community=community, by=member, content="Typo"
    )
    client = _client_for(member)
    edited = client.post(
        reverse("communities:post_edit", args=[community.pk, reply.pk]),
        {"title": "Not a topic", "content": "Fixed"},
    )
    reply.refresh_from_db()
    assert reply.title is None
    assert edited.url.startswith(_topic_url(announcement))
    assert "Fixed" in _text(client.get(edited.url))
    deleted = client.post(reverse("communities:post_delete", args=[community.pk, reply.pk]))
    assert deleted.url == _topic_url(announcement)
    assert "Fixed" not in _text(client.get(deleted.url))


def test_the_topic_list_and_the_topic_page_show_the_same_vote_count(
    suggestions, member, other_member, community
):
    idea = ForumPostFactory(forum=suggestions, user=other_member, title="Vinyl")
    ForumPostFactory(forum=suggestions, topic=idea, user=other_member, title=None)  # not a vote
    for voter in [member, other_member, CommunitySubscriptionFactory(community=community).user]:
        ForumPostVote.objects.create(post=idea, user=voter)
    client = _client_for(member)
    listed = _text(client.get(_forum_url(suggestions)))
    shown = _text(client.get(_topic_url(idea)))
    assert "3 votes" in listed and "3 votes" in shown
    assert "Take back my vote" in listed and "Take back my vote" in shown


def test_the_topic_list_shows_pinned_topics_first_and_leaves_hidden_ones_out(
    artist_forum, artist_user, member, community
):
    old = ForumPostFactory(forum=artist_forum, user=artist_user, title="Tour dates")
    ForumPost.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    forums.forum_post_pin(post=old, community=community, by=artist_user, pinned=True)
    ForumPostFactory(forum=artist_forum, user=artist_user, title="New single")
    ForumPostFactory(
        forum=artist_forum, user=artist_user, title="Removed", hidden_at=timezone.now()
    )
    text = _text(_client_for(member).get(_forum_url(artist_forum)))
    assert text.index("Tour dates") < text.index("New single")
    assert "Removed" not in text


def test_a_chat_shows_its_pinned_messages_above_the_log_and_in_it(community, member, artist_user):
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    pinned = ForumPostFactory(forum=chat, user=artist_user, title=None, content="Welcome all")
    ForumPost.objects.filter(pk=pinned.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    forums.forum_post_pin(post=pinned, community=community, by=artist_user, pinned=True)
    ForumPostFactory(forum=chat, user=member, title=None, content="Hi there")
    ForumPostFactory(
        forum=chat, user=member, title=None, content="Gone now", hidden_at=timezone.now()
    )
    text = _text(_client_for(member).get(_forum_url(chat)))
    pinned_block, log = text.split('id="chat-log"')
    assert "Welcome all" in pinned_block and "Hi there" not in pinned_block
    assert log.index("Welcome all") < log.index("Hi there")
    assert "Gone now" not in text
