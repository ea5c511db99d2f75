import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import UserPreferences
from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from content import services
from content.models import Comment, Like, MediaType, Post, Review, ShareLink
from content.tasks import share_links_purge
from content.tests.factories import (
    CommentFactory,
    LikeFactory,
    PostFactory,
    ReviewFactory,
    ShareLinkFactory,
)
from content.tests.uploads import fake_image_upload, image_upload, mp3_upload, mp4_upload
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _served_bytes(url: str) -> bytes:
    """A post's media as its address serves them (to anyone: the posts here are public)."""
    response = Client().get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


# Posts


def test_an_artist_posts_text():
    artist = ArtistFactory()

    post = services.post_create(
        artist=artist, by=artist.user, content_text="  New single on Friday!  ", uploads=[]
    )

    assert post.content_text == "New single on Friday!"
    assert post.media_type == MediaType.NONE
    assert post.media_urls is None


def test_a_picture_is_re_encoded_scaled_down_and_stored():
    artist = ArtistFactory()

    post = services.post_create(
        artist=artist,
        by=artist.user,
        content_text="",
        uploads=[image_upload(size=(3000, 1000), fmt="PNG")],
    )

    assert post.media_type == MediaType.IMAGE
    assert len(post.media_urls) == 1
    with Image.open(io.BytesIO(_served_bytes(post.media_urls[0]))) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1600, 533)


def test_audio_and_video_are_recognised_by_their_bytes():
    artist = ArtistFactory()

    audio = services.post_create(
        artist=artist, by=artist.user, content_text="", uploads=[mp3_upload("demo.bin")]
    )
    video = services.post_create(
        artist=artist, by=artist.user, content_text="", uploads=[mp4_upload()]
    )

    assert audio.media_type == MediaType.AUDIO
    assert audio.media_urls[0].endswith(".mp3")
    assert video.media_type == MediaType.VIDEO
    assert video.media_urls[0].endswith(".mp4")


def test_a_file_pretending_to_be_a_picture_is_refused():
    artist = ArtistFactory()

    with pytest.raises(ValidationError, match="is not a picture, audio"):
        services.post_create(
            artist=artist, by=artist.user, content_text="Look", uploads=[fake_image_upload()]
        )

    assert not Post.objects.exists()


def test_an_audio_file_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr("content.media.MAX_AUDIO_BYTES", 1024)
    artist = ArtistFactory()

    with pytest.raises(ValidationError, match="larger than"):
        services.post_create(
            artist=artist, by=artist.user, content_text="", uploads=[mp3_upload(padding=4096)]
        )

    assert not Post.objects.exists()


def test_pictures_and_audio_cannot_be_mixed():
    artist = ArtistFactory()

    with pytest.raises(ValidationError, match="not a mix"):
        services.post_create(
            artist=artist, by=artist.user, content_text="", uploads=[image_upload(), mp3_upload()]
        )


def test_an_empty_post_is_refused():
    artist = ArtistFactory()

    with pytest.raises(ValidationError, match="Write something or attach"):
        services.post_create(artist=artist, by=artist.user, content_text="   ", uploads=[])

    assert not Post.objects.exists()


def test_nobody_posts_as_someone_elses_artist():
    with pytest.raises(PermissionDenied):
        services.post_create(
            artist=ArtistFactory(), by=UserFactory(), content_text="Hijack", uploads=[]
        )


def test_the_owner_edits_and_soft_deletes_a_post():
    post = PostFactory(content_text="Old")
    owner = post.artist.user

    services.post_update(post=post, by=owner, content_text="New", uploads=[])
    services.post_delete(post=post, by=owner)

    post.refresh_from_db()
    assert post.content_text == "New"
    assert post.deleted_at is not None


def test_someone_else_cannot_edit_or_delete_a_post():
    post = PostFactory(content_text="Mine")

    with pytest.raises(PermissionDenied):
        services.post_update(post=post, by=UserFactory(), content_text="Yours", uploads=[])
    with pytest.raises(PermissionDenied):
        services.post_delete(post=post, by=UserFactory())

    post.refresh_from_db()
    assert post.content_text == "Mine"
    assert post.deleted_at is None


def test_removing_the_media_of_a_text_less_post_is_refused():
    post = PostFactory(with_image=True, content_text=None)

    with pytest.raises(ValidationError, match="needs text or media"):
        services.post_update(
            post=post, by=post.artist.user, content_text="", uploads=[], remove_media=True
        )

    post.refresh_from_db()
    assert post.media_type == MediaType.IMAGE


# Comments


def test_a_reply_carries_its_thread_and_notifies_the_parent_author():
    parent = CommentFactory()
    replier = UserFactory()

    reply = services.comment_create(user=replier, content="So true", parent=parent)

    assert reply.post_id == parent.post_id
    notification = Notification.objects.get(user=parent.user)
    assert notification.notification_type == "comment_reply"
    assert replier.username in notification.title


def test_replying_to_yourself_notifies_nobody():
    parent = CommentFactory()

    services.comment_create(user=parent.user, content="Also…", parent=parent)

    # (The post's artist hears of the comment: test_moderation_notifications.py.)
    assert not Notification.objects.filter(user=parent.user).exists()


def test_a_comment_beyond_the_limit_is_refused():
    post = PostFactory()

    with pytest.raises(ValidationError, match="at most 2,000 characters"):
        services.comment_create(user=UserFactory(), content="x" * 10_000, post=post)

    assert not Comment.objects.exists()


def test_a_reply_to_a_deleted_comment_is_refused():
    parent = CommentFactory()
    services.comment_delete(comment=parent, by=parent.user)

    with pytest.raises(ValidationError, match="was deleted"):
        services.comment_create(user=UserFactory(), content="Hello?", parent=parent)

    assert Comment.objects.count() == 1


def test_a_deleted_post_takes_no_comments():
    post = PostFactory()
    services.post_delete(post=post, by=post.artist.user)

    with pytest.raises(ValidationError, match="post was deleted"):
        services.comment_create(user=UserFactory(), content="Hi", post=post)


def test_only_the_author_edits_a_comment():
    comment = CommentFactory(content="First")

    with pytest.raises(PermissionDenied):
        services.comment_update(comment=comment, by=UserFactory(), content="Changed")
    services.comment_update(comment=comment, by=comment.user, content="Fixed typo")

    comment.refresh_from_db()
    assert comment.content == "Fixed typo"


def test_the_posts_artist_removes_a_fans_comment_but_a_stranger_cannot():
    comment = CommentFactory()

    with pytest.raises(PermissionDenied):
        services.comment_delete(comment=comment, by=UserFactory())
    services.comment_delete(comment=comment, by=comment.post.artist.user)

    comment.refresh_from_db()
    assert comment.deleted_at is not None


# Likes


def test_liking_twice_keeps_one_like_and_unliking_removes_it():
    post = PostFactory()
    fan = UserFactory()

    services.like_set(user=fan, liked=True, post=post)
    state = services.like_set(user=fan, liked=True, post=post)
    assert (state.liked, state.count) == (True, 1)

    state = services.like_set(user=fan, liked=False, post=post)
    assert (state.liked, state.count) == (False, 0)


def test_a_like_that_loses_the_race_is_taken_as_liked():
    like = LikeFactory()
    # The like exists already, as if a concurrent request had just inserted it.

    state = services.like_set(user=like.user, liked=True, post=like.post)

    assert (state.liked, state.count) == (True, 1)


def test_a_like_notifies_the_author_once():
    comment = CommentFactory()
    fan = UserFactory()

    services.like_set(user=fan, liked=True, comment=comment)
    services.like_set(user=fan, liked=True, comment=comment)

    assert Notification.objects.filter(user=comment.user, notification_type="like").count() == 1


def test_liking_a_deleted_post_is_refused():
    post = PostFactory()
    services.post_delete(post=post, by=post.artist.user)

    with pytest.raises(ValidationError, match="deleted"):
        services.like_set(user=UserFactory(), liked=True, post=post)

    assert not Like.objects.exists()


def test_reviews_take_likes():
    review = ReviewFactory()

    state = services.like_set(user=UserFactory(), liked=True, review=review)

    assert state.count == 1


# Share links


def test_a_share_link_has_an_unguessable_token_and_an_optional_expiry():
    post = PostFactory()
    fan = UserFactory()

    forever = services.share_link_create(post=post, by=fan)
    weekly = services.share_link_create(post=post, by=fan, expires_in=timedelta(days=7))

    assert len(forever.share_token) >= 40
    assert forever.share_token != weekly.share_token
    assert forever.expires_at is None
    assert weekly.expires_at > forever.created_at


# Reviews


def _review(**overrides) -> Review:
    fields = {
        "user": UserFactory(),
        "content_type": "album",
        "content_id": "4aawyAB9vmqN3uQ7FjRGTy",
        "content_name": "Global Warming",
        "artist_name": "Pitbull",
        "title": "A summer classic",
        "text_content": "Every track earns its place.",
        "rating": 5,
    }
    return services.review_create(**{**fields, **overrides})


def test_a_fan_reviews_an_album_of_an_artist_not_on_the_platform():
    review = _review(images=[image_upload()])

    assert review.artist is None
    assert review.artist_name == "Pitbull"
    assert len(review.image_urls) == 1


def test_a_review_of_an_onboarded_artist_takes_the_artists_name():
    artist = ArtistFactory(artist_name="Little Simz")

    review = _review(artist=artist, artist_name="whatever")

    assert review.artist == artist
    assert review.artist_name == "Little Simz"


@pytest.mark.parametrize("rating", [0, 7, "5"])
def test_a_rating_outside_one_to_five_is_refused(rating):
    with pytest.raises(ValidationError, match="from 1 to 5"):
        _review(rating=rating)

    assert not Review.objects.exists()


def test_a_fan_reviews_the_same_album_once():
    first = _review()

    with pytest.raises(ValidationError, match="already reviewed this album"):
        _review(user=first.user, title="Again")

    assert Review.objects.count() == 1


def test_only_the_author_edits_a_review():
    review = ReviewFactory(rating=3)

    with pytest.raises(PermissionDenied):
        services.review_update(
            review=review, by=UserFactory(), title="x", text_content="y", rating=1
        )
    services.review_update(
        review=review, by=review.user, title="Grew on me", text_content="…", rating=5
    )

    review.refresh_from_db()
    assert (review.title, review.rating) == ("Grew on me", 5)


# Following


def test_following_and_unfollowing_edits_favorite_artists():
    fan = UserFactory()
    artist = ArtistFactory()

    services.artist_follow(user=fan, artist=artist)
    services.artist_follow(user=fan, artist=artist)
    assert UserPreferences.objects.get(user=fan).favorite_artists == [artist.pk]

    services.artist_unfollow(user=fan, artist=artist)
    assert UserPreferences.objects.get(user=fan).favorite_artists == []


def test_the_share_link_purge_removes_links_expired_over_a_month_ago():
    now = timezone.now()
    kept = [
        ShareLinkFactory(expires_at=None),
        ShareLinkFactory(expires_at=now - timedelta(days=2)),  # still answers 410
    ]
    ShareLinkFactory(expires_at=now - timedelta(days=45))

    assert share_links_purge() == 1
    assert share_links_purge() == 0
    assert set(ShareLink.objects.values_list("pk", flat=True)) == {link.pk for link in kept}


@pytest.mark.parametrize(
    "again",
    [
        {"content_id": " 4AAWYAB9VMQN3UQ7FJRGTY "},
        {"content_id": "other-catalogue-9", "content_name": "global  WARMING"},
        {"content_id": "other-catalogue-9", "content_name": "Ｇｌｏｂａｌ Warming"},
    ],
)
def test_the_same_album_spelled_differently_is_still_reviewed_once(again):
    first = _review()

    with pytest.raises(ValidationError, match="already reviewed this album"):
        _review(user=first.user, **again)

    assert Review.objects.count() == 1


def test_an_album_of_the_same_name_by_another_artist_is_another_album():
    first = _review()

    _review(user=first.user, content_id="other-9", artist_name="Someone Else")

    assert Review.objects.count() == 2


def test_an_artist_cannot_review_their_own_release():
    artist = ArtistFactory(artist_name="Little Simz")

    with pytest.raises(ValidationError, match="cannot review your own album"):
        _review(user=artist.user, artist=artist)
    # Nor by typing their own name instead of choosing the profile.
    with pytest.raises(ValidationError, match="cannot review your own album"):
        _review(user=artist.user, artist_name="little  simz")
    # Negative control: a fan reviews it.
    assert _review(artist=artist).artist == artist


def test_ratings_can_leave_out_brand_new_accounts(settings):
    from accounts.models import User
    from content.selectors import rating_summary

    old_fan, new_fan = UserFactory(), UserFactory()
    User.objects.filter(pk=old_fan.pk).update(created_at=timezone.now() - timedelta(days=30))
    _review(user=old_fan, rating=5)
    _review(user=new_fan, rating=1)
    reviews = Review.objects.all()

    assert rating_summary(reviews).average == 3.0
    settings.REVIEW_MIN_ACCOUNT_AGE_DAYS = 7
    assert (rating_summary(reviews).count, rating_summary(reviews).average) == (1, 5.0)
