"""Every write about money: start, confirm, fail, refund, charge a saved method.

Amounts always come from our own rows (an order's total, a community's fee, a
placement's price: the owning app's purpose handler reads them), never from the request. Statuses move only through
`status_change` with `PAYMENT_TRANSITIONS`; all news from a gateway goes through
`payment_event_handle`, webhook or not.
"""

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.sql import InsertQuery
from django.db.transaction import TransactionManagementError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from psycopg.types.json import Jsonb

from musicplatform.audit.services import RowWithMove, StatusTransitionError, status_change
from musicplatform.db import instance_from_row
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from notifications.models import NotificationType
from notifications.services import Notice, notices_create
from payments.events import CENT, GatewayEvent, Outcome, from_cents, to_cents
from payments.gateways import (
    GatewayError,
    GatewayUnavailable,
    active_gateway_name,
    gateway_named,
)
from payments.models import (
    PAYMENT_TRANSITIONS,
    Payment,
    PaymentEvent,
    PaymentGateway,
    PaymentPurpose,
    PaymentStatus,
    SavedPaymentMethod,
)
from payments.purposes import Checkout, Completed, CompletionHook, purpose_handler
from payments.signals import (
    dispute_closed,
    payment_completed,
    payment_disputed,
    payment_refunded,
)

logger = logging.getLogger(__name__)


class PaymentError(Exception):
    """A payment request we refuse; the message is meant for the person who made it."""


def _lock(payment: Payment) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)


def _pending(*, user_id, purpose: str, amount: Decimal, **target) -> Payment:
    """A new pending payment, not yet written: what every payment starts as."""
    if amount <= 0:
        raise PaymentError("There is nothing to pay.")
    return Payment(
        user_id=user_id,
        purpose=purpose,
        amount=amount,
        currency=settings.PAYMENTS_CURRENCY,
        gateway=active_gateway_name(),
        **target,
    )


def _new_payment(*, user_id, purpose: str, amount: Decimal, **target) -> Payment:
    payment = _pending(user_id=user_id, purpose=purpose, amount=amount, **target)
    payment.save(force_insert=True)
    return payment


@dataclass(frozen=True)
class PaymentCreated:
    """A pending payment, and what its gateway checkout needs to know."""

    payment: Payment
    customer_email: str
    expires_at: datetime | None


def payment_create(
    *, user, purpose: str, target_id, amount: Decimal | None = None
) -> PaymentCreated:
    """The pending payment for one target of `purpose` (an order, a subscription, a
    featured placement), its amount from the owning app's rows (`amount`: what that app
    already computed and the payer confirmed, e.g. a tier upgrade's prorated difference).

    The purpose's handler locks and checks the target, then writes its own rows once the
    payment exists, all in this transaction (payment_start; or a caller's, when the target
    is saved together with its payment: shop.services.featured).
    """
    handler = purpose_handler(purpose)
    with transaction.atomic():
        checkout = handler.checkout(user=user, target_id=target_id, amount=amount)
        expires_at = _checkout_expiry(checkout)
        payment = _new_payment(
            user_id=user.pk, purpose=purpose, amount=checkout.amount, **checkout.target
        )
        handler.checkout_started(payment=payment, target_id=target_id, expires_at=expires_at)
    return PaymentCreated(
        payment=payment,
        customer_email=checkout.customer_email or user.email,
        expires_at=expires_at,
    )


def _checkout_expiry(checkout: Checkout) -> datetime | None:
    """When the gateway's checkout must end: when its target stops being payable, so no
    one pays for an order whose stock was released. A gateway whose checkout lives at
    least a minimum time (Stripe: 30 minutes) gets that from now, and the handler extends
    the target's hold to match (checkout_started)."""
    if checkout.payable_until is None:
        return None
    shortest = gateway_named(active_gateway_name()).checkout_min_lifetime
    if shortest is None:
        return None
    return max(checkout.payable_until, timezone.now() + shortest)


def payment_start(
    *, user, purpose: str, target_id, site_url: str, amount: Decimal | None = None
) -> tuple[Payment, str]:
    """A new pending payment for one target (payment_create), and where to pay it.

    `site_url` (scheme and host) makes the gateway's return links. Call it outside a
    transaction: the payment row is committed before the gateway is called, so news about
    it always finds it.
    """
    created = payment_create(user=user, purpose=purpose, target_id=target_id, amount=amount)
    return created.payment, payment_checkout_open(created=created, site_url=site_url)


def payment_checkout_open(*, created: PaymentCreated, site_url: str) -> str:
    """Open the gateway's checkout for a committed pending payment; where to send the payer."""
    payment = created.payment
    return_url = site_url.rstrip("/") + reverse("payments:detail", args=[payment.pk])
    try:
        return gateway_named(payment.gateway).checkout_start(
            payment=payment,
            description=purpose_handler(payment.purpose).description(payment=payment),
            save_method=payment.purpose == PaymentPurpose.SUBSCRIPTION,
            customer_email=created.customer_email,
            success_url=return_url,
            cancel_url=return_url,
            expires_at=created.expires_at,
        )
    except GatewayUnavailable as error:
        # Nothing was decided: this attempt ends, but the order (with its reserved stock),
        # membership or placement stays as it was, ready for the payer's next attempt.
        status_change(
            instance=payment,
            new_status=PaymentStatus.FAILED,
            field="payment_status",
            transitions=PAYMENT_TRANSITIONS,
            entity_type="payment",
        )
        raise PaymentError(
            f"{error} Nothing was charged; please try again in a few minutes."
        ) from error
    except GatewayError as error:
        payment_fail(payment=payment, reason=str(error))
        raise PaymentError(str(error)) from error


@dataclass(frozen=True)
class PaymentInsert:
    """A pending payment's INSERT (`sql`, `params`), RETURNING the whole row, for a caller
    that writes the payment in one statement with rows of its own:

        WITH payment AS (<sql>), mine AS (INSERT … SELECT … payment.payment_id FROM payment)
        SELECT * FROM payment

    and hands the row it selected to `written`. The payment's columns, defaults and
    rules are this service's: the caller adds nothing to the payment's row."""

    sql: str
    params: tuple

    def written(self, row: tuple) -> Payment:
        """The payment this INSERT wrote, from the row it returned."""
        return instance_from_row(Payment, row)


def payment_renewal_insert(*, user_id, subscription_id, amount: Decimal) -> PaymentInsert:
    """The pending payment for a subscription's next period, charged by
    `payment_charge_saved`, as an INSERT for the renewal to write with its period's row
    (`PaymentInsert`), in the transaction it commits before the charge.

    `amount` is the price the member accepted (`community_subscriptions.price`, read by
    communities from the locked row), never the community's current fee. Two steps so
    that a retried renewal task charges the same row under the same idempotency key
    instead of creating a second charge.
    """
    payment = _pending(
        user_id=user_id,
        purpose=PaymentPurpose.SUBSCRIPTION,
        amount=amount,
        subscription_id=subscription_id,
    )
    meta = Payment._meta
    query = InsertQuery(Payment)
    query.insert_values([f for f in meta.concrete_fields if not f.generated], [payment])
    compiler = query.get_compiler(connection.alias)
    compiler.returning_fields = list(meta.concrete_fields)
    ((sql, params),) = compiler.as_sql()
    return PaymentInsert(sql=sql, params=tuple(params))


def payment_renewal_create(*, user_id, subscription_id, amount: Decimal) -> Payment:
    """`payment_renewal_insert`'s payment, written on its own."""
    insert = payment_renewal_insert(user_id=user_id, subscription_id=subscription_id, amount=amount)
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, insert.params)
        return insert.written(cursor.fetchone())


@dataclass(frozen=True)
class LockedCharge:
    """A payment for `payment_charge_saved`, locked FOR UPDATE and read by one statement
    with the payer's latest saved method at its gateway (None: none). Made only by this
    service (`SavedChargeLock.locked`, `payment_saved_charge_locked`); good only while the
    lock it stands for is held: `payment_charge_saved` refuses it once that transaction
    (or savepoint) ended."""

    payment: Payment
    method: SavedPaymentMethod | None
    _held: Callable[[], None] = field(repr=False)  # `_lock_marker`'s


def _lock_marker() -> Callable[[], None]:
    """A mark of the transaction (and savepoint) open now, asked for without a query: a
    callback that does nothing, registered to run on commit. Django keeps a transaction's
    callbacks in `connection.run_on_commit` until it ends (run at its commit, dropped at
    its rollback) and drops a savepoint's when that savepoint is rolled back, the moments
    PostgreSQL releases the row locks taken meanwhile; a released savepoint's stay, as its
    locks do. So the mark is there exactly while a lock taken with it is held, which a
    flag or the atomic blocks' stack could not say (a savepoint released, a block entered
    again)."""

    def held() -> None:
        pass

    transaction.on_commit(held)
    return held


def _still_held(marker: Callable[[], None]) -> bool:
    # Each entry is (savepoint ids, callback, robust).
    return any(entry[1] is marker for entry in connection.run_on_commit)


# The payment to charge, locked, and the payer's latest saved method at its gateway (NULLs
# when none), as the parts of a statement (`SavedChargeLock`). The names are this
# service's; one definition for the caller's statement and the one of its own.
_SAVED_CHARGE_COLUMNS = ", ".join(
    [f'charged_payment."{f.column}"' for f in Payment._meta.concrete_fields]
    + [f'charged_method."{f.column}"' for f in SavedPaymentMethod._meta.concrete_fields]
)
_SAVED_CHARGE_JOINS = """
JOIN payments charged_payment ON charged_payment.payment_id = %(charged_payment_id)s
LEFT JOIN LATERAL (
    SELECT * FROM saved_payment_methods
    WHERE user_id = charged_payment.user_id AND gateway = charged_payment.gateway
    ORDER BY created_at DESC LIMIT 1
) charged_method ON true
"""
_SAVED_CHARGE_LOCK = "FOR UPDATE OF charged_payment\n"


@dataclass(frozen=True)
class SavedChargeLock:
    """The lock `payment_charge_saved` needs, for a caller that takes it in one statement
    with locks of its own (a renewal: its subscription's):

        SELECT <its columns>, <columns> FROM <its tables> <joins> WHERE …
        FOR … OF <its tables> … <lock>

    `joins` follow the caller's FROM items; `params` are named (`%(name)s`), to merge with
    the caller's; `columns` come last in the select list; `lock` comes after the caller's
    locking clauses: PostgreSQL locks a row's tables in the order of the clauses, so the
    caller's rows are locked (or skipped, and the payment with them) before the payment.
    The payment's lock waits (no SKIP LOCKED): a charge or the gateway's news under way
    finishes first, and this one then finds the payment as they left it.

    The caller hands the row it selected to `locked`, in the transaction that selected
    it. What is locked and read, and how, is this service's; the caller adds nothing."""

    columns: str
    joins: str
    lock: str
    params: dict

    def locked(self, row: tuple) -> LockedCharge:
        """The charge this statement locked, from the row it selected."""
        if not connection.in_atomic_block:
            raise TransactionManagementError("The lock ended with its statement.")
        methods = len(SavedPaymentMethod._meta.concrete_fields)
        payment_row = row[-methods - len(Payment._meta.concrete_fields) : -methods]
        method_row = row[-methods:]
        return LockedCharge(
            payment=instance_from_row(Payment, payment_row),
            method=instance_from_row(SavedPaymentMethod, method_row) if method_row[0] else None,
            _held=_lock_marker(),
        )


def payment_saved_charge_lock(*, payment_id) -> SavedChargeLock:
    """The lock of the pending payment `payment_charge_saved` charges, with the payer's
    latest saved method read with it, as parts of a caller's locking statement
    (`SavedChargeLock`)."""
    return SavedChargeLock(
        columns=_SAVED_CHARGE_COLUMNS,
        joins=_SAVED_CHARGE_JOINS,
        lock=_SAVED_CHARGE_LOCK,
        params={"charged_payment_id": payment_id},
    )


def payment_saved_charge_locked(*, payment_id) -> LockedCharge:
    """`payment_saved_charge_lock`'s lock, taken in a statement of its own (in the caller's
    transaction), for a caller that locks nothing else with it."""
    lock = payment_saved_charge_lock(payment_id=payment_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {lock.columns} FROM (SELECT) AS one_row {lock.joins} {lock.lock}",  # noqa: S608
            lock.params,
        )
        return lock.locked(cursor.fetchone())


def payment_charge_saved(
    *, charge: LockedCharge, on_completed: CompletionHook | None = None
) -> Payment | None:
    """Charge the payer's latest saved method off-session; safe to call twice. The payment
    as this charge left it; None when it was no longer pending (charged, failed or waiting
    for the payer before): nothing was charged.

    `charge` is the payment locked with its saved method, in the caller's transaction (a
    renewal's, with what it pays for locked): by the caller's own locking statement
    (`payment_saved_charge_lock`) or by `payment_saved_charge_locked`. It stays locked
    through the gateway's answer, which is applied to it without reading it again.
    `on_completed` is what the caller does when the charge completes the payment, instead
    of the purpose handler's `completed` (which would have to find out what it was for).
    """
    if not connection.in_atomic_block:
        # Outside a transaction the lock would end with its statement, before the charge.
        raise TransactionManagementError("payment_charge_saved runs in its caller's transaction.")
    if not _still_held(charge._held):
        raise TransactionManagementError(
            "payment_charge_saved charges a payment locked in this transaction; this one's "
            "lock ended with the transaction (or savepoint) that took it."
        )
    locked, method = charge.payment, charge.method
    if locked.payment_status != PaymentStatus.PENDING:
        return None
    if method is None:
        return payment_fail(payment=locked, reason="No saved payment method.", locked=True)
    event = gateway_named(locked.gateway).charge_saved(payment=locked, method=method)
    with transaction.atomic(savepoint=False):
        handled = _event_handle(event, locked, by=None, locked=True, on_completed=on_completed)
    # After a refused or repeated event, `locked` may not say what the database holds.
    return locked if handled is _Handled.APPLIED else Payment.objects.get(pk=locked.pk)


def saved_payment_method_detach(*, method_id) -> bool:
    """Detach a saved method at its gateway (with Stripe, from the customer) and forget it;
    False when it is already gone, so running it twice does nothing more."""
    with transaction.atomic():
        method = SavedPaymentMethod.objects.select_for_update().filter(pk=method_id).first()
        if method is None:
            return False
        gateway_named(method.gateway).method_detach(method=method)
        method.delete()
    return True


def saved_payment_methods_of_deleted_detach() -> int:
    """Detach the saved methods deleted accounts still have (their task was lost, or the
    gateway did not answer; retried on the next run); how many were detached."""
    from accounts.models import DELETED_USERNAME_PREFIX

    detached = 0
    for method_id in SavedPaymentMethod.objects.filter(
        user__username__startswith=DELETED_USERNAME_PREFIX
    ).values_list("pk", flat=True):
        try:
            detached += saved_payment_method_detach(method_id=method_id)
        except GatewayError:
            logger.exception("Saved method %s of a deleted account not detached yet.", method_id)
    return detached


def _notify(payment: Payment, *, title: str, message: str, with_them: tuple[Notice, ...] = ()):
    """Tell the payer (a payment may have none: a guest's order), in one statement with
    `with_them`."""
    notices = [*with_them]
    if payment.user_id:
        notices.insert(
            0,
            Notice(
                recipient_id=payment.user_id,
                notification_type=NotificationType.PAYMENT,
                title=title,
                message=message,
                resource_type="payment",
                resource_id=payment.pk,
            ),
        )
    if notices:
        notices_create(notices)


def _send_receipt(payment: Payment, *, kind: str) -> None:
    from payments.tasks import payment_receipt_send

    enqueue_on_commit(payment_receipt_send, str(payment.pk), kind)


def _receipt_email(payment: Payment, *, kind: str, amount: Decimal) -> None:
    recipient = (payment.user.email if payment.user else None) or (
        payment.order.contact_email if payment.order else None
    )
    if not recipient:
        return
    context = {"payment": payment, "kind": kind, "amount": amount}
    subject = "Your refund" if kind == "refund" else "Your payment receipt"
    send_mail(
        subject=f"{subject}: {amount} {payment.currency}",
        message=render_to_string("payments/email/receipt.txt", context),
        from_email=None,
        recipient_list=[recipient],
    )


@dataclass(frozen=True)
class _Receipt:
    owed: Q  # the payments that owe one
    owed_since: str  # the column dating it, from which the sweep's window and grace count


RECEIPTS = {
    "payment": _Receipt(
        owed=Q(
            receipt_sent_at__isnull=True,
            payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
        ),
        owed_since="payment_date",
    ),
    # Refunds are receipted by running total: one receipt covers what was given back since
    # the last one, however many refunds that was.
    "refund": _Receipt(
        owed=Q(refunded_amount__gt=F("refund_receipt_total")), owed_since="refunded_at"
    ),
}


def payment_receipt_send(*, payment_id, kind: str = "payment") -> bool:
    """Email the receipt of a completed payment (`kind="payment"`) or of what was refunded
    since its last refund receipt (`"refund"`), once; False when none is owed.

    Senders of one payment's receipts (a task run twice, the sweep meeting the task) queue
    on an advisory lock rather than on the payment row, which webhooks and refunds lock:
    the second one finds the receipt recorded (`receipt_sent_at`, `refund_receipt_total`)
    and sends nothing. The record commits with the sending; if sending fails it rolls back
    and the retry or the sweep sends it.
    """
    with transaction.atomic():
        advisory_xact_lock(f"receipt:{payment_id}")
        payment = (
            Payment.objects.select_related("user", "order")
            .filter(RECEIPTS[kind].owed, pk=payment_id)
            .first()
        )
        if payment is None:
            return False
        sent: dict[str, object]
        if kind == "refund":
            amount = payment.refunded_amount - payment.refund_receipt_total
            sent = {"refund_receipt_total": payment.refunded_amount}
        else:
            amount, sent = payment.amount, {"receipt_sent_at": timezone.now()}
        _receipt_email(payment, kind=kind, amount=amount)
        Payment.objects.filter(pk=payment.pk).update(**sent)
    return True


# Receipts owed for longer than this are no longer sent late; younger than the grace, the
# task queued with the payment or refund is probably still on its way.
RECEIPT_SWEEP_WINDOW = timedelta(days=7)
RECEIPT_SWEEP_GRACE = timedelta(minutes=5)


def payment_receipts_sweep() -> int:
    """Send the receipts, of payments and of refunds, whose task was never queued or was
    lost (a broker outage); how many were sent."""
    now = timezone.now()
    sent = 0
    for kind, receipt in RECEIPTS.items():
        since = receipt.owed_since
        due = Payment.objects.filter(
            receipt.owed,
            **{
                f"{since}__gte": now - RECEIPT_SWEEP_WINDOW,
                f"{since}__lte": now - RECEIPT_SWEEP_GRACE,
            },
        ).values_list("pk", flat=True)
        sent += sum(payment_receipt_send(payment_id=payment_id, kind=kind) for payment_id in due)
    return sent


def payment_confirm(
    *,
    payment: Payment,
    gateway_payment_id: str | None = None,
    paid_with: str = "",
    by=None,
    locked: bool = False,
    on_completed: CompletionHook | None = None,
    rows_with_move: Sequence[RowWithMove] = (),
) -> Payment:
    """pending → completed, once; then the thing paid for reacts: `on_completed`, the
    charge's caller, or else the purpose's handler (payments.purposes).

    `paid_with` is how the customer paid ("Visa •••• 4242"), when the gateway said so.
    `locked`: the caller locked and read `payment` in this transaction (payment_charge_saved).
    `rows_with_move`: written in the completing statement, only if this call completes it
    (status_change's; the charge's news, _event_handle).
    Inside a caller's transaction (a renewal's charge, an event's) it adds no savepoint:
    a failure here fails the caller's transaction, or the savepoint that caller set."""
    how_paid = _how_paid(payment, gateway_payment_id=gateway_payment_id, paid_with=paid_with)
    with transaction.atomic(savepoint=False):
        payment, changed = status_change(
            instance=payment,
            new_status=PaymentStatus.COMPLETED,
            by=by,
            field="payment_status",
            transitions=PAYMENT_TRANSITIONS,
            entity_type="payment",
            with_fields=how_paid,
            locked=locked,
            rows_with_move=rows_with_move,
        )
        if not changed:
            # Repeated news of a completed payment may be the first to say how it was paid.
            _record_how_paid(payment, how_paid)
            return payment
        completed: Completed | None = None
        if on_completed is None:
            purpose_handler(payment.purpose).completed(payment=payment, by=by)
        else:
            completed = on_completed(payment=payment)
        # The books (ledger) hear of the money in this same transaction; `payees` None:
        # the ledger asks the purpose's handler who earns from it.
        payment_completed.send(
            sender=Payment,
            payment=payment,
            by=by,
            payees=completed.payees if completed else None,
        )
        _notify(
            payment,
            title="Payment received",
            message=f"We received your payment of {payment.amount} {payment.currency}.",
            with_them=completed.notices if completed else (),
        )
        _send_receipt(payment, kind="payment")
    return payment


def _how_paid(payment: Payment, *, gateway_payment_id: str | None, paid_with: str) -> dict:
    """Stripe's PaymentIntent id and how the customer paid, as the payment's columns."""
    fields: dict[str, str] = {}
    if gateway_payment_id and payment.gateway == PaymentGateway.STRIPE:
        fields["stripe_payment_id"] = gateway_payment_id
    if paid_with:
        fields["payment_method"] = paid_with[: Payment._meta.get_field("payment_method").max_length]
    return fields


def _record_how_paid(payment: Payment, how_paid: dict) -> None:
    """`how_paid` on the locked payment, written only where it differs."""
    changed = [name for name, value in how_paid.items() if getattr(payment, name) != value]
    for name in changed:
        setattr(payment, name, how_paid[name])
    if changed:
        payment.save(update_fields=changed)


def payment_fail(*, payment: Payment, reason: str = "", by=None, locked: bool = False) -> Payment:
    """pending → failed, once; `reason` (the customer's words) is shown on its page.
    `locked`: as payment_confirm's."""
    with transaction.atomic(savepoint=False):
        payment, changed = status_change(
            instance=payment,
            new_status=PaymentStatus.FAILED,
            by=by,
            field="payment_status",
            transitions=PAYMENT_TRANSITIONS,
            entity_type="payment",
            locked=locked,
        )
        if changed:
            if reason:
                payment.failure_reason = reason[:255]
                payment.save(update_fields=["failure_reason"])
            purpose_handler(payment.purpose).failed(payment=payment, by=by)
            _notify(
                payment,
                title="Payment failed",
                message=f"Your payment of {payment.amount} {payment.currency} did not go "
                f"through. {reason}".strip(),
            )
    return payment


def payment_require_action(
    *, payment: Payment, gateway_payment_id: str | None = None, by=None, locked: bool = False
) -> Payment:
    """pending → requires_action, once: the payer's bank wants them to confirm an
    off-session charge. The payment waits for them (`payment_action_start`); whoever
    charged it tells them (a renewal: communities.services.subscription_renew).
    `locked`: as payment_confirm's."""
    with transaction.atomic(savepoint=False):
        payment, _ = status_change(
            instance=payment,
            new_status=PaymentStatus.REQUIRES_ACTION,
            by=by,
            field="payment_status",
            transitions=PAYMENT_TRANSITIONS,
            entity_type="payment",
            locked=locked,
        )
        if gateway_payment_id and payment.stripe_payment_id != gateway_payment_id:
            payment.stripe_payment_id = gateway_payment_id
            payment.save(update_fields=["stripe_payment_id"])
    return payment


def payment_action_start(*, payment: Payment, return_url: str) -> str:
    """Where to send the payer to confirm a payment waiting for them (their bank's page,
    through the gateway), coming back to `return_url`. News the gateway gives at once
    (it went through after all) is applied."""
    payment = Payment.objects.get(pk=payment.pk)
    if payment.payment_status != PaymentStatus.REQUIRES_ACTION:
        raise PaymentError("This payment is not waiting for your confirmation.")
    method = (
        SavedPaymentMethod.objects.filter(user_id=payment.user_id, gateway=payment.gateway)
        .order_by("-created_at")
        .first()
        if payment.user_id
        else None  # a guest's payment: no saved method
    )
    try:
        url, event = gateway_named(payment.gateway).action_start(
            payment=payment, method=method, return_url=return_url
        )
    except GatewayError as error:
        raise PaymentError(str(error)) from error
    if event is not None:
        payment_event_handle(event=event)
    return url


def payment_record_refund(*, payment: Payment, refunded_total: Decimal, by=None) -> Payment:
    """The gateway has given back `refunded_total` in all; record what is new, once.

    A running total rather than a delta: repeated or late news (an older total) changes
    nothing, so no refund is ever counted twice. Reaching the full amount moves the
    payment to `refunded`.
    """
    with transaction.atomic():
        locked = _lock(payment)
        if locked.payment_status not in {PaymentStatus.COMPLETED, PaymentStatus.REFUNDED}:
            raise PaymentError("Only a completed payment can be refunded.")
        if refunded_total <= locked.refunded_amount:
            return locked
        if refunded_total > locked.amount:
            raise PaymentError("A refund cannot exceed the payment.")
        given_back = refunded_total - locked.refunded_amount
        locked.refunded_amount = refunded_total
        locked.refunded_at = timezone.now()
        locked.save(update_fields=["refunded_amount", "refunded_at"])
        if refunded_total == locked.amount:
            locked, _ = status_change(
                instance=locked,
                new_status=PaymentStatus.REFUNDED,
                by=by,
                field="payment_status",
                transitions=PAYMENT_TRANSITIONS,
                entity_type="payment",
            )
        purpose_handler(locked.purpose).refunded(payment=locked, by=by)
        payment_refunded.send(
            sender=Payment,
            payment=locked,
            by=by,
            amount=given_back,
            refunded_total=refunded_total,
        )
        _notify(
            locked,
            title="Payment refunded",
            message=f"{given_back} {locked.currency} of your payment was refunded.",
        )
        _send_receipt(locked, kind="refund")
    return locked


def payment_refund(*, payment: Payment, amount: Decimal | None = None, by=None) -> Payment:
    """Give back `amount` (everything still refundable when None) through the gateway.

    The payment stays locked while the gateway is called: a second refund waits and then
    sees the first one's total, and the gateway's idempotency key (the new running total)
    makes a retried call the same refund.
    """
    with transaction.atomic():
        locked = _lock(payment)
        if locked.payment_status != PaymentStatus.COMPLETED:
            raise PaymentError(
                "This payment is already fully refunded."
                if locked.payment_status == PaymentStatus.REFUNDED
                else "Only a completed payment can be refunded."
            )
        refundable = locked.amount - locked.refunded_amount
        try:
            amount = refundable if amount is None else Decimal(amount)
        except InvalidOperation as error:
            raise PaymentError("Enter an amount such as 5.00.") from error
        if amount != amount.quantize(CENT) or not 0 < amount <= refundable:
            raise PaymentError(f"Refund an amount between 0.01 and {refundable}.")
        refunded_total = locked.refunded_amount + amount
        try:
            event = gateway_named(locked.gateway).refund(
                payment=locked, amount=amount, refunded_total=refunded_total
            )
        except GatewayError as error:
            raise PaymentError(str(error)) from error
        if event is not None:
            payment_event_handle(event=event, by=by)
    return Payment.objects.get(pk=locked.pk)


def _payment_for(event: GatewayEvent) -> Payment | None:
    if event.payment_id:
        payment = Payment.objects.filter(pk=event.payment_id).first()
        if payment is not None:
            return payment
    if event.gateway_payment_id:
        return Payment.objects.filter(stripe_payment_id=event.gateway_payment_id).first()
    return None


def _check_amount(payment: Payment, event: GatewayEvent) -> None:
    if event.amount_cents is not None and event.amount_cents != to_cents(payment.amount):
        raise PaymentError(f"Paid {event.amount_cents} cents, expected {payment.amount}.")
    if event.currency and event.currency.upper() != payment.currency.upper():
        raise PaymentError(f"Paid in {event.currency}, expected {payment.currency}.")


def _save_method(payment: Payment, event: GatewayEvent) -> None:
    """Keep the card a payment saved for renewals, named by how it paid once known (the
    success and the charge's card details arrive in either order)."""
    if event.method_ref and payment.user_id:
        SavedPaymentMethod.objects.get_or_create(
            gateway=event.gateway,
            method_ref=event.method_ref,
            defaults={
                "user_id": payment.user_id,
                "customer_ref": event.customer_ref,
                "label": payment.payment_method or event.method_label or "Saved card",
            },
        )
    if event.paid_with and event.paid_with_ref:
        SavedPaymentMethod.objects.filter(
            gateway=event.gateway, method_ref=event.paid_with_ref
        ).update(label=event.paid_with)


def _status_in(payment: Payment, statuses: set[str], *, locked: bool) -> bool:
    """Whether the payment's status is one of `statuses` now: as read, when the caller
    locked it in this transaction; else read again (news may be late or repeated)."""
    if locked:
        return payment.payment_status in statuses
    return Payment.objects.filter(pk=payment.pk, payment_status__in=statuses).exists()


def _apply(
    payment: Payment,
    event: GatewayEvent,
    by,
    *,
    locked: bool = False,
    on_completed: CompletionHook | None = None,
    rows_with_move: Sequence[RowWithMove] = (),
) -> None:
    if event.outcome == Outcome.SUCCEEDED:
        _check_amount(payment, event)
        confirmed = payment_confirm(
            payment=payment,
            gateway_payment_id=event.gateway_payment_id,
            paid_with=event.paid_with,
            by=by,
            locked=locked,
            on_completed=on_completed,
            rows_with_move=rows_with_move,
        )
        _save_method(confirmed, event)
    elif event.outcome == Outcome.FAILED:
        if _status_in(payment, {PaymentStatus.PENDING}, locked=locked):
            payment_fail(payment=payment, reason=event.failure_reason, by=by, locked=locked)
        else:
            # A decline reported after the payment went through (or already failed):
            # Checkout retries and out-of-order delivery make this normal.
            logger.info(
                "Late failure news for payment %s ignored (%s).", payment.pk, event.event_type
            )
    elif event.outcome == Outcome.REQUIRES_ACTION:
        if _status_in(payment, {PaymentStatus.PENDING}, locked=locked):
            payment_require_action(
                payment=payment, gateway_payment_id=event.gateway_payment_id, by=by, locked=locked
            )
    elif event.outcome == Outcome.REFUNDED:
        if _status_in(
            payment, {PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION}, locked=locked
        ):
            # The refund overtook the success event: a refunded charge was a paid one.
            _check_amount(payment, event)
            payment_confirm(
                payment=payment, gateway_payment_id=event.gateway_payment_id, by=by, locked=locked
            )
        payment_record_refund(
            payment=payment, refunded_total=from_cents(event.refunded_total_cents or 0), by=by
        )
    elif event.outcome in {Outcome.DISPUTED, Outcome.DISPUTE_CLOSED}:
        # ledger: the payment's status stays; the books hear of the chargeback.
        locked_payment = payment if locked else _lock(payment)
        if event.outcome == Outcome.DISPUTED:
            payment_disputed.send(
                sender=Payment,
                payment=locked_payment,
                amount=from_cents(event.amount_cents or 0),
                dispute_ref=event.dispute_ref,
            )
        else:
            dispute_closed.send(
                sender=Payment,
                payment=locked_payment,
                dispute_ref=event.dispute_ref,
                won=bool(event.dispute_won),
            )


def _event_row(event: GatewayEvent, payment: Payment | None) -> RowWithMove:
    """The event's row in `payment_events` (its id and when it came: the database's)."""
    return RowWithMove(
        PaymentEvent._meta.db_table,
        {
            "gateway": event.gateway,
            "event_id": event.event_id,
            "event_type": event.event_type,
            "payment_id": payment.pk if payment else None,
            "payload": Jsonb(event.payload),
        },
        ignore_conflict=True,
    )


def _event_record(event: GatewayEvent, payment: Payment | None) -> bool:
    """Keep the event's row; False when it was kept before. ON CONFLICT DO NOTHING waits
    for a delivery of the same event under way, as the unique key did, and then skips it,
    without the savepoint that catching the key's IntegrityError needed."""
    row = _event_row(event, payment)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {row.table} ({', '.join(row.values)}) "  # noqa: S608 - our names
            f"VALUES ({', '.join(['%s'] * len(row.values))}) "
            "ON CONFLICT (gateway, event_id) DO NOTHING RETURNING id",
            list(row.values.values()),
        )
        return cursor.fetchone() is not None


class _Handled(StrEnum):
    REPEATED = "repeated"  # kept before: not applied again
    APPLIED = "applied"
    REFUSED = "refused"  # kept and logged, changed nothing
    NOTHING_TO_APPLY = "nothing_to_apply"  # no payment of ours, or news that changes none


def payment_event_handle(*, event: GatewayEvent, by=None) -> bool:
    """Apply news from a gateway exactly once. Returns False for a repeated event.

    The event's row and its effects commit together: a second delivery (even one running
    at the same moment) waits on the unique key, then finds the row and does nothing. If
    applying fails unexpectedly, the row is rolled back too and the gateway's retry
    applies it later. News we refuse (a forbidden move, a wrong amount) is recorded and
    logged, never applied. Inside a caller's transaction (a renewal's charge) it joins it
    rather than adding a savepoint: what fails unexpectedly fails the caller too.
    """
    with transaction.atomic(savepoint=False):
        return _event_handle(event, _payment_for(event), by=by) is not _Handled.REPEATED


def _event_handle(
    event: GatewayEvent,
    payment: Payment | None,
    *,
    by,
    locked: bool = False,
    on_completed: CompletionHook | None = None,
) -> _Handled:
    """payment_event_handle's work, in a transaction, for the event's `payment`
    (`locked`: by the caller, in this transaction; payment_charge_saved)."""
    # The charge's own news of its success (`on_completed`), on the pending payment it
    # locked: its row is written in the statement that completes the payment (one round
    # trip fewer), or alone if the success is refused. What keeps it from being applied
    # twice is that lock and the pending check, not the event's id (a charge's answer is
    # applied to its payment whatever came before; a repeat would find it completed).
    with_move = (
        on_completed is not None
        and locked
        and event.outcome == Outcome.SUCCEEDED
        and payment is not None
        and payment.payment_status == PaymentStatus.PENDING
        and bool(event.event_id)
    )
    if event.event_id and not with_move and not _event_record(event, payment):
        logger.info("Event %s %s already handled.", event.gateway, event.event_id)
        return _Handled.REPEATED
    if payment is None:
        if event.outcome != Outcome.IGNORED:
            logger.warning("Event %s names no payment of ours.", event.event_id)
        return _Handled.NOTHING_TO_APPLY
    if event.outcome == Outcome.IGNORED:
        return _Handled.NOTHING_TO_APPLY
    # A refusal leaves nothing but the event's row. The purpose handler may refuse after
    # the payment's status was written, so applying is a savepoint the refusal rolls back.
    # A success the charge's caller completes (`on_completed`, which never refuses) is
    # refused, if at all, before its first write (the amount, the status move): no
    # savepoint, two statements fewer on every renewal.
    refused_only_before_writing = on_completed is not None and event.outcome == Outcome.SUCCEEDED
    try:
        with nullcontext() if refused_only_before_writing else transaction.atomic():
            _apply(
                payment,
                event,
                by,
                locked=locked,
                on_completed=on_completed,
                rows_with_move=(_event_row(event, payment),) if with_move else (),
            )
    except (PaymentError, StatusTransitionError) as error:
        if with_move:
            _event_record(event, payment)  # the news is kept, applied or not
        logger.error("Event %s for payment %s refused: %s", event.event_id, payment.pk, error)
        return _Handled.REFUSED
    return _Handled.APPLIED


def payment_test_checkout_submit(*, payment: Payment, card_number: str) -> Payment:
    """The payer's answer on our test checkout page, applied as the gateway's event."""
    from payments.gateways.test import TestGateway

    event = TestGateway().card_event(
        payment=payment,
        card_number=card_number,
        save_method=payment.purpose == PaymentPurpose.SUBSCRIPTION,
    )
    payment_event_handle(event=event)
    return Payment.objects.get(pk=payment.pk)


def payment_test_action_confirm(*, payment: Payment) -> Payment:
    """The payer confirmed on the test gateway's confirmation page (its 3-D Secure)."""
    from payments.gateways.test import TestGateway

    payment_event_handle(event=TestGateway().confirmed_event(payment=payment))
    return Payment.objects.get(pk=payment.pk)
