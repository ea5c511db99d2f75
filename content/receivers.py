"""Cache invalidation for the explore page: staff curate featured items in the admin, so
saves from anywhere (not only our services) must drop the cached section. Likewise the
post pages' kept pages of comments (content.selectors.post_comment_page): a comment saved
or deleted from anywhere, and a user whose name may have changed."""

from django.db.models.signals import post_delete, post_save

from accounts.models import User
from artists.models import Artist
from artists.signals import artists_featured
from content.models import Comment, Like, Review
from content.selectors import FEATURED_CACHE_KEY
from content.services import comment_thread_forget, comment_threads_forget_all
from musicplatform.cache import invalidate_on_commit
from payments.models import PaymentPurpose
from payments.signals import payment_completed, payment_refunded
from shop.models import FeaturedItem, Product


def forget_featured(**_) -> None:
    invalidate_on_commit(FEATURED_CACHE_KEY)


def forget_featured_paid(*, payment, **_) -> None:
    if payment.purpose == PaymentPurpose.FEATURED:
        forget_featured()


def forget_comment_thread(*, instance: Comment, **_) -> None:
    comment_thread_forget(post_ids=[instance.post_id])


def forget_comment_liked(*, instance: Like, **_) -> None:
    """A comment liked from anywhere (`like_set`, the admin, seed_demo); unlikes are
    `like_set`'s and the admin's (a receiver of deletions would make every unlike read
    its like before deleting it)."""
    if instance.comment_id:
        comment_thread_forget(post_ids=[instance.comment.post_id])


def forget_comment_threads(*, update_fields=None, **_) -> None:
    """A user saved with their name possibly changed (anything but a save naming its
    fields without `username`: the last login's), or deleted (their comments with them)."""
    if update_fields is None or "username" in update_fields:
        comment_threads_forget_all()


def connect() -> None:
    # A paid placement goes live (and a refunded one leaves) when its payment moves, which
    # saves no featured item: the move itself drops the section, on commit.
    payment_completed.connect(forget_featured_paid, dispatch_uid="featured-payment-completed")
    payment_refunded.connect(forget_featured_paid, dispatch_uid="featured-payment-refunded")
    artists_featured.connect(forget_featured, dispatch_uid="featured-artists-featured")
    for model in (FeaturedItem, Artist, Product, Review):
        post_save.connect(forget_featured, sender=model, dispatch_uid=f"featured-{model.__name__}")
        post_delete.connect(
            forget_featured, sender=model, dispatch_uid=f"featured-{model.__name__}"
        )
    post_save.connect(forget_comment_thread, sender=Comment, dispatch_uid="thread-comment")
    post_delete.connect(forget_comment_thread, sender=Comment, dispatch_uid="thread-comment")
    post_save.connect(forget_comment_threads, sender=User, dispatch_uid="threads-user")
    post_delete.connect(forget_comment_threads, sender=User, dispatch_uid="threads-user")
    post_save.connect(forget_comment_liked, sender=Like, dispatch_uid="thread-like")
