import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from content.models import Comment, Like, Post, Review
from content.tests.factories import CommentFactory, LikeFactory, PostFactory

pytestmark = pytest.mark.django_db


def test_a_user_cannot_like_the_same_post_twice():
    like = LikeFactory()

    with (
        pytest.raises(IntegrityError, match="likes_user_id_post_id_comment_id_review_id_key"),
        transaction.atomic(),
    ):
        Like.objects.create(user=like.user, post=like.post)

    assert Like.objects.filter(user=like.user, post=like.post).count() == 1


def test_a_user_cannot_like_the_same_comment_twice():
    like = LikeFactory(on_comment=True)

    with (
        pytest.raises(IntegrityError, match="likes_user_id_post_id_comment_id_review_id_key"),
        transaction.atomic(),
    ):
        Like.objects.create(user=like.user, comment=like.comment)

    assert Like.objects.filter(user=like.user, comment=like.comment).count() == 1


def test_a_user_cannot_like_the_same_review_twice():
    like = LikeFactory(on_review=True)

    with (
        pytest.raises(IntegrityError, match="likes_user_id_post_id_comment_id_review_id_key"),
        transaction.atomic(),
    ):
        Like.objects.create(user=like.user, review=like.review)

    assert Like.objects.filter(user=like.user, review=like.review).count() == 1


def test_another_user_can_like_the_same_post():
    like = LikeFactory()

    Like.objects.create(user=UserFactory(), post=like.post)

    assert like.post.likes.count() == 2


def test_a_user_can_like_two_different_posts():
    like = LikeFactory()

    Like.objects.create(user=like.user, post=PostFactory())

    assert like.user.likes.count() == 2


def test_a_like_without_a_target_is_rejected():
    user = UserFactory()

    with pytest.raises(IntegrityError, match="likes_check"), transaction.atomic():
        Like.objects.create(user=user)

    assert not Like.objects.exists()


def test_a_like_of_both_a_post_and_a_comment_is_rejected():
    comment = CommentFactory()

    with pytest.raises(IntegrityError, match="likes_check"), transaction.atomic():
        Like.objects.create(user=UserFactory(), post=comment.post, comment=comment)

    assert not Like.objects.exists()


def _review_with_rating(rating: int) -> Review:
    return Review.objects.create(
        user=UserFactory(),
        content_type="album",
        content_id="4aawyAB9vmqN3uQ7FjRGTy",
        content_name="Global Warming",
        title="Still a summer classic",
        text_content="Every track earns its place.",
        rating=rating,
    )


@pytest.mark.parametrize("rating", [0, 6])
def test_a_review_rating_outside_one_to_five_is_rejected(rating):
    with pytest.raises(IntegrityError, match="reviews_rating_check"), transaction.atomic():
        _review_with_rating(rating)

    assert not Review.objects.exists()


@pytest.mark.parametrize("rating", [1, 5])
def test_a_review_rating_of_one_or_five_is_accepted(rating):
    review = _review_with_rating(rating)

    assert Review.objects.get(pk=review.pk).rating == rating


def test_a_comment_on_no_post_parent_or_review_is_rejected():
    with pytest.raises(IntegrityError, match="comments_check"), transaction.atomic():
        Comment.objects.create(user=UserFactory(), content="Floating in the void")

    assert not Comment.objects.exists()


def test_a_reply_with_only_a_parent_comment_is_accepted():
    parent = CommentFactory()

    reply = Comment.objects.create(user=UserFactory(), parent_comment=parent, content="Agreed!")

    assert Comment.objects.get(pk=reply.pk).parent_comment == parent


def test_deleting_a_post_in_sql_deletes_its_comments_and_likes():
    post = PostFactory()
    comment = CommentFactory(post=post)
    reply = CommentFactory(post=None, parent_comment=comment)
    post_like = LikeFactory(post=post)
    comment_like = LikeFactory(on_comment=True, comment=comment)
    other_comment = CommentFactory()

    # Raw SQL, so that no Django collector can be what removes the dependent rows.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM posts WHERE post_id = %s", [post.pk])

    assert not Comment.objects.filter(pk__in=[comment.pk, reply.pk]).exists()
    assert not Like.objects.filter(pk__in=[post_like.pk, comment_like.pk]).exists()
    assert Comment.objects.filter(pk=other_comment.pk).exists()


def test_updating_a_post_with_queryset_update_moves_updated_at_to_now():
    artist = ArtistFactory()
    post_id = uuid.uuid4()
    # Inserted by SQL with an old timestamp: the trigger fires on UPDATE only.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO posts (post_id, artist_id, content_text, updated_at) "
            "VALUES (%s, %s, 'Old news', '2000-01-01T00:00:00Z')",
            [post_id, artist.pk],
        )
    assert Post.objects.get(pk=post_id).updated_at.year == 2000

    Post.objects.filter(pk=post_id).update(content_text="x")

    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        (transaction_start,) = cursor.fetchone()
    assert Post.objects.get(pk=post_id).updated_at == transaction_start
