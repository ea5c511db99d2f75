"""The post page's head (breadcrumbs, heading, Follow button, card, share form) and its
empty comment form are shared fragments (docs/performance.md, round 3): every viewer
still sees their own Follow button and token, and an edit, a rename, a deletion or a new
follower shows at once to viewers whose page was already cached."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.models import Artist
from content.models import Comment, Post
from content.services import artist_follow, comment_create
from content.tests.factories import PostFactory
from musicplatform import fragments

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def follow_button(html: str) -> str:
    return re.search(r'<div class="follow".*?</div>', html, re.S).group()


def test_each_viewer_sees_their_own_follow_and_a_new_follower_at_once():
    post = PostFactory(content_text="Tour dates are out")
    fan, follower = UserFactory(), UserFactory()
    fan_browser = browser(fan)
    assert "0 followers" in follow_button(fan_browser.get(post.get_absolute_url()).text)

    artist_follow(user=follower, artist=post.artist)
    follower_page = browser(follower).get(post.get_absolute_url()).text
    fan_page = fan_browser.get(post.get_absolute_url()).text

    assert "Unfollow" in follow_button(follower_page)
    assert "Unfollow" not in follow_button(fan_page)
    assert "1 follower<" in follow_button(fan_page)


# Each update its own transaction, as each request is: `updated_at` (a trigger, the
# transaction's CURRENT_TIMESTAMP) moves only then.
@pytest.mark.django_db(transaction=True)
def test_an_edit_a_rename_and_a_deletion_show_at_once_on_a_cached_post_page():
    post = PostFactory(content_text="Tour dates are out")
    fan = browser(UserFactory())
    assert "Tour dates are out" in fan.get(post.get_absolute_url()).text

    Post.objects.filter(pk=post.pk).update(content_text="Tour dates moved")
    Artist.objects.filter(pk=post.artist_id).update(artist_name="Harbour Lights")
    page = fan.get(post.get_absolute_url()).text

    assert "Tour dates moved" in page
    assert "Tour dates are out" not in page
    assert "Post by <a" in page and "Harbour Lights</a>" in page
    Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now())
    assert fan.get(post.get_absolute_url()).status_code == 404


def test_the_shared_comment_form_carries_each_viewers_token_and_a_refused_comment_says_why():
    post = PostFactory()
    browser(UserFactory()).get(post.get_absolute_url())  # renders and stores the form
    fan = UserFactory()
    fan_browser = browser(fan)
    page = fan_browser.get(post.get_absolute_url()).text
    form = re.search(r'<form class="comment-form".*?</form>', page, re.S).group()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    action = reverse("content:post_comment", args=[post.pk])

    refused = fan_browser.post(action, {"csrfmiddlewaretoken": token, "content": ""})
    sent = fan_browser.post(action, {"csrfmiddlewaretoken": token, "content": "See you there"})

    assert f'action="{action}"' in form
    assert "Write something before sending your comment." in refused.text
    assert sent.status_code == 302
    assert Comment.objects.filter(post=post, user=fan, content="See you there").exists()


class RedisReads:
    """The fragments' reads of Redis during one request: GETs and MGETs."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, int]] = []
        real = fragments.cache

        class Counted:
            def __getattr__(_, name):
                return getattr(real, name)

            def get(_, key):
                self.calls.append(("get", 1))
                return real.get(key)

            def get_many(_, keys):
                self.calls.append(("get_many", len(keys)))
                return real.get_many(keys)

        monkeypatch.setattr(fragments, "cache", Counted())


@pytest.mark.django_db(transaction=True)
def test_a_cached_post_page_reads_its_fragments_in_one_round_trip_and_a_new_comment_in_two(
    monkeypatch,
):
    post = PostFactory(content_text="Tour dates are out")
    commenters = UserFactory.create_batch(3)
    for commenter in commenters:
        Comment.objects.create(post=post, user=commenter, content=f"Hi from {commenter.username}")
    fan = browser(UserFactory())
    fan.get(post.get_absolute_url())  # renders and stores every fragment
    reads = RedisReads(monkeypatch)

    page = fan.get(post.get_absolute_url()).text

    assert reads.calls == [("get_many", 3)]  # head, comment form, comments
    assert all(f"Hi from {commenter.username}" in page for commenter in commenters)

    comment_create(user=commenters[0], content="One more thing", post=post)
    reads.calls.clear()
    page = fan.get(post.get_absolute_url()).text

    # The head (its card counts the comments) and the page of comments are rendered
    # again: the card and each comment inside them are read in one more round trip.
    assert reads.calls == [("get_many", 3), ("get_many", 1 + 4)]
    assert "One more thing" in page and "4 comments" in page
