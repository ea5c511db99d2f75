"""A community's listing (name, description, fee) and its member counts."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from communities.models import (
    Community,
)
from communities.services import CommunityError
from communities.services.common import (
    invalidate_info,
    require_manager,
)
from musicplatform.validators import validate_single_line


def fee_check(fee) -> Decimal:
    """The one rule for a community's fee (forms and services both ask it): a number with
    at most two decimal places, 0 (a free tier: no payment, docs/payments.md "Tiers") or
    between COMMUNITY_FEE_MIN and COMMUNITY_FEE_MAX."""
    low, high = settings.COMMUNITY_FEE_MIN, settings.COMMUNITY_FEE_MAX
    try:
        fee = Decimal(fee)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise CommunityError("Enter the fee as a number, such as 4.99.") from error
    if not fee.is_finite():
        raise CommunityError("Enter the fee as a number, such as 4.99.")
    # The range first: quantizing a huge number would overflow the decimal context.
    if fee != 0 and not low <= fee <= high:
        raise CommunityError(f"The fee must be 0 (free) or between {low:.2f} and {high:.2f}.")
    if fee != fee.quantize(Decimal("0.01")):
        raise CommunityError("Enter the fee with at most two decimal places, such as 4.99.")
    return fee


def community_create(
    *,
    artist,
    name: str,
    subscription_fee: Decimal,
    subscription_interval: str,
    description: str = "",
) -> Community:
    name = name.strip()
    validate_single_line(name)
    subscription_fee = fee_check(subscription_fee)
    try:
        with transaction.atomic():
            return Community.objects.create(
                artist=artist,
                name=name,
                description=description.strip() or None,
                subscription_fee=subscription_fee,
                subscription_interval=subscription_interval,
            )
    except IntegrityError as error:
        raise CommunityError(f"You already have a community called “{name}”.") from error


def community_update(
    *,
    community: Community,
    by,
    name: str,
    subscription_fee: Decimal,
    subscription_interval: str,
    description: str = "",
) -> Community:
    """A new fee or interval is for new members; current members keep paying what they
    accepted until each accepts the new price (`subscription_accept_price`)."""
    require_manager(community, by)
    name = name.strip()
    validate_single_line(name)
    subscription_fee = fee_check(subscription_fee)
    try:
        with transaction.atomic():
            locked = Community.objects.select_for_update().get(pk=community.pk)
            locked.name = name
            locked.description = description.strip() or None
            locked.subscription_fee = subscription_fee
            locked.subscription_interval = subscription_interval
            locked.save(
                update_fields=["name", "description", "subscription_fee", "subscription_interval"]
            )
    except IntegrityError as error:
        raise CommunityError(f"You already have a community called “{name}”.") from error
    invalidate_info(community.pk)
    if locked.tier_rank is not None:
        # Every tier's page lists the artist's tiers with their fees.
        for tier in Community.objects.filter(artist_id=locked.artist_id, tier_rank__isnull=False):
            invalidate_info(tier.pk)
    return locked


def member_counts_refresh() -> None:
    """Recount every community's members for the rankings (home page, communities list).

    CONCURRENTLY: pages keep reading the previous counts while the new ones are made.
    Through a function that runs as the view's owner (communities/0006): the runtime
    role may not refresh the view itself.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT community_member_counts_refresh()")
