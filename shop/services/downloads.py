"""Signed, expiring download links for the digital items of paid orders.

The token names the order item and the link's expiry and is signed with SECRET_KEY, so
it cannot be forged or stretched; the item row stores the current link and expiry, so a
fresh link retires the old one. The view still checks the buyer and the order's status.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shop.lock_objects import order_item_qs_select_for_update
from shop.models import Order, OrderItem, OrderStatus, ProductType
from shop.services import ShopError

SALT = "shop.download"
DIGITAL_TYPES = (ProductType.MUSIC_DOWNLOAD, ProductType.EXCLUSIVE_RELEASE)
# Statuses in which a buyer owns what they bought.
OWNED_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def delivered_by_catalogue(product) -> bool:
    """A catalogue release's product has no file of its own: its link opens the release's
    tracks in the format the buyer picks (catalogue.views.purchase_download)."""
    return hasattr(product, "release")


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
    for item in order_item_qs_select_for_update().filter(
        order_id=order.pk, product__product_type__in=DIGITAL_TYPES, download_url__isnull=True
    ):
        _issue(item)


def download_link_renew(*, item: OrderItem, user) -> OrderItem:
    """A fresh link for an expired one, a limited number of times; a live link is kept."""
    with transaction.atomic():
        item = (
            order_item_qs_select_for_update()
            .select_related("order", "product")
            .filter(pk=item.pk)
            .first()
        )
        if item is None or item.order.user_id != user.pk:
            raise ShopError("This purchase is not yours.")
        if (
            item.order.status not in OWNED_STATUSES
            or item.product.product_type not in DIGITAL_TYPES
        ):
            raise ShopError("Only paid digital purchases have download links.")
        if item.download_expires_at and item.download_expires_at > timezone.now():
            return item
        if item.download_links_issued >= settings.SHOP_DOWNLOAD_LINKS_MAX:
            raise ShopError("This purchase has had all its download links; please contact support.")
        _issue(item)
    return item


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
