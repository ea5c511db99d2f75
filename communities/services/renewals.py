"""Renewing memberships, and ending them: expiry, or at once when the member or the artist left."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import DELETED_USERNAME_PREFIX
from communities import selectors
from communities.models import (
    SUBSCRIPTION_PERIODS,
    Community,
    CommunitySubscription,
    SubscriptionInterval,
    SubscriptionRenewal,
    SubscriptionStatus,
    TierChangeStatus,
)
from communities.services.common import instance_of, invalidate_member
from communities.services.subscriptions import subscription_period_paid, subscription_status_set
from communities.services.tiers import tier_downgrade_apply_due
from musicplatform.db import instance_from_row
from musicplatform.tasks import enqueue_on_commit
from notifications.models import NotificationType
from notifications.services import Notice, notices_create, notifications_create
from payments.models import Payment, PaymentStatus
from payments.purposes import Completed, CompletionHook

if TYPE_CHECKING:
    from payments.services import SavedChargeLock

logger = logging.getLogger(__name__)

# Renewals are charged this long before the period ends, so a decline leaves time to retry.
RENEWAL_LEAD = timedelta(days=1)
GRACE_PERIOD = timedelta(days=3)
RETRY_INTERVAL = timedelta(days=1)


# Whatever state its rows are in, a membership is never renewed for someone who left
# (a deleted or deactivated account: deleted_at is set for both) nor for the community
# of an artist who left or was suspended.
STILL_ON_THE_PLATFORM = models.Q(
    user__deleted_at__isnull=True, community__artist__removed_at__isnull=True
)


def subscriptions_due_ids(*, now: datetime | None = None) -> list:
    """Auto-renewing subscriptions whose period ends within RENEWAL_LEAD and whose grace
    (if any) is not over, of members and artists still on the platform."""
    now = now or timezone.now()
    return list(
        CommunitySubscription.objects.filter(
            STILL_ON_THE_PLATFORM, is_active=True, auto_renew=True, end_date__lte=now + RENEWAL_LEAD
        )
        .exclude(grace_until__lte=now)
        .order_by("end_date")
        .values_list("pk", flat=True)
    )


def _columns(model: type[models.Model], alias: str) -> str:
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)


# The due subscription (FOR NO KEY UPDATE, SKIP LOCKED: one another worker is renewing
# is its business, not ours) with its community's name and artist, in one statement of
# our own, so that taking the lock compiles no ORM query.
#
# The member's and the artist's rows are held FOR SHARE while they are still on the
# platform (STILL_ON_THE_PLATFORM), so an account deletion or an artist's removal either
# committed before this, and the subscription is not due, or waits until the charge is
# settled; one under way makes this run skip it (SKIP LOCKED: never waiting, so no
# deadlock whatever order the rows are locked in), and the next run sees it done. Shared,
# not exclusive: renewals of one artist's members (or of one member's several
# memberships) run side by side instead of skipping each other. The ORM can lock neither
# FOR SHARE nor different tables with different strengths, hence the SQL.
#
# The charge's transaction locks the payment to charge in this statement too: the payment
# service's part (`payments.services.SavedChargeLock`: its columns, joins and locking
# clause, in the `charge_*` slots, empty for the first transaction). Its clause comes last:
# PostgreSQL locks a row's tables in the order of the clauses, so the payment is locked
# only once the subscription is (a worker that skips the subscription never waits for the
# payment of another's charge), the lock order of the two statements this replaced.
_LOCK_DUE = f"""
SELECT {_columns(CommunitySubscription, "s")}, c.name, c.artist_id{{charge_columns}}
FROM community_subscriptions s
JOIN communities c ON c.community_id = s.community_id
JOIN users u ON u.user_id = s.user_id
JOIN artists a ON a.artist_id = c.artist_id{{charge_joins}}
WHERE s.subscription_id = %(subscription_id)s AND s.is_active AND s.auto_renew
  AND s.end_date <= %(due_before)s AND (s.grace_until IS NULL OR s.grace_until > %(now)s)
  AND u.deleted_at IS NULL AND a.removed_at IS NULL
FOR NO KEY UPDATE OF s SKIP LOCKED
FOR SHARE OF u, a SKIP LOCKED
{{charge_lock}}"""  # noqa: S608 - the columns are the models' own; values are parameters

# The period's renewal row and its current payment (when they exist) and whether a tier
# change is pending: read in a statement of its own once the lock is held, never joined to
# the locking one. Under READ COMMITTED a statement reads what was committed when it
# began: a worker whose locking statement began while another run held the lock (and was
# writing the period's row and payment) would get the lock with that older view, find no
# payment, and make a second one. A new statement sees what the run before it committed.
# (The charge's transaction does not read them again: the payment service locks the
# payment it is given and charges it only if it is still pending.)
_PERIOD = f"""
SELECT {_columns(SubscriptionRenewal, "r")}, {_columns(Payment, "p")},
       EXISTS (
           SELECT 1 FROM community_subscription_tier_changes t
           WHERE t.subscription_id = %(subscription_id)s AND t.status = %(tier_change_pending)s
       )
FROM (SELECT) AS always_one_row
LEFT JOIN community_subscription_renewals r
    ON r.subscription_id = %(subscription_id)s AND r.period_end = %(period_end)s
LEFT JOIN payments p ON p.payment_id = r.payment_id
"""  # noqa: S608 - the columns are the models' own; values are parameters


def _lock_due(
    subscription_id, now: datetime, *, charge: "SavedChargeLock | None" = None
) -> tuple | None:
    """The due subscription's row, locked (`_LOCK_DUE`), with the payment of `charge`
    locked after it (its columns last); None when it is not due or another run holds it."""
    params = {"subscription_id": subscription_id, "due_before": now + RENEWAL_LEAD, "now": now}
    sql = _LOCK_DUE.format(
        charge_columns=f", {charge.columns}" if charge else "",
        charge_joins=charge.joins if charge else "",
        charge_lock=charge.lock if charge else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, **charge.params} if charge else params)
        return cursor.fetchone()


def _subscription_of(row: tuple) -> CommunitySubscription:
    """The locked subscription, with its community's name and artist, from `_lock_due`'s row."""
    subscription_end = len(CommunitySubscription._meta.concrete_fields)
    subscription = instance_from_row(CommunitySubscription, row[:subscription_end])
    community_name, artist_id = row[subscription_end : subscription_end + 2]
    subscription.community = instance_of(
        Community,
        {"id": subscription.community_id, "name": community_name, "artist_id": artist_id},
    )
    return subscription


@dataclass(frozen=True)
class _Period:
    renewal: SubscriptionRenewal | None  # the period's, with its current payment
    tier_change_pending: bool


def _period_of(subscription: CommunitySubscription) -> _Period:
    """The locked subscription's period (`_PERIOD`), in a statement after the lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PERIOD,
            {
                "subscription_id": subscription.pk,
                "period_end": subscription.end_date,
                "tier_change_pending": TierChangeStatus.PENDING,
            },
        )
        row = cursor.fetchone()
    renewal = None
    renewal_end = len(SubscriptionRenewal._meta.concrete_fields)
    if row[0] is not None:
        renewal = instance_from_row(SubscriptionRenewal, row[:renewal_end])
        if renewal.payment_id is not None:
            renewal.payment = instance_from_row(Payment, row[renewal_end:-1])
    return _Period(renewal=renewal, tier_change_pending=row[-1])


def subscription_renew(*, subscription_id, now: datetime | None = None) -> str:
    """Charge one due subscription's next period, at most once per period.

    Two steps: the period's renewal row and its pending payment are committed first, then
    the payment is charged with the subscription locked. A second run (or a second worker)
    finds the same row and payment: it skips a locked subscription, and a payment that is
    no longer pending is not charged again; after a crash the same payment is retried
    under the same idempotency key. A decline starts the grace period; the charge is
    retried every RETRY_INTERVAL until it ends. A charge the member's bank wants them to
    confirm (3-D Secure) starts the grace period too, and waits for them: they are sent
    a link to confirm it, and it is not charged again meanwhile.
    """
    from payments.billing import billing_url
    from payments.gateways import GatewayError
    from payments.services import payment_charge_saved, payment_saved_charge_lock

    now = now or timezone.now()
    with transaction.atomic():
        row = _lock_due(subscription_id, now)
        if row is None:
            return "skipped"
        subscription = _subscription_of(row)
        period = _period_of(subscription)
        renewing = (
            tier_downgrade_apply_due(subscription=subscription)
            if period.tier_change_pending
            else subscription
        )
        if renewing.pk == subscription.pk:
            if not renewing.auto_renew:
                # The member had joined the lower tier meanwhile: this one stops renewing.
                return "skipped"
            period_end = subscription.end_date
            prepared = _period_payment_prepare(subscription, period.renewal, now)
            if isinstance(prepared, str):
                return prepared
            to_charge: Payment = prepared
    if renewing.pk != subscription.pk:
        # A scheduled downgrade took effect (committed): the lower tier's membership renews,
        # at its price, in transactions of its own.
        return subscription_renew(subscription_id=renewing.pk, now=now)
    with transaction.atomic():
        # The subscription locked again and, in the same statement, the payment with the
        # saved card (the payment service's lock, handed to its charge).
        charge = payment_saved_charge_lock(payment_id=to_charge.pk)
        row = _lock_due(subscription_id, now, charge=charge)
        if row is None:
            return "skipped"
        subscription = _subscription_of(row)
        if subscription.end_date != period_end:
            return "skipped"
        try:
            payment = payment_charge_saved(
                charge=charge.locked(row), on_completed=_renewed(subscription)
            )
        except GatewayError:
            # Nothing was charged; the next run charges the same payment again.
            return "gateway_unavailable"
        if payment is None:
            return "skipped"  # another run charged it meanwhile (or it is waiting for them)
        if payment.payment_status == PaymentStatus.COMPLETED:
            return "renewed"
        if subscription.grace_until is None:
            subscription, _ = subscription_status_set(
                subscription=subscription,
                new_status=SubscriptionStatus.GRACE,
                by=None,
                grace_until=max(period_end, now) + GRACE_PERIOD,
            )
        if payment.payment_status == PaymentStatus.REQUIRES_ACTION:
            _ask_to_confirm(subscription, payment)
            return "awaiting_member"
        SubscriptionRenewal.objects.filter(subscription=subscription, period_end=period_end).update(
            next_attempt_at=now + RETRY_INTERVAL
        )
        _notify_user(
            subscription,
            title=f"Renewal of {subscription.community.name} failed",
            message=f"We could not charge {payment.amount} {payment.currency}"
            f"{f' ({payment.failure_reason})' if payment.failure_reason else ''}. You keep "
            f"access until {subscription.grace_until:%Y-%m-%d %H:%M} UTC while we retry; "
            "after that the membership ends. Update your card on your billing page, and the "
            f"next attempt charges it: {billing_url()}",
        )
        invalidate_member(subscription)
        return "failed"


def _period_payment_prepare(
    subscription: CommunitySubscription, renewal: SubscriptionRenewal | None, now: datetime
) -> Payment | str:
    """In the transaction that locked the due subscription (and read the period's
    `renewal`): renew a free one, or make sure the period has its pending payment
    (committed before it is charged, so a retry charges the same payment). The payment to
    charge, or an outcome when there is nothing to charge."""
    from payments.services import payment_renewal_insert

    if subscription.price == 0:
        # A free membership renews without any payment.
        subscription.end_date += SUBSCRIPTION_PERIODS[
            SubscriptionInterval(subscription.billing_interval)
        ]
        subscription.save(update_fields=["end_date"])
        invalidate_member(subscription)
        return "free"
    # No get_or_create (and its savepoint): the locked subscription keeps any other run
    # from writing the period's row meanwhile. Were it ever written all the same, its
    # unique key fails this transaction, payment included, and the next run charges the
    # payment of the row already there: the charge is always the period's row's payment.
    payment = renewal.payment if renewal else None
    if payment is not None and payment.payment_status == PaymentStatus.COMPLETED:
        return "already_paid"
    if payment is not None and payment.payment_status == PaymentStatus.REQUIRES_ACTION:
        return "awaiting_member"
    if payment is not None and payment.payment_status != PaymentStatus.FAILED:
        return payment  # pending: created by a run that did not get to charge it
    if renewal is not None and renewal.next_attempt_at and renewal.next_attempt_at > now:
        return "waiting"
    insert = payment_renewal_insert(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    # The payment and the period's row in one statement: the payment's INSERT is the
    # payment service's (`PaymentInsert`), the period's row ours.
    period_params: list[Any]
    if renewal is None:
        period_row, period_params = _PERIOD_ROW_INSERT, [subscription.pk, subscription.end_date]
    else:
        period_row, period_params = _PERIOD_ROW_NEXT_ATTEMPT, [renewal.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH payment AS ({insert.sql}), period AS ({period_row}) SELECT * FROM payment",  # noqa: S608
            [*insert.params, *period_params],
        )
        return insert.written(cursor.fetchone())


# The period's row, first attempt or next, with the payment written in the same statement
# (a CTE named `payment`, `_period_payment_prepare`).
_PERIOD_ROW_INSERT = """
INSERT INTO community_subscription_renewals (subscription_id, period_end, payment_id, attempts)
SELECT %s, %s, payment.payment_id, 1 FROM payment
"""
_PERIOD_ROW_NEXT_ATTEMPT = """
UPDATE community_subscription_renewals SET payment_id = payment.payment_id, attempts = attempts + 1
FROM payment WHERE renewal_id = %s
"""


def _renewed(subscription: CommunitySubscription) -> CompletionHook:
    """What the renewal's charge does when it completes its payment: the next period is
    paid, the artist earns it, the member is told. The renewal knows all three, so the
    payment service neither asks the purpose's handler what the payment was for nor the
    ledger who earns from it (subscription_paid does, for news that comes later)."""

    def completed(*, payment) -> Completed:
        subscription_period_paid(payment=payment, by=None)
        return Completed(
            payees=selectors.membership_payees(
                artist_id=subscription.community.artist_id, payment=payment
            ),
            notices=(
                _member_notice(
                    subscription,
                    title=f"Membership of {subscription.community.name} renewed",
                    message=f"{payment.amount} {payment.currency} was charged; "
                    "thank you for staying.",
                ),
            ),
        )

    return completed


def _ask_to_confirm(subscription: CommunitySubscription, payment) -> None:
    """Notify and email the member a link to confirm the renewal on our page (emailed
    whatever their choice for subscription news: they must act or lose the membership);
    the job runs without a request, so the link uses SITE_URL."""
    link = settings.SITE_URL + reverse("payments:confirm", args=[payment.pk])
    notifications_create(
        recipient_ids=[subscription.user_id],
        notification_type=NotificationType.SUBSCRIPTION,
        title=f"Confirm the renewal of {subscription.community.name}",
        message=f"Your bank asks you to confirm the payment of {payment.amount} "
        f"{payment.currency} for your membership of {subscription.community.name}. "
        f"Confirm it here: {link}\nYou keep access until "
        f"{subscription.grace_until:%Y-%m-%d %H:%M} UTC; after that the membership ends.",
        resource_type="payment",
        resource_id=payment.pk,
        always_email=True,
    )


def _member_notice(subscription: CommunitySubscription, *, title: str, message: str) -> Notice:
    return Notice(
        recipient_id=subscription.user_id,
        notification_type=NotificationType.SUBSCRIPTION,
        title=title,
        message=message,
        resource_type="subscription",
        resource_id=subscription.pk,
    )


def _notify_user(subscription: CommunitySubscription, *, title: str, message: str) -> None:
    notices_create([_member_notice(subscription, title=title, message=message)])


# What a member is told when their membership ends because they or the artist left.
MEMBER_LEFT_REASON = "Your account was deleted."
ARTIST_LEFT_REASON = "{artist_name} is no longer on the platform, so the community has closed."


def subscription_end_refunding_unused(
    *, subscription_id, by, reason: str, now: datetime | None = None
) -> Decimal:
    """End a membership at once because its member or its artist left, giving back the
    unused part of the paid period through the payment service; what was refunded.

    The payment is locked before the subscription (the payment service's lock order), and
    the refund and the end commit together: a gateway error leaves the membership as it
    was for the retry. A membership that already ended is left alone, so a second run
    refunds nothing.
    """
    from payments.services import payment_refund

    now = now or timezone.now()
    with transaction.atomic():
        payment_id = (
            CommunitySubscription.objects.filter(pk=subscription_id)
            .values_list("payment_id", flat=True)
            .first()
        )
        payment = (
            Payment.objects.select_for_update(of=("self",)).filter(pk=payment_id).first()
            if payment_id
            else None
        )
        subscription = (
            CommunitySubscription.objects.select_for_update(of=("self",))
            .select_related("community")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None or not subscription.is_active:
            return Decimal("0.00")
        if subscription.payment_id != payment_id:
            # A renewal completed between the two reads: the period it paid is the one
            # to refund, and the payment service gives nothing back twice in any case.
            payment = (
                Payment.objects.filter(pk=subscription.payment_id).first()
                if subscription.payment_id
                else None
            )
        refund = selectors.subscription_unused_refund(
            subscription=subscription, payment=payment, now=now
        )
        refunded = ""
        if refund and payment is not None:  # only a payment has anything to refund
            payment_refund(payment=payment, amount=refund, by=by)
            refunded = (
                f" We refunded {refund} {payment.currency} for the unused part of your period."
            )
        subscription, _ = subscription_status_set(
            subscription=subscription,
            new_status=SubscriptionStatus.ENDED,
            by=by,
            end_date=min(subscription.end_date, now),
        )
        _notify_user(
            subscription,
            title=f"Membership of {subscription.community.name} ended",
            message=f"{reason}{refunded}",
        )
    invalidate_member(subscription)
    return refund


def subscriptions_of_leavers_end() -> int:
    """End the memberships still active of deleted accounts and of removed artists'
    communities, whose ending task was lost (a broker outage) or failed (the gateway
    refused the refund; retried on the next run); how many ended."""
    from payments.services import PaymentError

    leftovers = (
        CommunitySubscription.objects.filter(is_active=True)
        .filter(
            models.Q(user__username__startswith=DELETED_USERNAME_PREFIX)
            | models.Q(community__artist__removed_at__isnull=False)
        )
        .values_list("pk", "community__artist__artist_name", "community__artist__removed_at")
        .order_by("pk")
    )
    ended = 0
    for subscription_id, artist_name, artist_removed_at in leftovers:
        reason = (
            ARTIST_LEFT_REASON.format(artist_name=artist_name)
            if artist_removed_at
            else MEMBER_LEFT_REASON
        )
        try:
            subscription_end_refunding_unused(
                subscription_id=subscription_id, by=None, reason=reason
            )
        except PaymentError:
            logger.exception("Membership %s of someone who left not ended yet.", subscription_id)
            continue
        ended += 1
    return ended


def subscriptions_end_refunding_unused(*, subscription_ids, by, reason: str) -> None:
    """Queue the end of each membership (one task each) once the caller's transaction
    commits; the caller has already made sure none of them renews meanwhile."""
    from communities.tasks import subscription_end_refunding_unused as end

    for subscription_id in subscription_ids:
        enqueue_on_commit(end, str(subscription_id), str(by.pk) if by else None, reason)


EXPIRY_BATCH = 500


def subscriptions_expire(*, now: datetime | None = None) -> int:
    """Deactivate memberships that ended: not renewing and past their end date, or past
    the grace of a failed renewal. Access already stopped at that instant (selectors);
    this makes member counts, feeds and notification audiences follow."""
    now = now or timezone.now()
    ended_filter = models.Q(auto_renew=False, end_date__lte=now) | models.Q(
        grace_until__lte=now, end_date__lte=now
    )
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                CommunitySubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(ended_filter, is_active=True)
                .select_related("community")
                .order_by("pk")[:EXPIRY_BATCH]
            )
            if not batch:
                return total
            for subscription in batch:
                subscription_status_set(
                    subscription=subscription, new_status=SubscriptionStatus.ENDED, by=None
                )
                _notify_user(
                    subscription,
                    title=f"Membership of {subscription.community.name} ended",
                    message="Subscribe again any time to rejoin.",
                )
        total += len(batch)
