import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import LanguageFactory, UserFactory, UserPreferencesFactory
from artists.services import artist_create
from artists.tests.factories import ArtistFactory
from communities.models import ForumType
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from content.models import Comment, Like, MediaType, Post, Review
from content.tests.factories import (
    CommentFactory,
    LikeFactory,
    PostFactory,
    ReviewFactory,
    ShareLinkFactory,
)
from content.tests.uploads import fake_image_upload, image_upload
from shop.tests.factories import FeaturedItemFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _fan_following(*artists):
    return UserPreferencesFactory(favorite_artists=[a.pk for a in artists]).user


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# Feed


def test_the_feed_needs_a_signed_in_fan(client):
    response = client.get(reverse("content:feed"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_feed_offers_a_new_post_to_artists_only(client):
    fan = UserFactory()
    artist_user = UserFactory()
    artist_create(user=artist_user, artist_name="Harbour Lights")
    new_post = reverse("content:post_create")

    client.force_login(fan)
    assert f'href="{new_post}"' not in client.get(reverse("content:feed")).text
    client.force_login(artist_user)
    assert f'href="{new_post}"' in client.get(reverse("content:feed")).text


def test_the_feed_shows_followed_artists_posts_and_member_announcements(client):
    artist = ArtistFactory(artist_name="Nova Lights")
    PostFactory(artist=artist, content_text="Tour dates are out")
    subscription = CommunitySubscriptionFactory(user=_fan_following(artist))
    forum = ForumFactory(community=subscription.community, forum_type=ForumType.ARTIST_FORUM)
    ForumPostFactory(forum=forum, user=subscription.community.artist.user, title="Members first")
    client.force_login(subscription.user)

    response = client.get(reverse("content:feed"))

    assert "Tour dates are out" in response.text
    assert "Members first" in response.text


def test_a_feed_rebuilt_after_a_new_post_reads_its_cached_cards_in_one_round_trip(
    client, monkeypatch
):
    artist = ArtistFactory()
    old = [PostFactory(artist=artist, content_text=f"Old news {i}") for i in range(4)]
    fan = _fan_following(artist)
    client.force_login(fan)
    client.get(reverse("content:feed"))  # the list and its cards rendered and cached
    PostFactory(artist=artist, content_text="Fresh news")
    LikeFactory(post=old[0])
    card_reads = []
    real_get, real_get_many = cache.get, cache.get_many

    def get(key, *args, **kwargs):
        card_reads.append([key])
        return real_get(key, *args, **kwargs)

    def get_many(keys, *args, **kwargs):
        card_reads.append(list(keys))
        return real_get_many(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    monkeypatch.setattr(cache, "get_many", get_many)
    page = client.get(reverse("content:feed")).text

    assert "Fresh news" in page
    assert all(f"Old news {i}" in page for i in range(4))
    # The liked post's card varies on its count: rendered afresh, not read stale.
    assert '<span class="like-count">1</span>' in page
    # The five cards (the new one and the liked one missing) in one MGET, no GET.
    assert [len(keys) for keys in card_reads if "fragment:post-card" in keys[0]] == [5]


def test_the_feed_pages_with_a_cursor_not_an_offset(client):
    artist = ArtistFactory()
    fan = _fan_following(artist)
    for n in range(25):
        PostFactory(artist=artist, content_text=f"Post number {n}")
    client.force_login(fan)

    first = client.get(reverse("content:feed"))
    cursor = first.context["page"].next_cursor
    with CaptureQueriesContext(connection) as captured:
        second = client.get(reverse("content:feed"), {"before": cursor})

    assert len(first.context["page"].items) == 20
    assert len(second.context["page"].items) == 5
    shown = [e.item.pk for e in first.context["page"].items + second.context["page"].items]
    assert len(set(shown)) == 25
    assert not any("OFFSET" in query["sql"] for query in captured)


def test_a_forged_cursor_shows_the_newest_page_with_a_message(client):
    PostFactory()
    client.force_login(UserFactory())

    response = client.get(reverse("content:feed"), {"before": "%%%not-a-cursor"})

    assert response.status_code == 200
    assert "That page of the feed does not exist" in response.text


def test_an_empty_feed_suggests_artists_and_following_fills_it(client):
    artist = ArtistFactory(artist_name="Quiet Harbour", featured=True)
    PostFactory(artist=artist, content_text="Hello new fans")
    fan = UserFactory()
    client.force_login(fan)

    empty = client.get(reverse("content:feed"))
    assert "Quiet Harbour" in empty.text
    assert "Follow some artists" in empty.text

    followed = client.post(
        reverse("content:artist_follow", args=[artist.pk]), {"next": reverse("content:feed")}
    )
    assert followed.status_code == 302
    assert "Hello new fans" in client.get(reverse("content:feed")).text

    client.post(reverse("content:artist_follow", args=[artist.pk]), {"action": "unfollow"})
    assert "Hello new fans" not in client.get(reverse("content:feed")).text


# Posts


def test_a_fan_without_an_artist_profile_cannot_post(client):
    client.force_login(UserFactory())

    assert client.get(reverse("content:post_create")).status_code == 403


def test_an_artist_publishes_a_post_with_a_picture(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(
        reverse("content:post_create"),
        {"artist": artist.pk, "content_text": "Studio day", "media": [image_upload()]},
    )

    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("content:post_detail", args=[post.pk])
    assert post.media_type == MediaType.IMAGE
    assert "Studio day" in client.get(response["Location"]).text


def test_an_artist_says_which_language_a_post_is_written_in(client):
    german = LanguageFactory(name="German")
    artist = ArtistFactory()
    client.force_login(artist.user)

    form = client.get(reverse("content:post_create"))
    client.post(
        reverse("content:post_create"),
        {"artist": artist.pk, "content_text": "Ein neues Lied", "language": german.pk},
    )
    post = Post.objects.get()
    edit = client.get(reverse("content:post_edit", args=[post.pk]))

    assert "Written in" in form.text and ">German</option>" in form.text
    assert post.language == german and post.search_config == "german"
    assert f'value="{german.pk}" selected' in edit.text


def test_a_post_in_a_language_that_does_not_exist_gets_a_message_and_saves_nothing(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(
        reverse("content:post_create"),
        {"artist": artist.pk, "content_text": "Hi", "language": "not-a-language"},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Post.objects.exists()


def test_a_fan_changes_the_language_of_a_review(client):
    german = LanguageFactory(name="German")
    review = ReviewFactory()
    client.force_login(review.user)

    client.post(
        reverse("content:review_edit", args=[review.pk]),
        {"title": "Gut", "text_content": "Schöne Lieder", "rating": "5", "language": german.pk},
    )

    review.refresh_from_db()
    assert review.language == german and review.search_config == "german"


def test_an_empty_post_gets_a_message_and_saves_nothing(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(reverse("content:post_create"), {"artist": artist.pk})

    assert response.status_code == 400
    assert "Write something or attach" in response.text
    assert not Post.objects.exists()


def test_a_disguised_file_gets_a_message_and_saves_nothing(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(
        reverse("content:post_create"),
        {"artist": artist.pk, "content_text": "x", "media": [fake_image_upload()]},
    )

    assert response.status_code == 400
    assert "is not a picture, audio" in response.text
    assert not Post.objects.exists()


def test_an_artist_cannot_post_as_another_artist(client):
    mine, theirs = ArtistFactory(), ArtistFactory()
    client.force_login(mine.user)

    response = client.post(
        reverse("content:post_create"), {"artist": theirs.pk, "content_text": "Hi"}
    )

    assert response.status_code == 400
    assert not Post.objects.exists()


def test_only_the_owner_edits_or_deletes_a_post(client):
    post = PostFactory(content_text="Original")
    client.force_login(ArtistFactory().user)

    assert client.get(reverse("content:post_edit", args=[post.pk])).status_code == 404
    assert client.post(reverse("content:post_delete", args=[post.pk])).status_code == 404

    client.force_login(post.artist.user)
    client.post(reverse("content:post_edit", args=[post.pk]), {"content_text": "Edited"})
    client.post(reverse("content:post_delete", args=[post.pk]))

    post.refresh_from_db()
    assert post.content_text == "Edited"
    assert post.deleted_at is not None
    assert client.get(reverse("content:post_detail", args=[post.pk])).status_code == 404


# The post page and comments


def _comment(minutes_ago: int, **fields):
    return CommentFactory(created_at=timezone.now() - timedelta(minutes=minutes_ago), **fields)


def test_deep_replies_wait_behind_a_link_to_their_own_page(client):
    post = PostFactory()
    chain = [_comment(10, post=post, content="Level 0")]
    for level in range(1, 7):
        chain.append(
            _comment(10 - level, post=post, parent_comment=chain[-1], content=f"Level {level}")
        )
    client.force_login(UserFactory())

    page = client.get(reverse("content:post_detail", args=[post.pk])).text
    replies_url = reverse("content:comment_replies", args=[chain[2].pk])
    replies = client.get(replies_url).text

    assert all(f"Level {n}" in page for n in range(3))
    assert "Level 3" not in page
    assert f'href="{replies_url}"' in page
    assert "Show 1 reply" in page
    assert all(f"Level {n}" in replies for n in range(3, 6))
    assert "Level 6" not in replies
    assert "<html" in replies


def test_more_comments_pages_through_the_thread_with_and_without_javascript(client):
    post = PostFactory()
    for minutes in range(23):
        _comment(minutes, post=post, content=f"Comment {minutes}")
    client.force_login(UserFactory())
    url = reverse("content:post_detail", args=[post.pk])

    first = client.get(url)
    cursor = first.context["thread"].next_cursor
    more = client.get(url, {"comments": cursor})
    fragment = client.get(url, {"comments": cursor}, **HTMX)

    assert "Comment 19" in first.text
    assert "Comment 20" not in first.text
    assert f'href="{url}?comments={cursor}#comments"' in first.text
    assert all(f"Comment {n}" in more.text for n in (20, 21, 22))
    assert "Comment 19" not in more.text
    assert "More comments" not in more.text
    assert "<html" not in fragment.text
    assert fragment.text.count('class="comment"') == 3


def test_a_broken_comments_cursor_shows_the_newest_with_a_message(client):
    post = PostFactory()
    CommentFactory(post=post, content="Still here")
    client.force_login(UserFactory())

    response = client.get(
        reverse("content:post_detail", args=[post.pk]), {"comments": "not-a-cursor"}
    )

    assert response.status_code == 200
    assert "Still here" in response.text
    assert "Those comments do not exist" in response.text


def test_more_replies_with_htmx_returns_only_the_replies(client):
    root = _comment(10)
    for n in range(4):
        _comment(9 - n, post=root.post, parent_comment=root, content=f"Reply {n}")
    client.force_login(UserFactory())
    node = (
        client.get(reverse("content:post_detail", args=[root.post.pk])).context["thread"].nodes[0]
    )

    response = client.get(
        reverse("content:comment_replies", args=[root.pk]),
        {"comments": node.replies_cursor},
        **HTMX,
    )

    assert "<html" not in response.text
    assert "Reply 0" in response.text
    assert "Reply 1" not in response.text


def test_replies_of_a_comment_on_a_deleted_post_are_gone(client):
    comment = CommentFactory(post=PostFactory(deleted_at=timezone.now()))
    client.force_login(UserFactory())

    response = client.get(reverse("content:comment_replies", args=[comment.pk]))

    assert response.status_code == 404


def test_a_comment_without_javascript_redirects_back_to_the_thread(client):
    post = PostFactory()
    fan = UserFactory()
    client.force_login(fan)

    response = client.post(
        reverse("content:post_comment", args=[post.pk]), {"content": "First listen: wow"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#comments")
    assert Comment.objects.get().user == fan


def test_a_reply_with_htmx_returns_the_thread_in_place(client):
    parent = CommentFactory(content="What a record")
    client.force_login(UserFactory())

    response = client.post(
        reverse("content:post_comment", args=[parent.post.pk]),
        {"content": "Agreed", "parent": parent.pk},
        **HTMX,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="comments"' in response.text
    assert "Agreed" in response.text
    assert Comment.objects.get(content="Agreed").parent_comment == parent


def test_a_post_page_carries_one_reply_form_for_the_comment_asked(client):
    post = PostFactory()
    comments = [CommentFactory(post=post, content=f"Comment {n}") for n in range(3)]
    client.force_login(UserFactory())
    url = reverse("content:post_detail", args=[post.pk])
    asked = comments[1].pk

    page = client.get(url).text
    replying = client.get(url, {"reply_to": asked}).text
    in_place = client.get(url, {"reply_to": asked}, **HTMX).text

    assert 'name="parent"' not in page
    assert all(f'href="{url}?reply_to={c.pk}#reply-{c.pk}"' in page for c in comments)
    assert replying.count('name="parent"') == 1
    assert f'name="parent" value="{asked}"' in replying
    assert f'id="reply-{asked}"' in replying
    assert "<html" not in in_place
    assert f'name="parent" value="{asked}"' in in_place


def test_a_broken_reply_link_shows_the_thread_with_a_message(client):
    comment = CommentFactory(content="Still here")
    client.force_login(UserFactory())

    response = client.get(
        reverse("content:post_detail", args=[comment.post.pk]), {"reply_to": "not-a-comment"}
    )

    assert response.status_code == 200
    assert "Still here" in response.text
    assert "cannot be replied to" in response.text
    assert 'name="parent"' not in response.text


def test_a_comment_over_the_limit_gets_a_message_and_saves_nothing(client):
    post = PostFactory()
    client.force_login(UserFactory())

    response = client.post(
        reverse("content:post_comment", args=[post.pk]), {"content": "x" * 10_000}
    )

    assert response.status_code == 400
    assert "at most 2000 characters" in response.text
    assert not Comment.objects.exists()


def test_a_reply_to_a_deleted_comment_gets_a_message(client):
    parent = CommentFactory(deleted_at=timezone.now())
    client.force_login(UserFactory())

    response = client.post(
        reverse("content:post_comment", args=[parent.post.pk]),
        {"content": "Hello?", "parent": parent.pk},
        **HTMX,
    )

    assert "can&#x27;t be replied to" in response.text
    assert Comment.objects.count() == 1


def test_authors_edit_their_comments_and_nobody_else_can(client):
    comment = CommentFactory(content="Frist")
    client.force_login(UserFactory())
    url = reverse("content:comment_edit", args=[comment.pk])

    assert client.post(url, {"content": "Hacked"}).status_code == 404

    client.force_login(comment.user)
    assert client.post(url, {"content": "First"}).status_code == 302
    comment.refresh_from_db()
    assert comment.content == "First"


def test_the_posts_artist_removes_a_comment_a_stranger_cannot(client):
    comment = CommentFactory(content="Spam spam")
    url = reverse("content:comment_delete", args=[comment.pk])
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404

    client.force_login(comment.post.artist.user)
    assert client.post(url).status_code == 302

    page = client.get(reverse("content:post_detail", args=[comment.post.pk])).text
    assert "Spam spam" not in page


# Likes


def test_a_like_with_htmx_swaps_the_button_with_the_new_count(client):
    post = PostFactory()
    LikeFactory(post=post)
    client.force_login(UserFactory())
    url = reverse("content:like", args=["post", post.pk])

    liked = client.post(url, {"liked": "1"}, **HTMX)
    assert 'aria-pressed="true"' in liked.text
    assert '<span class="like-count">2</span>' in liked.text

    unliked = client.post(url, {"liked": "0"}, **HTMX)
    assert 'aria-pressed="false"' in unliked.text
    assert '<span class="like-count">1</span>' in unliked.text


def test_a_like_without_javascript_goes_back_to_the_page(client):
    comment = CommentFactory()
    client.force_login(UserFactory())
    page = reverse("content:post_detail", args=[comment.post.pk])

    response = client.post(
        reverse("content:like", args=["comment", comment.pk]), {"liked": "1", "next": page}
    )

    assert response["Location"] == page
    assert Like.objects.filter(comment=comment).count() == 1


def test_liking_a_deleted_post_gets_a_message_and_changes_nothing(client):
    post = PostFactory(deleted_at=timezone.now())
    client.force_login(UserFactory())

    response = client.post(
        reverse("content:like", args=["post", post.pk]), {"liked": "1"}, follow=True
    )

    assert "That post was deleted" in response.text
    assert not Like.objects.exists()


def test_only_posts_comments_and_reviews_can_be_liked(client):
    client.force_login(UserFactory())

    response = client.post(reverse("content:like", args=["user", UserFactory().pk]), {"liked": "1"})

    assert response.status_code == 404


# Share links


def test_a_share_link_shows_the_post_to_anyone_with_preview_tags(client):
    post = PostFactory(with_image=True, content_text="Listen to this")
    client.force_login(UserFactory())

    created = client.post(reverse("content:share_create", args=[post.pk]), {"expires_in_days": "7"})
    link = post.share_links.get()
    client.logout()
    shared = client.get(reverse("content:shared_post", args=[link.share_token]))

    assert link.share_token in created.text
    assert shared.status_code == 200
    assert '<meta property="og:title"' in shared.text
    assert f'<meta property="og:image" content="{post.media_urls[0]}">' in shared.text
    assert '<meta name="twitter:card" content="summary_large_image">' in shared.text
    assert "Listen to this" in shared.text


def test_an_expired_share_link_says_so_with_410(client):
    link = ShareLinkFactory(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.get(reverse("content:shared_post", args=[link.share_token]))

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert link.post.content_text not in response.text


def test_a_forged_share_token_is_not_found(client):
    ShareLinkFactory()

    assert client.get(reverse("content:shared_post", args=["forged-token"])).status_code == 404


def test_a_share_link_to_a_deleted_post_is_not_found(client):
    link = ShareLinkFactory(post__deleted_at=timezone.now())

    assert client.get(reverse("content:shared_post", args=[link.share_token])).status_code == 404


# Reviews


def _review_form(**overrides):
    return {
        "content_type": "album",
        "content_id": "4aawyAB9vmqN3uQ7FjRGTy",
        "content_name": "Global Warming",
        "artist_name": "Pitbull",
        "title": "A summer classic",
        "text_content": "Every track earns its place.",
        "rating": "5",
        **overrides,
    }


def test_a_fan_reviews_an_album_once(client):
    client.force_login(UserFactory())

    first = client.post(reverse("content:review_create"), _review_form())
    again = client.post(reverse("content:review_create"), _review_form(title="Again"))

    assert first.status_code == 302
    assert again.status_code == 400
    assert "already reviewed this album" in again.text
    assert Review.objects.count() == 1


def test_a_rating_of_seven_gets_a_message_and_saves_nothing(client):
    client.force_login(UserFactory())

    response = client.post(reverse("content:review_create"), _review_form(rating="7"))

    assert response.status_code == 400
    assert "A rating is from 1 to 5 stars." in response.text
    assert not Review.objects.exists()


def test_the_item_page_shows_average_and_distribution(client):
    ReviewFactory(content_id="abc", content_name="Blue Hour", rating=5)
    ReviewFactory(content_id="abc", content_name="Blue Hour", rating=2)

    response = client.get(reverse("content:reviewed_item", args=["album", "abc"]))

    assert "<strong>3.5</strong> / 5 from 2 reviews" in response.text
    assert response.context["summary"].distribution[0] == (5, 1, 50)


def test_the_item_page_runs_the_same_queries_for_few_and_many_reviews(
    client, django_assert_num_queries
):
    for n in range(2):
        LikeFactory(on_review=True, review=ReviewFactory(content_id="few", rating=n + 1))
    for n in range(25):
        review = ReviewFactory(content_id="many", rating=n % 5 + 1)
        LikeFactory(on_review=True, review=review)
        CommentFactory(on_review=True, review=review)
    client.force_login(UserFactory())
    # The first request caches the signed-in user (accounts.middleware); compare two after it.
    client.get(reverse("content:reviewed_item", args=["album", "few"]))

    count = _queries(client, reverse("content:reviewed_item", args=["album", "few"]))
    with django_assert_num_queries(count):
        client.get(reverse("content:reviewed_item", args=["album", "many"]))


def test_the_review_page_runs_the_same_queries_for_few_and_many_comments(
    client, django_assert_num_queries
):
    small, big = ReviewFactory(), ReviewFactory()
    CommentFactory(on_review=True, review=small)
    for _ in range(15):
        root = CommentFactory(on_review=True, review=big)
        CommentFactory(post=None, review=big, parent_comment=root)
        LikeFactory(on_comment=True, comment=root)
    client.force_login(UserFactory())
    # The first request caches the signed-in user (accounts.middleware); compare two after it.
    client.get(reverse("content:review_detail", args=[small.pk]))

    count = _queries(client, reverse("content:review_detail", args=[small.pk]))
    with django_assert_num_queries(count):
        client.get(reverse("content:review_detail", args=[big.pk]))


def test_reviews_take_comments(client):
    review = ReviewFactory()
    client.force_login(UserFactory())

    client.post(reverse("content:review_comment", args=[review.pk]), {"content": "Spot on"})

    assert "Spot on" in client.get(reverse("content:review_detail", args=[review.pk])).text


def test_the_artist_review_list_shows_their_average(client):
    artist = ArtistFactory()
    ReviewFactory(artist=artist, rating=4)
    ReviewFactory(artist=artist, rating=5)
    ReviewFactory(rating=1)

    response = client.get(reverse("content:artist_reviews", args=[artist.pk]))

    assert "<strong>4.5</strong> / 5 from 2 reviews" in response.text


def test_the_artist_review_list_runs_the_same_queries_for_few_and_many(
    client, django_assert_num_queries
):
    few, many = ArtistFactory(), ArtistFactory()
    ReviewFactory(artist=few)
    for review in ReviewFactory.create_batch(20, artist=many):
        LikeFactory(on_review=True, review=review)
        CommentFactory(on_review=True, review=review)

    count = _queries(client, reverse("content:artist_reviews", args=[few.pk]))
    with django_assert_num_queries(count):
        client.get(reverse("content:artist_reviews", args=[many.pk]))


def test_the_artist_review_list_goes_page_by_page(client):
    artist = ArtistFactory()
    oldest = ReviewFactory(artist=artist, title="The very first review")
    Review.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=1))
    ReviewFactory.create_batch(20, artist=artist)
    url = reverse("content:artist_reviews", args=[artist.pk])

    first = client.get(url)
    second = client.get(url, {"page": "2"})
    beyond = client.get(url, {"page": "99"})

    assert "The very first review" not in first.text
    assert 'href="?page=2"' in first.text and "Page 1 of 2" in first.text
    assert "The very first review" in second.text
    assert "from 21 reviews" in second.text  # the summary still counts them all
    assert "The very first review" in beyond.text  # a page too far shows the last one


def test_only_the_author_edits_a_review(client):
    review = ReviewFactory(rating=2)
    client.force_login(UserFactory())
    url = reverse("content:review_edit", args=[review.pk])

    assert client.post(url, {"title": "x", "text_content": "y", "rating": "5"}).status_code == 404
    review.refresh_from_db()
    assert review.rating == 2


# Explore


def test_explore_shows_each_viewer_their_own_likes_of_the_shared_popular_posts():
    """The page is one shared fragment: it varies on which popular posts the viewer liked
    (read by a query compiled once per process)."""
    liked, other = PostFactory(), PostFactory()
    for post in (liked, other):
        LikeFactory.create_batch(2, post=post)  # popular this week
    fan, bystander = UserFactory(), UserFactory()
    LikeFactory(user=fan, post=liked)
    pages = {}
    for viewer in (bystander, fan, bystander):  # the bystander renders the fragment first
        browser = Client()
        browser.force_login(viewer)
        pages[viewer] = browser.get(reverse("content:explore")).text

    def pressed(html, post):
        form = re.search(rf'<form class="like-form[^>]*/likes/post/{post.pk}/".*?</form>', html)
        return 'aria-pressed="true"' in form.group(0)

    assert pressed(pages[fan], liked) and not pressed(pages[fan], other)
    assert not pressed(pages[bystander], liked) and not pressed(pages[bystander], other)


def test_explore_runs_the_same_queries_for_few_and_many_items(client, django_assert_num_queries):
    FeaturedItemFactory()
    PostFactory()
    small = _queries(client, reverse("content:explore"))
    FeaturedItemFactory.create_batch(10)
    for post in PostFactory.create_batch(12):
        LikeFactory(post=post)
    cache.clear()  # compare two cold pages: the Redis cache would hide queries

    with django_assert_num_queries(small):
        response = client.get(reverse("content:explore"))

    assert "Popular this week" in response.text
