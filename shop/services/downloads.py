"""Signed, expiring download links for the digital items of paid orders.

The token names the order item and the link's expiry and is signed with SECRET_KEY, so
it cannot be forged or stretched; the item row stores the current link and expiry, so a
fresh link retires the old one. The view still checks the buyer and the order's status.
A purchase is never lost: fresh links have no lifetime cap, only an hourly rate limit.
"""

import hashlib
import hmac
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from musicplatform.locking import rows_locked_in_order
from shop.models import DownloadUse, Order, OrderItem, OrderStatus, ProductDelivery
from shop.services import ShopError

SALT = "shop.download"
# Statuses in which a buyer owns what they bought.
OWNED_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.PARTLY_SHIPPED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)
RENEWAL_WINDOW_SECONDS = 3600


def delivered_by_catalogue(product) -> bool:
    """A catalogue release's (or track's) product has no file of its own: its link opens
    the tracks in the format the buyer picks (catalogue.views.purchase_download)."""
    return hasattr(product, "release") or hasattr(product, "track")


def _issue(item: OrderItem) -> None:
    expires = timezone.now().replace(microsecond=0) + timedelta(
        days=settings.SHOP_DOWNLOAD_LINK_DAYS
    )
    token = signing.dumps({"item": str(item.pk), "exp": int(expires.timestamp())}, salt=SALT)
    item.download_url = reverse("shop:download", args=[token])
    item.download_expires_at = expires
    item.download_links_issued += 1
    item.save(update_fields=["download_url", "download_expires_at", "download_links_issued"])


def download_links_issue(*, order: Order) -> None:
    """First links for every digital item of a just-paid order (no-op for items with one)."""
    for item in rows_locked_in_order(OrderItem.objects).filter(
        order_id=order.pk, product__delivery=ProductDelivery.DIGITAL, download_url__isnull=True
    ):
        _issue(item)


def _count_renewal(*, item: OrderItem, user) -> None:
    """Count a fresh link in this item's hourly window, or refuse it when the window is full.

    Kept in the `ratelimits` cache, which is PostgreSQL (table `rate_limits`), so the limit
    holds while Redis is down. The caller holds the item's row lock, which serialises the
    read and the write of the count; the window starts at its first link and lasts an hour.
    """
    limits = caches["ratelimits"]
    key = f"shop-download-renewals:{user.pk}:{item.pk}"
    now = time.time()
    started, count = limits.get(key) or (now, 0)
    allowed = settings.SHOP_DOWNLOAD_LINKS_PER_HOUR
    if count >= allowed:
        minutes = max(1, round((started + RENEWAL_WINDOW_SECONDS - now) / 60))
        links = "link" if allowed == 1 else "links"
        raise ShopError(
            f"You can get at most {allowed} new download {links} an hour for one item; "
            f"please try again in {minutes} minutes."
        )
    limits.set(key, (started, count + 1), timeout=max(1, started + RENEWAL_WINDOW_SECONDS - now))


def download_link_renew(*, item: OrderItem, user) -> OrderItem:
    """The item's live link, or a fresh one (rate-limited per hour) when it expired."""
    with transaction.atomic():
        locked = (
            rows_locked_in_order(OrderItem.objects)
            .select_related("order", "product")
            .filter(pk=item.pk)
            .first()
        )
        if locked is None or locked.order.user_id != user.pk:
            raise ShopError("This purchase is not yours.")
        if (
            locked.order.status not in OWNED_STATUSES
            or locked.product.delivery != ProductDelivery.DIGITAL
        ):
            raise ShopError("Only paid digital purchases have download links.")
        if locked.refund_id is not None:
            raise ShopError("This item was refunded; it no longer downloads.")
        if locked.download_expires_at and locked.download_expires_at > timezone.now():
            return locked
        _count_renewal(item=locked, user=user)
        _issue(locked)
    return locked


def download_item_for_token(*, token: str, user) -> OrderItem:
    """The order item a download token opens for `user`, or ShopError saying why not."""
    try:
        data = signing.loads(token, salt=SALT)
        item_id, expires = data["item"], int(data["exp"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise ShopError("This download link is not valid.") from error
    item = OrderItem.objects.select_related("order", "product").filter(pk=item_id).first()
    if item is None or item.order.user_id != user.pk:
        raise ShopError("This download link is not valid.")
    if item.refund_id is not None:
        raise ShopError("This item was refunded; it no longer downloads.")
    if item.order.status not in OWNED_STATUSES:
        raise ShopError("This order is not paid.")
    current = item.download_expires_at
    if current is None or int(current.timestamp()) != expires:
        raise ShopError("This download link was replaced by a newer one; use the order page.")
    if current <= timezone.now():
        raise ShopError("This download link has expired; ask for a fresh one on the order page.")
    if not item.product.digital_file and not delivered_by_catalogue(item.product):
        raise ShopError("The file of this product is missing; please contact support.")
    return item


def download_use_record(*, item: OrderItem, user, ip_address: str) -> DownloadUse:
    """Record that the buyer used the link: from now on the item counts as delivered.

    Under the item's lock, which a refund takes too: a download racing the buyer's
    cancellation is either recorded first (and the item is no longer refunded at once)
    or finds the item refunded and is refused."""
    ip_hash = hmac.new(
        settings.SECRET_KEY.encode(), (ip_address or "").encode(), hashlib.sha256
    ).hexdigest()
    with transaction.atomic():
        locked = rows_locked_in_order(OrderItem.objects).get(pk=item.pk)
        if locked.refund_id is not None:
            raise ShopError("This item was refunded; it no longer downloads.")
        return DownloadUse.objects.create(order_item=locked, user=user, ip_hash=ip_hash)
