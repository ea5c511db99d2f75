"""Tiers: an artist orders their communities; members move up (paying the prorated
difference now) or down (from the next period); free tiers are joined and left at will.

docs/payments.md, "Tiers".
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import cast

from django.db import transaction
from django.utils import timezone

from communities import selectors
from communities.models import (
    SUBSCRIPTION_PERIODS,
    TIER_CHANGE_TRANSITIONS,
    Community,
    CommunitySubscription,
    SubscriptionInterval,
    SubscriptionStatus,
    SubscriptionTierChange,
    TierChangeKind,
    TierChangeStatus,
)
from communities.services import CommunityError
from communities.services.common import invalidate_info, invalidate_member
from communities.services.subscriptions import (
    notify_new_member,
    subscription_prepare,
    subscription_status_set,
)
from musicplatform.audit.services import status_change
from musicplatform.cache import invalidate_on_commit
from musicplatform.db import CurrentTimestamp
from musicplatform.formatting import money_format
from musicplatform.tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

TIER_CHANGE_ENTITY = "community_tier_change"
TIER_RANK_MAX = 20
# An upgrade whose payment was never started (the request died between the two steps)
# stops blocking a new attempt after this long.
UNSTARTED_UPGRADE_EXPIRY = timedelta(minutes=15)


def community_tiers_set(*, artist, by, ranks: dict) -> list[Community]:
    """Order the artist's communities as tiers: `ranks` maps each community id to its rank
    (1 is the lowest) or None (not a tier). Ranks are distinct whole numbers."""
    if artist.user_id != by.pk:
        raise CommunityError("Only the artist orders their tiers.")
    given = [rank for rank in ranks.values() if rank is not None]
    if any(not isinstance(rank, int) or not 1 <= rank <= TIER_RANK_MAX for rank in given):
        raise CommunityError(f"Give each tier a rank from 1 to {TIER_RANK_MAX}.")
    if len(set(given)) != len(given):
        raise CommunityError("Give each tier its own rank.")
    with transaction.atomic():
        communities = list(
            Community.objects.select_for_update().filter(artist=artist).order_by("pk")
        )
        owned = {community.pk for community in communities}
        if set(ranks) - owned:
            raise CommunityError("Order only your own communities.")
        for community in communities:
            if community.pk in ranks and community.tier_rank != ranks[community.pk]:
                community.tier_rank = ranks[community.pk]
                community.save(update_fields=["tier_rank"])
        # Who sees what changed for every member of the artist's communities.
        member_ids = set(
            CommunitySubscription.objects.filter(community__artist=artist).values_list(
                "user_id", flat=True
            )
        )
        invalidate_on_commit(
            *(
                selectors.access_key(community_id, user_id)
                for community_id in owned
                for user_id in member_ids
            )
        )
    for community_id in owned:
        invalidate_info(community_id)
    return sorted(communities, key=lambda c: (c.tier_rank is None, c.tier_rank or 0, c.name))


@dataclass(frozen=True)
class TierChangeQuote:
    """What moving `subscription` to `to_community` means, as shown to the member."""

    subscription: CommunitySubscription
    to_community: Community
    kind: str
    # Charged now (an upgrade's prorated difference).
    amount: Decimal
    # Charged each period from the change on.
    price: Decimal


def tier_change_quote(*, user, to_community_id, now=None) -> TierChangeQuote:
    """The member's move to another tier of the same artist, priced now; refuses moves
    that are not one (clear messages, nothing changed)."""
    now = now or timezone.now()
    to_community = Community.objects.select_related("artist").filter(pk=to_community_id).first()
    if to_community is None:
        raise CommunityError("That tier no longer exists.")
    if to_community.tier_rank is None:
        raise CommunityError(f"{to_community.name} is not one of the artist's tiers.")
    if to_community.artist.is_removed:
        raise CommunityError(f"{to_community.artist.artist_name} is no longer on the platform.")
    # The community was just read, so its info is there (None only for a missing one).
    info = cast(selectors.CommunityInfo, selectors.community_info(community_id=to_community.pk))
    subscription = selectors.tier_membership(info=info, user=user)
    if subscription is None and _member_of(user_id=user.pk, community_id=to_community.pk, now=now):
        raise CommunityError(f"You are already a member of {to_community.name}.")
    if subscription is None:
        raise CommunityError(
            f"You are not a member of another tier of {to_community.artist.artist_name}; "
            "join this one from its page."
        )
    return _quote(subscription=subscription, to_community=to_community, now=now)


def _member_of(*, user_id, community_id, now) -> bool:
    return (
        CommunitySubscription.objects.members(now=now)
        .filter(user_id=user_id, community_id=community_id)
        .exists()
    )


def _quote(*, subscription, to_community, now) -> TierChangeQuote:
    current = subscription.community
    if _member_of(user_id=subscription.user_id, community_id=to_community.pk, now=now):
        raise CommunityError(f"You are already a member of {to_community.name}.")
    if subscription.billing_interval != to_community.subscription_interval:
        raise CommunityError(
            f"{to_community.name} is billed {to_community.get_subscription_interval_display().lower()}"
            f" and your membership {subscription.get_billing_interval_display().lower()}; "
            "tiers can only be changed within one interval."
        )
    if subscription.status != SubscriptionStatus.ACTIVE:
        raise CommunityError(
            "Changing tier needs a membership that renews and whose last payment went through."
        )
    if to_community.tier_rank > current.tier_rank:
        kind = TierChangeKind.UPGRADE
        amount = selectors.upgrade_charge(
            subscription=subscription, new_price=to_community.subscription_fee, now=now
        )
    else:
        kind, amount = TierChangeKind.DOWNGRADE, Decimal("0.00")
    return TierChangeQuote(
        subscription=subscription,
        to_community=to_community,
        kind=kind,
        amount=amount,
        price=to_community.subscription_fee,
    )


@dataclass(frozen=True)
class TierChangeStarted:
    change: SubscriptionTierChange
    # Where to pay an upgrade's difference; None when nothing is to be paid now.
    redirect_url: str | None


def tier_change_start(
    *, user, to_community_id, amount_shown: Decimal, price_shown: Decimal, site_url: str
) -> TierChangeStarted:
    """Move the member to another tier at the amount and price they were shown: an upgrade
    pays the difference now through the payment service and moves when it completes
    (`tier_change_paid`); a downgrade is scheduled for the end of the period.

    One change per membership is pending at a time: the membership is locked while the
    pending change is looked for and made, so a double submit or a second tab finds it and
    starts no second payment.
    """
    from payments.models import PaymentPurpose
    from payments.services import PaymentError, payment_start

    now = timezone.now()
    quote = tier_change_quote(user=user, to_community_id=to_community_id, now=now)
    if (quote.amount, quote.price) != (amount_shown, price_shown):
        raise CommunityError(
            f"The price changed: moving to {quote.to_community.name} now costs "
            f"{money_format(quote.amount)}, then {money_format(quote.price)} each period. "
            "Check it and confirm again."
        )
    with transaction.atomic():
        subscription = CommunitySubscription.objects.select_for_update(of=("self",)).get(
            pk=quote.subscription.pk
        )
        pending = selectors.pending_tier_change(subscription=subscription)
        if pending is not None and not _abandoned(pending, now):
            if pending.kind == TierChangeKind.DOWNGRADE:
                raise CommunityError(
                    f"You already have a change to {pending.to_community.name} scheduled; "
                    "cancel it first."
                )
            raise CommunityError(
                "Your upgrade payment is already under way; you will be moved once it completes."
            )
        if pending is not None:
            _tier_change_status_set(change=pending, new_status=TierChangeStatus.CANCELLED, by=None)
        if (subscription.end_date, subscription.status) != (
            quote.subscription.end_date,
            SubscriptionStatus.ACTIVE,
        ):
            raise CommunityError("Your membership just changed; check the price and try again.")
        change = SubscriptionTierChange.objects.create(
            subscription=subscription,
            to_community=quote.to_community,
            kind=quote.kind,
            amount=quote.amount,
            price=quote.price,
            billing_interval=subscription.billing_interval,
        )
        if quote.kind == TierChangeKind.DOWNGRADE:
            return TierChangeStarted(change=change, redirect_url=None)
        if quote.amount == 0:
            # Nothing to pay (tiers of one price): the move is made at once.
            _apply(change=change, by=user)
            return TierChangeStarted(change=change, redirect_url=None)
    try:
        payment, redirect_url = payment_start(
            user=user,
            purpose=PaymentPurpose.SUBSCRIPTION,
            target_id=subscription.pk,
            site_url=site_url,
            amount=change.amount,
        )
    except PaymentError as error:
        _tier_change_status_set(change=change, new_status=TierChangeStatus.CANCELLED, by=None)
        raise CommunityError(str(error)) from error
    SubscriptionTierChange.objects.filter(pk=change.pk, payment__isnull=True).update(
        payment=payment
    )
    return TierChangeStarted(change=change, redirect_url=redirect_url)


def _abandoned(change: SubscriptionTierChange, now) -> bool:
    return (
        change.kind == TierChangeKind.UPGRADE
        and change.payment_id is None
        and change.created_at < now - UNSTARTED_UPGRADE_EXPIRY
    )


def _tier_change_status_set(*, change, new_status, by) -> SubscriptionTierChange:
    changed, _ = status_change(
        instance=change,
        new_status=new_status,
        by=by,
        transitions=TIER_CHANGE_TRANSITIONS,
        entity_type=TIER_CHANGE_ENTITY,
    )
    return changed


def tier_change_cancel(*, subscription: CommunitySubscription, by) -> SubscriptionTierChange:
    """The member cancels their scheduled downgrade (an upgrade's payment decides itself)."""
    if subscription.user_id != by.pk:
        raise CommunityError("This membership is not yours.")
    with transaction.atomic():
        locked = CommunitySubscription.objects.select_for_update(of=("self",)).get(
            pk=subscription.pk
        )
        pending = selectors.pending_tier_change(subscription=locked)
        if pending is None or pending.kind != TierChangeKind.DOWNGRADE:
            raise CommunityError("You have no scheduled tier change.")
        return _tier_change_status_set(change=pending, new_status=TierChangeStatus.CANCELLED, by=by)


def _apply(*, change: SubscriptionTierChange, by) -> CommunitySubscription:
    """Move the membership (locked by the caller) to the new tier: the new tier's
    membership takes over the period end, the accepted price and the card payment of the
    period; the old one ends (an upgrade) or stops renewing and runs out (a downgrade)."""
    old = CommunitySubscription.objects.select_for_update(of=("self",)).get(
        pk=change.subscription_id
    )
    new, created = CommunitySubscription.objects.select_for_update(of=("self",)).get_or_create(
        user_id=old.user_id,
        community_id=change.to_community_id,
        defaults={
            "status": SubscriptionStatus.PENDING,
            "is_active": False,
            "end_date": CurrentTimestamp(),
            "price": change.price,
            "billing_interval": change.billing_interval,
        },
    )
    if new.status != SubscriptionStatus.PENDING and not created:
        new, _ = subscription_status_set(
            subscription=new, new_status=SubscriptionStatus.ENDED, by=None
        )
        new, _ = subscription_status_set(
            subscription=new, new_status=SubscriptionStatus.PENDING, by=by
        )
    new, _ = subscription_status_set(
        subscription=new,
        new_status=SubscriptionStatus.ACTIVE,
        by=by,
        end_date=old.end_date,
        start_date=CurrentTimestamp(),
        price=change.price,
        billing_interval=change.billing_interval,
        price_accepted_at=change.created_at,
        payment_id=old.payment_id,
        auto_renew=True,
        grace_until=None,
    )
    if change.kind == TierChangeKind.UPGRADE:
        subscription_status_set(subscription=old, new_status=SubscriptionStatus.ENDED, by=by)
    else:
        subscription_status_set(
            subscription=old, new_status=SubscriptionStatus.CANCELLED, by=by, auto_renew=False
        )
    _tier_change_status_set(change=change, new_status=TierChangeStatus.APPLIED, by=by)
    new.refresh_from_db()
    invalidate_member(new)
    return new


def tier_change_paid(*, payment) -> bool:
    """The payment service's hook for a completed subscription payment (with the payment
    locked): when it pays an upgrade, move the member; whether it did. An upgrade no longer
    possible (the membership ended or changed meanwhile, the tier is gone, or the member
    joined it directly) gives the payment back."""
    subscription_id = (
        SubscriptionTierChange.objects.filter(payment_id=payment.pk)
        .values_list("subscription_id", flat=True)
        .first()
    )
    if subscription_id is None:
        return False
    # The membership before its change: the lock order of tier_change_start.
    old = CommunitySubscription.objects.select_for_update(of=("self",)).get(pk=subscription_id)
    change = SubscriptionTierChange.objects.select_for_update(of=("self",)).get(
        payment_id=payment.pk
    )
    if change.status == TierChangeStatus.APPLIED:
        return True
    if (
        change.status == TierChangeStatus.PENDING
        and old.status == SubscriptionStatus.ACTIVE
        and Community.objects.filter(pk=change.to_community_id).exists()
        and not _member_of(
            user_id=old.user_id, community_id=change.to_community_id, now=timezone.now()
        )
    ):
        _apply(change=change, by=payment.user)
        return True
    from payments.tasks import payment_refund_unwanted

    if change.status == TierChangeStatus.PENDING:
        _tier_change_status_set(change=change, new_status=TierChangeStatus.CANCELLED, by=None)
    enqueue_on_commit(payment_refund_unwanted, str(payment.pk))
    return True


def tier_change_payment_failed(*, payment) -> None:
    """An upgrade's payment failed: the upgrade is dropped, so the member may try again."""
    change = (
        SubscriptionTierChange.objects.filter(
            payment_id=payment.pk, status=TierChangeStatus.PENDING
        )
        .select_for_update(of=("self",))
        .first()
    )
    if change is not None:
        _tier_change_status_set(change=change, new_status=TierChangeStatus.CANCELLED, by=None)


def tier_downgrade_apply_due(*, subscription: CommunitySubscription) -> CommunitySubscription:
    """At renewal (the subscription locked by the renewal job): a scheduled downgrade takes
    effect, and the lower tier's membership is what renews; the higher one runs out at its
    end date."""
    change = selectors.pending_tier_change(subscription=subscription)
    if change is None or change.kind != TierChangeKind.DOWNGRADE:
        return subscription
    if not Community.objects.filter(pk=change.to_community_id).exists():
        _tier_change_status_set(change=change, new_status=TierChangeStatus.CANCELLED, by=None)
        return subscription
    if _member_of(
        user_id=subscription.user_id, community_id=change.to_community_id, now=timezone.now()
    ):
        # They joined the lower tier meanwhile: that membership stays as it is, and the
        # higher one stops renewing as they asked.
        subscription, _ = subscription_status_set(
            subscription=subscription,
            new_status=SubscriptionStatus.CANCELLED,
            by=None,
            auto_renew=False,
        )
        _tier_change_status_set(change=change, new_status=TierChangeStatus.APPLIED, by=None)
        return subscription
    return _apply(change=change, by=None)


def subscription_join_free(*, user, community: Community) -> CommunitySubscription:
    """Join a free tier: no payment, no card; a period starts now."""
    subscription = subscription_prepare(user=user, community=community)
    if subscription.price != 0:
        raise CommunityError("This community is not free any more; check its price.")
    with transaction.atomic():
        subscription, changed = subscription_status_set(
            subscription=subscription,
            new_status=SubscriptionStatus.ACTIVE,
            by=user,
            end_date=timezone.now()
            + SUBSCRIPTION_PERIODS[SubscriptionInterval(subscription.billing_interval)],
        )
        if changed:
            notify_new_member(subscription)
    return subscription


def subscription_leave(*, subscription: CommunitySubscription, by) -> CommunitySubscription:
    """Leave a free membership at once (a paid one stops renewing and runs out instead)."""
    if subscription.user_id != by.pk:
        raise CommunityError("This membership is not yours.")
    with transaction.atomic():
        locked = CommunitySubscription.objects.select_for_update(of=("self",)).get(
            pk=subscription.pk
        )
        if not locked.is_active:
            raise CommunityError("You are not a member any more.")
        if locked.price != 0:
            raise CommunityError(
                "A paid membership is left by cancelling its renewal; you keep access "
                "until the end of the period you paid for."
            )
        locked, _ = subscription_status_set(
            subscription=locked, new_status=SubscriptionStatus.ENDED, by=by
        )
    return locked
