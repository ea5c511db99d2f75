"""An artist's shipping rates: one per country, and one for the rest of the world."""

from decimal import Decimal

from django.db import transaction

from shop.models import ShippingRate
from shop.services import ShopError


def shipping_rate_set(*, artist, country: str | None, amount: Decimal) -> ShippingRate:
    """Set the artist's rate for `country` (None: the rest of the world), replacing the
    one it had; orders already placed keep the shipping they were charged."""
    if amount < 0:
        raise ShopError("A shipping rate cannot be negative.")
    with transaction.atomic():
        rate, _ = ShippingRate.objects.update_or_create(
            artist=artist, country=country or None, defaults={"amount": amount}
        )
    return rate


def shipping_rate_delete(*, rate_id, user):
    """Remove one of the user's artists' rates (the artist's id); anyone else's is
    answered as missing."""
    rate = ShippingRate.objects.filter(pk=rate_id, artist__user_id=user.pk).first()
    if rate is None:
        raise ShippingRate.DoesNotExist
    rate.delete()
    return rate.artist_id
