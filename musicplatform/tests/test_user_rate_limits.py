"""Per-user limits on writes (musicplatform/ratelimits.py): past the limit a user gets the
429 page saying so and nothing is written; other users, and reading, are not affected."""

import inspect
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from communities import views as community_views
from communities.models import ForumPost, ForumType
from communities.tests.factories import CommunitySubscriptionFactory, ForumFactory
from content import views as content_views
from content.models import Comment, Review
from content.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _low_limits(settings):
    settings.USER_RATE_LIMITS = dict.fromkeys(settings.USER_RATE_LIMITS, (2, timedelta(hours=1)))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_third_comment_within_the_hour_is_refused_and_not_written():
    post = PostFactory()
    fan = UserFactory()
    client = signed_in(fan)
    url = reverse("content:post_comment", args=[post.pk])
    for n in range(2):
        assert client.post(url, {"content": f"Nice {n}"}).status_code == 302

    refused = client.post(url, {"content": "Nice again"})

    assert refused.status_code == 429
    assert "at most 2 comments in an hour" in refused.content.decode()
    assert Comment.objects.filter(user=fan).count() == 2
    # Negative controls: another fan still comments, and reading is not counted.
    assert signed_in(UserFactory()).post(url, {"content": "Me too"}).status_code == 302
    assert client.get(reverse("content:post_detail", args=[post.pk])).status_code == 200


def test_reviews_are_limited_per_user():
    client = signed_in(UserFactory())
    data = {
        "content_type": "album",
        "content_name": "Night Drive",
        "artist_name": "The Somebodies",
        "title": "Great",
        "text_content": "Loved it.",
        "rating": "5",
    }
    for n in range(2):
        client.post(reverse("content:review_create"), {**data, "content_id": f"album-{n}"})

    refused = client.post(reverse("content:review_create"), {**data, "content_id": "album-9"})

    assert refused.status_code == 429
    assert not Review.objects.filter(content_id="album-9").exists()


def test_chat_messages_in_a_forum_are_limited_per_user():
    member = CommunitySubscriptionFactory()
    forum = ForumFactory(community=member.community, forum_type=ForumType.ALL_CHAT)
    client = signed_in(member.user)
    url = reverse(
        "communities:forum", kwargs={"community_id": forum.community_id, "forum_id": forum.pk}
    )
    for n in range(2):
        assert client.post(url, {"content": f"hi {n}"}).status_code == 302

    assert client.post(url, {"content": "hi again"}).status_code == 429
    assert ForumPost.objects.filter(forum=forum).count() == 2


@pytest.mark.parametrize("action", sorted(settings.USER_RATE_LIMITS))
def test_every_limit_guards_a_view(action):
    sources = inspect.getsource(content_views) + inspect.getsource(community_views)
    assert re.search(rf'@limited_per_user\("{action}"\)\n(@\w.*\n)*def \w+\(request', sources)
