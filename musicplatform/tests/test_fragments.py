"""Shared fragments (musicplatform/fragments.py): one viewer's rendering serves the next,
and each still sees their own likes, links, CSRF token and page address."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory, UserPreferencesFactory
from artists.tests.factories import ArtistFactory
from content.models import Like
from content.selectors import HOME_CACHE_KEY
from content.tests.factories import CommentFactory, LikeFactory, PostFactory
from musicplatform.fragments import CSRF_PLACEHOLDER, PATH_PLACEHOLDER

pytestmark = pytest.mark.django_db


def browser(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def like_form(html: str, target) -> str:
    return re.search(
        rf'<form class="like-form[^>]*/likes/\w+/{target.pk}/".*?</form>', html
    ).group()


def test_each_viewer_sees_their_own_like_on_a_card_another_viewer_rendered():
    post = PostFactory(content_text="Tour dates are out")
    liker, other = UserFactory(), UserFactory()
    LikeFactory(post=post, user=liker)

    liker_page = browser(liker).get(post.get_absolute_url()).text
    other_page = browser(other).get(post.get_absolute_url()).text

    assert 'aria-pressed="true"' in like_form(liker_page, post)
    assert 'aria-pressed="false"' in like_form(other_page, post)


def test_likes_and_comments_of_others_show_at_once_on_cards_and_threads_already_cached():
    post = PostFactory()
    fan = browser(UserFactory())
    fan.get(post.get_absolute_url())

    LikeFactory(post=post)
    CommentFactory(post=post, content="Counting the days")
    page = fan.get(post.get_absolute_url()).text

    assert '<span class="like-count">1</span>' in like_form(page, post)
    assert "1 comment<" in page
    assert "Counting the days" in page


def test_the_token_in_a_cached_fragment_is_the_viewers_own_and_likes_go_through():
    post = PostFactory()
    first, second = UserFactory(), UserFactory()
    browser(first).get(post.get_absolute_url())  # renders and stores the card
    second_browser = browser(second)

    page = second_browser.get(post.get_absolute_url()).text
    form = like_form(page, post)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    liked = second_browser.post(
        reverse("content:like", args=["post", post.pk]),
        {"csrfmiddlewaretoken": token, "liked": "1", "next": post.get_absolute_url()},
    )

    assert CSRF_PLACEHOLDER not in page and PATH_PLACEHOLDER not in page
    assert liked.status_code == 302
    assert Like.objects.filter(user=second, post=post).exists()


def test_a_shared_card_sends_the_like_back_to_the_page_it_is_on():
    artist = ArtistFactory()
    post = PostFactory(artist=artist)
    fan = UserFactory()
    UserPreferencesFactory(user=fan, favorite_artists=[artist.pk])
    fan_browser = browser(fan)
    LikeFactory.create_batch(2, post=post)  # popular this week

    fan_browser.get(post.get_absolute_url())
    feed = fan_browser.get(reverse("content:feed") + "?from=email").text
    explore = fan_browser.get(reverse("content:explore")).text

    assert 'name="next" value="/feed/?from=email"' in like_form(feed, post)
    assert 'name="next" value="/explore/"' in like_form(explore, post)


def test_only_the_author_sees_edit_links_on_a_card_a_fan_rendered_first():
    post = PostFactory()
    edit_url = reverse("content:post_edit", args=[post.pk])

    fan_page = browser(UserFactory()).get(post.get_absolute_url()).text
    author_page = browser(post.artist.user).get(post.get_absolute_url()).text

    assert edit_url not in fan_page
    assert edit_url in author_page


def test_the_artist_may_remove_any_comment_the_commenter_edit_only_their_own():
    post = PostFactory()
    comment = CommentFactory(post=post)
    remove_url = reverse("content:comment_delete", args=[comment.pk])
    edit_url = reverse("content:comment_edit", args=[comment.pk])

    bystander = browser(UserFactory()).get(post.get_absolute_url()).text
    artist = browser(post.artist.user).get(post.get_absolute_url()).text
    commenter = browser(comment.user).get(post.get_absolute_url()).text

    assert remove_url not in bystander and edit_url not in bystander
    assert remove_url in artist and edit_url not in artist
    assert remove_url in commenter and edit_url in commenter


def test_a_signed_out_visitor_gets_no_forms_from_a_signed_in_viewers_rendering():
    LikeFactory(post=PostFactory())
    browser(UserFactory()).get(reverse("content:explore"))

    response = browser().get(reverse("content:explore"))

    assert response.status_code == 200
    assert 'class="like-count-static"' in response.text
    assert "<form" not in response.text.split('id="main"')[1]


def test_a_writer_sees_their_change_at_once_other_viewers_once_the_fragment_expires():
    artist = ArtistFactory(artist_name="Replica Rose")
    fan = browser(UserFactory())
    owner = browser(artist.user)
    fan.get(artist.get_absolute_url())  # the fans' version of the page is now shared
    owner.get(artist.get_absolute_url())

    owner_page = owner.get(reverse("content:post_create"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', owner_page.text).group(1)
    published = owner.post(
        reverse("content:post_create"),
        {"csrfmiddlewaretoken": token, "artist": artist.pk, "content_text": "New single"},
    )

    assert published.status_code == 302
    assert "New single" in owner.get(artist.get_absolute_url()).text
    assert "New single" not in fan.get(artist.get_absolute_url()).text
    cache.delete_pattern("fragment:*")  # as FRAGMENT_CACHE_SECONDS passing does
    assert "New single" in fan.get(artist.get_absolute_url()).text


def test_the_home_page_is_rendered_once_and_served_to_the_next_viewer_from_its_fragment():
    ArtistFactory(featured=True)
    PostFactory(content_text="Tour dates are out")
    first = browser(UserFactory()).get("/")

    response = browser(UserFactory()).get("/")

    shown = [template.name for template in response.templates]
    assert "home.html" in shown and "artists/_card.html" in [t.name for t in first.templates]
    assert "artists/_card.html" not in shown  # the cards came from the first rendering
    assert "Tour dates are out" in response.text


def test_each_viewer_sees_their_own_follow_buttons_on_a_home_page_another_rendered():
    artist = ArtistFactory(featured=True, artist_name="Glass Harbour")
    follower, other = UserFactory(), UserFactory()
    UserPreferencesFactory(user=follower, favorite_artists=[artist.pk])
    browser(other).get("/")

    follower_page = browser(follower).get("/").text
    other_page = browser(other).get("/").text

    assert "Unfollow<span" in follower_page and "1 follower" in follower_page
    assert "Unfollow<span" not in other_page and "1 follower" in other_page


def test_the_home_page_shows_its_lists_anew_as_soon_as_they_are_read_again():
    """The fragment never outlives the lists it shows: once they are read again they render
    afresh at once, also for a viewer whose fragment is still cached."""
    PostFactory(content_text="First single")
    fan = browser(UserFactory())
    fan.get("/")
    PostFactory(content_text="Second single")
    assert "Second single" not in fan.get("/").text  # the minute's lists, as before

    cache.delete(HOME_CACHE_KEY)  # as HOME_CACHE_SECONDS passing, or a service, does

    assert "Second single" in fan.get("/").text
