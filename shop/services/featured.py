from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from artists.models import Artist
from shop.models import FeaturedItem, FeaturedItemType, Product
from shop.selectors import featured_items_live
from shop.services import ShopError

MAX_PLACEMENT_DAYS = 90


def featured_placement_build(
    *, user, item_type: str, item_id: str, start_date: datetime, end_date: datetime
) -> FeaturedItem:
    """An artist's placement of their profile or product, checked but not saved yet.

    `featured_placement_pay` saves it together with its pending payment (a
    placement without a payment would count as staff-curated, hence live); it goes live
    when that payment completes (selectors.featured_items_live).
    """
    if item_type == FeaturedItemType.ARTIST:
        owned = Artist.objects.filter(pk=item_id, user_id=user.pk).exists()
    elif item_type == FeaturedItemType.PRODUCT:
        owned = Product.objects.filter(pk=item_id, artist__user_id=user.pk, is_active=True).exists()
    else:
        raise ShopError("Feature your artist profile or one of your products.")
    if not owned:
        raise ShopError("You can only feature your own artist profile or active products.")
    today = timezone.localdate()
    if start_date.date() < today:
        raise ShopError("The placement cannot start in the past.")
    if end_date <= start_date:
        raise ShopError("The placement must end after it starts.")
    if end_date - start_date > timedelta(days=MAX_PLACEMENT_DAYS):
        raise ShopError(f"A placement lasts at most {MAX_PLACEMENT_DAYS} days.")
    return FeaturedItem(
        item_type=item_type, item_id=str(item_id), start_date=start_date, end_date=end_date
    )


def featured_placement_pay(*, user, featured_item: FeaturedItem, site_url: str):
    """Save a built placement with its pending payment, in one transaction (so it is never
    live without being paid), then open the gateway's checkout: (payment, where to pay)."""
    from payments.models import PaymentPurpose
    from payments.services import payment_checkout_open, payment_create

    with transaction.atomic():
        featured_item.save()
        created = payment_create(
            user=user, purpose=PaymentPurpose.FEATURED, target_id=featured_item.pk
        )
    return created.payment, payment_checkout_open(created=created, site_url=site_url)


STAFF_PLACEMENT_DAYS = 14


def featured_products_curate(*, product_ids: Iterable[UUID]) -> list[FeaturedItem]:
    return featured_items_curate(item_type=FeaturedItemType.PRODUCT, item_ids=product_ids)


def featured_items_curate(*, item_type: str, item_ids: Iterable[UUID]) -> list[FeaturedItem]:
    """Staff's placements of products (or catalogue releases, as albums) on the explore
    page, live at once for STAFF_PLACEMENT_DAYS (no payment: curated); items already live
    there are left as they are, so running it twice features nothing twice."""
    ids = {str(pk) for pk in item_ids}
    live = set(
        featured_items_live()
        .filter(item_type=item_type, item_id__in=ids)
        .values_list("item_id", flat=True)
    )
    now = timezone.now()
    # One save each (a handful from an admin action): post_save drops the explore page's
    # cached featured section, which bulk_create would not.
    with transaction.atomic():
        return [
            FeaturedItem.objects.create(
                item_type=item_type,
                item_id=item_id,
                start_date=now,
                end_date=now + timedelta(days=STAFF_PLACEMENT_DAYS),
            )
            for item_id in sorted(ids - live)
        ]
