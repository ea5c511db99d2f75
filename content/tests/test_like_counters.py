"""posts/comments/reviews.likes_count, kept by triggers on likes, always equals the likes."""

import pytest

from accounts.tests.factories import UserFactory
from content import services
from content.models import Comment, Like, Post, Review
from content.tests.factories import CommentFactory, LikeFactory, PostFactory, ReviewFactory
from shop.tests.test_concurrency import run_together

MODELS = {"post": Post, "comment": Comment, "review": Review}
FACTORIES = {"post": PostFactory, "comment": CommentFactory, "review": ReviewFactory}


def _counter(target) -> int:
    return type(target).objects.values_list("likes_count", flat=True).get(pk=target.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", MODELS)
def test_likes_and_unlikes_move_the_counter_and_repeats_do_not(kind):
    target, other = FACTORIES[kind](), FACTORIES[kind]()
    first, second = UserFactory(), UserFactory()

    services.like_set(user=first, liked=True, **{kind: target})
    services.like_set(user=second, liked=True, **{kind: target})
    services.like_set(user=second, liked=True, **{kind: target})
    assert _counter(target) == 2
    services.like_set(user=first, liked=False, **{kind: target})
    services.like_set(user=first, liked=False, **{kind: target})

    assert _counter(target) == 1
    assert _counter(other) == 0


# Committed step by step, so that each statement has its own database clock.
@pytest.mark.django_db(transaction=True)
def test_a_like_is_not_an_edit_but_an_edit_still_is():
    post = PostFactory()

    services.like_set(user=UserFactory(), liked=True, post=post)
    liked = Post.objects.get(pk=post.pk)
    Post.objects.filter(pk=post.pk).update(content_text="Edited")
    edited = Post.objects.get(pk=post.pk)

    assert (liked.likes_count, liked.updated_at) == (1, post.updated_at)
    assert edited.updated_at > post.updated_at


@pytest.mark.django_db
def test_likes_removed_with_their_fan_leave_the_counts():
    post = PostFactory()
    comment = CommentFactory(post=post)
    leaving, staying = UserFactory(), UserFactory()
    LikeFactory(post=post, user=leaving)
    LikeFactory(post=post, user=staying)
    LikeFactory(on_comment=True, comment=comment, user=leaving)

    leaving.delete()  # the database cascades to the fan's likes

    assert (_counter(post), _counter(comment)) == (1, 0)


@pytest.mark.django_db(transaction=True)
def test_twenty_fans_liking_and_unliking_one_post_at_once_leave_the_exact_count():
    post = PostFactory()
    leaving = UserFactory.create_batch(10)
    for fan in leaving:
        LikeFactory(post=post, user=fan)
    arriving = UserFactory.create_batch(10)
    moves = [(fan, True) for fan in arriving] + [(fan, False) for fan in leaving]

    results = run_together(
        len(moves), lambda i: services.like_set(user=moves[i][0], liked=moves[i][1], post=post)
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert _counter(post) == Like.objects.filter(post=post).count() == 10
