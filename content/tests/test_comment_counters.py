"""posts/reviews.comments_count, kept by triggers on comments, always equals the live
comments (replies included, removed ones not)."""

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from content import services
from content.models import Comment, Post, Review
from content.tests.factories import CommentFactory, PostFactory, ReviewFactory
from shop.tests.test_concurrency import run_together

FACTORIES = {"post": PostFactory, "review": ReviewFactory}


def _counter(target) -> int:
    return type(target).objects.values_list("comments_count", flat=True).get(pk=target.pk)


def _live(target) -> int:
    kind = "post" if isinstance(target, Post) else "review"
    return Comment.objects.filter(**{kind: target}, deleted_at__isnull=True).count()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", FACTORIES)
def test_comments_replies_and_removals_move_the_count_of_their_target_only(kind):
    target, other = FACTORIES[kind](), FACTORIES[kind]()
    fan, artist = UserFactory(), UserFactory()

    first = services.comment_create(user=fan, content="Love it", **{kind: target})
    services.comment_create(user=artist, content="Thanks!", parent=first, **{kind: target})
    services.comment_create(user=fan, content="Elsewhere", **{kind: other})
    assert (_counter(target), _counter(other)) == (2, 1)

    services.comment_delete(comment=first, by=fan)  # stays as a placeholder for its reply
    services.comment_delete(comment=first, by=fan)
    assert _counter(target) == 1

    Comment.objects.filter(pk=first.pk).update(deleted_at=None)  # restored by staff
    CommentFactory.create_batch(3, **{kind: target})
    Comment.objects.filter(**{kind: target}, parent_comment=None).exclude(pk=first.pk).delete()

    assert _counter(target) == _live(target) == 2
    assert _counter(other) == _live(other) == 1


@pytest.mark.django_db
def test_a_batch_of_comments_and_of_removals_counts_each_post_once_per_row():
    posts = PostFactory.create_batch(3)
    CommentFactory.create_batch(4, post=posts[0])
    CommentFactory.create_batch(2, post=posts[1])

    Comment.objects.filter(post__in=posts[:2]).update(deleted_at=timezone.now())
    Comment.objects.filter(post=posts[0]).update(deleted_at=None)

    assert [_counter(post) for post in posts] == [4, 0, 0]


# Committed step by step, so that each statement has its own database clock.
@pytest.mark.django_db(transaction=True)
def test_a_comment_is_not_an_edit_of_its_post():
    post = PostFactory()

    services.comment_create(user=UserFactory(), content="First!", post=post)
    commented = Post.objects.get(pk=post.pk)

    assert (commented.comments_count, commented.updated_at) == (1, post.updated_at)


@pytest.mark.django_db(transaction=True)
def test_fans_commenting_at_once_leave_the_exact_count():
    review = ReviewFactory()
    fans = UserFactory.create_batch(12)

    results = run_together(
        len(fans),
        lambda i: services.comment_create(user=fans[i], content=f"Take {i}", review=review),
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert _counter(review) == _live(review) == 12
    assert Review.objects.get(pk=review.pk).comments_count == 12
