"""Joining a community, paying for it, accepting a new price, cancelling and resuming."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Least, Now
from django.utils import timezone

from communities import selectors
from communities.models import (
    SUBSCRIPTION_PERIODS,
    SUBSCRIPTION_STATUSES_ACTIVE,
    SUBSCRIPTION_TRANSITIONS,
    Community,
    CommunitySubscription,
    SubscriptionRenewal,
    SubscriptionStatus,
)
from communities.services import CommunityError
from communities.services.common import (
    instance_of,
    invalidate_member,
    is_artist_of,
)
from musicplatform.audit.services import status_change
from musicplatform.db import CurrentTimestamp
from musicplatform.tasks import enqueue_on_commit
from notifications.models import NotificationType
from notifications.services import notifications_create


def subscription_status_set(
    *, subscription: CommunitySubscription, new_status: str, by, **fields
) -> tuple[CommunitySubscription, bool]:
    """Every status move of a membership: along SUBSCRIPTION_TRANSITIONS, into
    status_history with who made it (None: the renewal and expiry jobs), with `is_active`
    kept to what the status means and `fields` written in the same UPDATE.

    An ended membership never renews and gives no access past the moment it ended,
    whichever way it ended (a refund in full, the member or the artist leaving)."""
    if new_status == SubscriptionStatus.ENDED:
        fields = {
            "auto_renew": False,
            "grace_until": None,
            "end_date": Least(F("end_date"), Now()),
            **fields,
        }
    locked, changed = status_change(
        instance=subscription,
        new_status=new_status,
        by=by,
        transitions=SUBSCRIPTION_TRANSITIONS,
        entity_type=selectors.SUBSCRIPTION_ENTITY,
        with_fields={"is_active": new_status in SUBSCRIPTION_STATUSES_ACTIVE, **fields},
    )
    if changed:
        if new_status == SubscriptionStatus.ENDED:
            locked.refresh_from_db(fields=["end_date"])
        invalidate_member(locked)
    return locked, changed


def _price_of_today(community: Community) -> dict:
    return {
        "price": community.subscription_fee,
        "billing_interval": community.subscription_interval,
        "price_accepted_at": timezone.now(),
    }


def subscription_prepare(*, user, community: Community) -> CommunitySubscription:
    """The (inactive) subscription a new payment will activate; reused when one exists.

    Someone who still has access is told so instead of paying twice.
    """
    if is_artist_of(community, user):
        raise CommunityError("This is your own community.")
    if selectors.is_banned(community_id=community.pk, user=user):
        raise CommunityError("You were banned from this community and cannot join it again.")
    if community.artist.is_removed:
        raise CommunityError(
            f"{community.artist.artist_name} is no longer on the platform; "
            "this community takes no new members."
        )
    # Database time, as for the payment's payment_date: subscription_paid compares them.
    # The price is the one of the day the member pays for the join (the payment's amount).
    with transaction.atomic():
        community = Community.objects.get(pk=community.pk)
        subscription, created = CommunitySubscription.objects.select_for_update().get_or_create(
            user=user,
            community=community,
            defaults={
                "status": SubscriptionStatus.PENDING,
                "is_active": False,
                "end_date": CurrentTimestamp(),
                "start_date": CurrentTimestamp(),
                **_price_of_today(community),
            },
        )
        if created:
            subscription.refresh_from_db()
            return subscription
        until = subscription.access_until
        if until is not None and until > timezone.now():
            if subscription.grace_until:
                raise CommunityError(
                    "Your renewal payment failed; it is retried automatically, "
                    "or update your card and we will retry."
                )
            raise CommunityError("You are already a member of this community.")
        fields = _price_of_today(community)
        if subscription.status != SubscriptionStatus.PENDING:
            # A membership that ended (the expiry job may not have run yet): a new join
            # from now.
            subscription, _ = subscription_status_set(
                subscription=subscription, new_status=SubscriptionStatus.ENDED, by=None
            )
            subscription, _ = subscription_status_set(
                subscription=subscription, new_status=SubscriptionStatus.PENDING, by=user
            )
            fields.update(
                auto_renew=True,
                grace_until=None,
                start_date=CurrentTimestamp(),
                end_date=Least(F("end_date"), CurrentTimestamp()),
            )
        # Else a join whose checkout is still open: the same join, another attempt.
        for name, value in fields.items():
            setattr(subscription, name, value)
        subscription.save(update_fields=list(fields))
        subscription.refresh_from_db()
    invalidate_member(subscription)
    return subscription


def subscription_checkout_start(*, user, community: Community, site_url: str) -> str:
    """Start paying for a membership; returns where to send the payer (the payment service
    activates the subscription when the payment completes)."""
    from payments.models import PaymentPurpose
    from payments.services import PaymentError, payment_start

    if community.subscription_fee == 0:
        from communities.services.tiers import subscription_join_free

        # A free tier: no payment, no card.
        subscription_join_free(user=user, community=community)
        return community.get_absolute_url()
    subscription = subscription_prepare(user=user, community=community)
    try:
        _, redirect_url = payment_start(
            user=user,
            purpose=PaymentPurpose.SUBSCRIPTION,
            target_id=subscription.pk,
            site_url=site_url,
        )
    except PaymentError as error:
        raise CommunityError(str(error)) from error
    return redirect_url


def subscription_paid(*, payment) -> None:
    """A subscription payment completed (the payment service's hook, with the payment
    locked): one more period at the member's own interval, from the end of the paid one
    or from now, and the grace of a failed renewal is over.

    Two checkouts of the same join that both went through (two tabs, a double click):
    the first one paid; the second is given back and extends nothing.
    """
    from communities.services.tiers import tier_change_paid
    from payments.models import PaymentPurpose, PaymentStatus

    # A renewal's payment is never a tier change's: renewals skip that lookup.
    if SubscriptionRenewal.objects.filter(payment=payment).exists():
        subscription_period_paid(payment=payment, by=None)
        return
    if tier_change_paid(payment=payment):
        return
    subscription = (
        CommunitySubscription.objects.select_for_update(of=("self",))
        .select_related("community__artist", "user")
        .get(pk=payment.subscription_id)
    )
    renewal_payments = SubscriptionRenewal.objects.filter(
        subscription=subscription, payment__isnull=False
    ).values("payment")
    if (
        type(payment)
        .objects.filter(
            subscription_id=subscription.pk,
            purpose=PaymentPurpose.SUBSCRIPTION,
            payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
            payment_date__gte=subscription.start_date,
        )
        .exclude(pk=payment.pk)
        .exclude(pk__in=renewal_payments)
        .exists()
    ):
        from payments.tasks import payment_refund_unwanted

        enqueue_on_commit(payment_refund_unwanted, str(payment.pk))
        return
    subscription_period_paid(payment=payment, by=payment.user)
    notify_new_member(subscription)


def subscription_period_paid(*, payment, by) -> None:
    """The period a membership's completed payment paid, a join's (`by`: the payer) or a
    renewal's (`by` None: the renewal job, which calls this itself when its charge
    completes, knowing what it charged for)."""
    # A renewal's subscription is locked by the renewal that charged it (or, paid later
    # through the gateway's news, by this UPDATE, after the payment: the same order).
    extended = _period_extend(subscription_id=payment.subscription_id, payment_id=payment.pk)
    subscription = extended.subscription
    if subscription.status not in {SubscriptionStatus.CANCELLED, SubscriptionStatus.ACTIVE}:
        # A member who stopped renewing and then paid (a renewal they confirmed late)
        # keeps "not renewing"; everyone else is active (a renewal usually finds them
        # so already: no move, no history). The payer joins; the renewal job renews.
        subscription_status_set(
            subscription=subscription, new_status=SubscriptionStatus.ACTIVE, by=by
        )
    invalidate_member(subscription, tiers_below=extended.tiers_below)


# One more period at the member's own interval, from the end of the paid one or from now,
# paid by the payment; the grace of a failed renewal is over. One statement, which also
# locks the row when no one has (news of a payment the member confirmed later), and
# returns the tiers below the community, whose cached access the member's changes too.
_PERIOD_EXTEND = f"""
UPDATE community_subscriptions
SET end_date = GREATEST(end_date, %(now)s) + CASE billing_interval {
    " ".join(
        f"WHEN %(interval_{i})s THEN %(period_{i})s::interval"
        for i in range(len(SUBSCRIPTION_PERIODS))
    )
} END, payment_id = %(payment_id)s, grace_until = NULL
WHERE subscription_id = %(subscription_id)s
RETURNING user_id, community_id, status, end_date, ARRAY({
    selectors.TIERS_BELOW.format(community_id="community_subscriptions.community_id")
})
"""  # noqa: S608 - placeholders and a query of ours; values are parameters
_PERIODS_BY_INTERVAL: dict[str, Any] = {
    key: value
    for i, (interval, period) in enumerate(SUBSCRIPTION_PERIODS.items())
    for key, value in ((f"interval_{i}", str(interval)), (f"period_{i}", period))
}


@dataclass(frozen=True)
class _Extended:
    # Its id, member, community, status and new end date.
    subscription: CommunitySubscription
    tiers_below: list


def _period_extend(*, subscription_id, payment_id) -> _Extended:
    """The membership with what paying for a period changed, and its community's tiers
    below."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PERIOD_EXTEND,
            {
                "subscription_id": subscription_id,
                "payment_id": payment_id,
                "now": timezone.now(),
                **_PERIODS_BY_INTERVAL,
            },
        )
        row = cursor.fetchone()
    user_id, community_id, status, end_date, tiers_below = row
    subscription = instance_of(
        CommunitySubscription,
        {
            "id": subscription_id,
            "user_id": user_id,
            "community_id": community_id,
            "status": status,
            "end_date": end_date,
        },
    )
    return _Extended(subscription=subscription, tiers_below=tiers_below)


def notify_new_member(subscription: CommunitySubscription) -> None:
    artist_user_id = subscription.community.artist.user_id
    if artist_user_id:
        notifications_create(
            recipient_ids=[artist_user_id],
            notification_type=NotificationType.NEW_MEMBER,
            title=f"{subscription.user.display_name} joined {subscription.community.name}",
            message="A new member subscribed to your community.",
            resource_type="community",
            resource_id=subscription.community_id,
        )


def subscription_refunded(*, payment, by=None) -> None:
    """A refund of a subscription payment: the membership ends when the payment of its
    current period is refunded in full; `by` is who refunded (None: the gateway told us)."""
    from payments.models import PaymentStatus

    if payment.payment_status != PaymentStatus.REFUNDED:
        return
    # By the period it paid, not the payment's own subscription: a member who changed tier
    # holds that period in the new tier's membership (communities.services.tiers).
    paid_by_it = (
        CommunitySubscription.objects.select_for_update(of=("self",))
        .filter(payment_id=payment.pk)
        .exclude(status=SubscriptionStatus.ENDED)
        .order_by("pk")
    )
    for subscription in paid_by_it:
        subscription_status_set(
            subscription=subscription, new_status=SubscriptionStatus.ENDED, by=by
        )


def subscription_accept_price(
    *, subscription: CommunitySubscription, by, fee: Decimal, interval: str
) -> CommunitySubscription:
    """The member accepts the community's current price, the one they were shown (`fee`,
    `interval`): it is charged from their next renewal; the current period stays paid."""
    if subscription.user_id != by.pk:
        raise CommunityError("This membership is not yours.")
    with transaction.atomic():
        locked = (
            CommunitySubscription.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=subscription.pk)
        )
        until = locked.access_until
        if until is None or until <= timezone.now():
            raise CommunityError("This membership has ended; subscribe again to join.")
        community = locked.community
        if (fee, interval) != (community.subscription_fee, community.subscription_interval):
            raise CommunityError(
                f"The price changed again: it is now ${community.subscription_fee} / "
                f"{community.get_subscription_interval_display().lower()}. "
                "Check it and accept it again if you agree."
            )
        if not locked.new_price_offered:
            return locked
        from payments.models import PaymentStatus

        if SubscriptionRenewal.objects.filter(
            subscription=locked,
            payment__payment_status__in=[PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION],
        ).exists():
            # That payment was made at the old price and pays a period of the old interval.
            raise CommunityError(
                "Your renewal payment is still in progress; switch to the new price once it "
                "went through."
            )
        fields = _price_of_today(community)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
    invalidate_member(locked)
    return locked


def subscription_cancel(*, subscription: CommunitySubscription, by) -> CommunitySubscription:
    """Stop renewing; access stays until the end date."""
    return _set_auto_renew(subscription=subscription, by=by, auto_renew=False)


def subscription_resume(*, subscription: CommunitySubscription, by) -> CommunitySubscription:
    """Renew again, as long as the membership has not ended."""
    return _set_auto_renew(subscription=subscription, by=by, auto_renew=True)


def _set_auto_renew(*, subscription, by, auto_renew: bool) -> CommunitySubscription:
    with transaction.atomic():
        locked = CommunitySubscription.objects.select_for_update().get(pk=subscription.pk)
        until = locked.access_until
        if until is None or until <= timezone.now():
            raise CommunityError("This membership has ended; subscribe again to join.")
        if locked.auto_renew == auto_renew:
            return locked
        if auto_renew:
            # Back to where it was: a renewal still being retried is in grace again.
            new_status = (
                SubscriptionStatus.GRACE if locked.grace_until else SubscriptionStatus.ACTIVE
            )
        else:
            new_status = SubscriptionStatus.CANCELLED
        locked, _ = subscription_status_set(
            subscription=locked, new_status=new_status, by=by, auto_renew=auto_renew
        )
    return locked
