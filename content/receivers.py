"""Cache invalidation for the explore page: staff curate featured items in the admin, so
saves from anywhere (not only our services) must drop the cached section."""

from django.db.models.signals import post_delete, post_save

from artists.models import Artist
from artists.signals import artists_featured
from content.models import Review
from content.selectors import FEATURED_CACHE_KEY
from musicplatform.cache import invalidate_on_commit
from payments.models import PaymentPurpose
from payments.signals import payment_completed, payment_refunded
from shop.models import FeaturedItem, Product


def forget_featured(**_) -> None:
    invalidate_on_commit(FEATURED_CACHE_KEY)


def forget_featured_paid(*, payment, **_) -> None:
    if payment.purpose == PaymentPurpose.FEATURED:
        forget_featured()


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
