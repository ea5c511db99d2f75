"""Moderation of forum topics and replies, as members and moderators see it: locked topics
take no replies, hidden replies stay hidden, muted members cannot reply, vote or react,
slow mode spaces replies, and Flag links and moderator actions are on every post."""

import html

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from communities.models import ForumPost, ForumPostReaction, ForumPostVote, ForumType
from communities.services import moderation
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _topic_url(topic) -> str:
    return reverse("communities:topic", args=[topic.forum.community_id, topic.pk])


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def topic(community, artist_user):
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    return ForumPostFactory(forum=forum, user=artist_user, title="Tour dates", content="Soon")


@pytest.fixture
def moderator(community, artist_user):
    user = CommunitySubscriptionFactory(community=community).user
    with TestCase.captureOnCommitCallbacks(execute=True):  # and forget the cached info
        moderation.moderator_name(community=community, by=artist_user, user=user)
    return user


def test_a_locked_topic_refuses_replies_with_a_message(community, topic, moderator, member):
    moderation.item_moderate(
        community=community, kind="forum_post", object_id=topic.pk, by=moderator, action="lock"
    )

    page = _client_for(member).get(_topic_url(topic))
    response = _client_for(member).post(_topic_url(topic), {"content": "Still here"})

    assert "This topic is locked: it takes no more replies." in _text(page)
    assert 'id="reply-form"' not in _text(page)
    assert response.status_code == 400
    assert "This topic is locked" in _text(response)
    assert not ForumPost.objects.filter(topic=topic).exists()
    assert not Notification.objects.filter(user=topic.user).exists()


def test_an_unlocked_topic_takes_replies_again(community, topic, moderator, member):
    for action in ("lock", "unlock"):
        moderation.item_moderate(
            community=community, kind="forum_post", object_id=topic.pk, by=moderator, action=action
        )

    response = _client_for(member).post(_topic_url(topic), {"content": "Back"})

    assert response.status_code == 302
    assert ForumPost.objects.filter(topic=topic, content="Back").exists()


def test_a_hidden_reply_is_left_out_of_the_topic_and_its_counts(
    community, topic, moderator, member
):
    shown = ForumPostFactory(forum=topic.forum, topic=topic, user=member, content="Lisbon!")
    hidden = ForumPostFactory(forum=topic.forum, topic=topic, user=member, content="Buy pills")
    moderation.item_moderate(
        community=community, kind="forum_post", object_id=hidden.pk, by=moderator, action="hide"
    )

    page = _text(_client_for(moderator).get(_topic_url(topic)))
    forum_page = _text(
        _client_for(moderator).get(
            reverse("communities:forum", args=[community.pk, topic.forum_id])
        )
    )

    assert shown.content in page
    assert hidden.content not in page
    assert "1 reply" in forum_page and "2 replies" not in forum_page


def test_a_hidden_topic_is_gone_from_the_list_and_its_page(community, topic, moderator, member):
    moderation.item_moderate(
        community=community, kind="forum_post", object_id=topic.pk, by=moderator, action="hide"
    )

    forum_page = _client_for(member).get(
        reverse("communities:forum", args=[community.pk, topic.forum_id])
    )

    assert topic.title not in _text(forum_page)
    assert _client_for(member).get(_topic_url(topic)).status_code == 404


def test_a_muted_member_cannot_reply_vote_or_react(community, artist_user, moderator, member):
    suggestions = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    idea = ForumPostFactory(forum=suggestions, user=artist_user, title="Vinyl")
    moderation.member_mute(community=community, by=moderator, user=member, hours=24)
    client = _client_for(member)

    reply = client.post(_topic_url(idea), {"content": "Yes"})
    client.post(reverse("communities:topic_vote", args=[community.pk, idea.pk]), {"voted": "1"})
    client.post(reverse("communities:post_react", args=[community.pk, idea.pk]), {"emoji": "👍"})

    assert reply.status_code == 400
    assert not ForumPost.objects.filter(topic=idea).exists()
    assert not ForumPostVote.objects.filter(post=idea).exists()
    assert not ForumPostReaction.objects.filter(post=idea).exists()


def test_slow_mode_spaces_a_members_replies(community, topic, moderator, member):
    with TestCase.captureOnCommitCallbacks(execute=True):
        moderation.slow_mode_set(community=community, by=moderator, target=topic.forum, seconds=60)
    client = _client_for(member)

    first = client.post(_topic_url(topic), {"content": "One"})
    second = client.post(_topic_url(topic), {"content": "Two"})

    assert first.status_code == 302
    assert second.status_code == 400
    assert "Slow mode is on: one message every 60 seconds." in _text(second)
    assert list(ForumPost.objects.filter(topic=topic).values_list("content", flat=True)) == ["One"]


def test_members_see_flag_links_and_moderators_their_actions_on_replies(
    community, topic, moderator, member, other_member
):
    reply = ForumPostFactory(forum=topic.forum, topic=topic, user=other_member, content="Hi")
    flag_url = reverse("communities:flag", args=["forum_post", reply.pk])
    hide_url = reverse("communities:item_moderate", args=[community.pk, "forum_post", reply.pk])
    lock_button = 'name="action" value="lock"'

    member_page = _text(_client_for(member).get(_topic_url(topic)))
    moderator_page = _text(_client_for(moderator).get(_topic_url(topic)))

    assert flag_url in member_page and hide_url not in member_page
    assert hide_url in moderator_page
    # The topic is locked from its own post; a reply has nothing to lock.
    assert moderator_page.count(lock_button) == 1


@pytest.fixture
def other_member(community):
    return CommunitySubscriptionFactory(community=community).user
