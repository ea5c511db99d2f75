"""Money given back for orders: what the buyer may cancel themselves, and staff refunds.

The buyer is refunded automatically only for what was not delivered (a digital item whose
download link was never used, a physical item its artist has not shipped:
`selectors.delivery_note`), with the shipping once no physical item is left to ship and
none was shipped (`_shipping_with`);
anything else is a staff decision with a reason. Every refund goes through
`payment_refund` and is recorded as a `Refund` whose lines are given back once, and
whose move to `issued` is in `status_history` with the person who made it.

Lock order (musicplatform/locking.py): the order's payments, the order, its items, products.
Under those locks a refund never gives back more than was paid, and a repeated request
(the same `request_key`) finds the first one.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Sum

from musicplatform.audit.services import status_change
from musicplatform.locking import rows_locked_in_order
from payments.events import CENT
from payments.models import Payment, PaymentStatus
from shop.models import (
    REFUND_TRANSITIONS,
    DownloadUse,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    Refund,
    RefundStatus,
)
from shop.selectors import delivery_note
from shop.services import ShopError
from shop.services.downloads import OWNED_STATUSES
from shop.services.fulfilment import order_status_follow_items
from shop.services.orders import order_status_move, order_stock_release

# Who cancelled (the buyer, or staff with the order admin's action) is `requested_by`.
UNDELIVERED_REASON = "Cancelled before delivery."


def cannot_cancel_message(notes: list[str]) -> str:
    return (
        f"This order cannot be cancelled any more: {'; '.join(notes)}. "
        f"Please contact support ({settings.SUPPORT_EMAIL}) to ask for a refund."
    )


@dataclass
class _Locked:
    order: Order
    payment: Payment | None  # the payment to refund; None for a free order
    refundable: Decimal
    items: list[OrderItem]  # every line of the order, with `first_download_at`


def _lock(order: Order) -> _Locked:
    payments = list(
        rows_locked_in_order(Payment.objects).filter(
            order_id=order.pk,
            payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
        )
    )
    locked = rows_locked_in_order(Order.objects).get(pk=order.pk)
    items = list(
        rows_locked_in_order(OrderItem.objects).select_related("product").filter(order=locked)
    )
    first_uses = dict(
        DownloadUse.objects.filter(order_item__order_id=locked.pk)
        .values("order_item_id")
        .annotate(first=Min("used_at"))
        .values_list("order_item_id", "first")
    )
    for item in items:
        item.first_download_at = first_uses.get(item.pk)
    # The payment still completed is the one to refund; once it is all refunded, nothing is.
    payment = next(
        (p for p in payments if p.payment_status == PaymentStatus.COMPLETED),
        payments[-1] if payments else None,
    )
    refundable = Decimal("0.00")
    if payment is not None and payment.payment_status == PaymentStatus.COMPLETED:
        # Refunds the gateway has not confirmed yet (a pending Stripe refund) count too.
        promised = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"]
        refundable = payment.amount - max(payment.refunded_amount, promised or Decimal("0.00"))
    return _Locked(order=locked, payment=payment, refundable=refundable, items=items)


def _give_back(
    *,
    state: _Locked,
    payment: Payment,
    items: list[OrderItem],
    amount: Decimal,
    reason: str,
    by,
    request_key: UUID,
    cancels: bool,
) -> Refund:
    """Record the refund, give its lines back and the money through `payment`'s gateway.

    `cancels`: the paid order is cancelled in `by`'s name (before the payment's
    full-refund hook would do it in the buyer's) with every line left in it; otherwise
    the order's status follows its remaining lines (the last unshipped item given back
    may leave it shipped). What never left returns to stock; shipped items do not.
    """
    from payments.services import PaymentError, payment_refund

    order = state.order
    if cancels:
        items = [item for item in state.items if item.refund_id is None]
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        reason=reason,
        requested_by=by,
        request_key=request_key,
    )
    OrderItem.objects.filter(pk__in=[item.pk for item in items]).update(refund=refund)
    sent = (OrderItemStatus.SHIPPED, OrderItemStatus.DELIVERED)
    order_stock_release(
        order=order, item_ids=[item.pk for item in items if item.status not in sent]
    )
    if cancels:
        order_status_move(order=order, status=OrderStatus.CANCELLED, by=by)
    else:
        order_status_follow_items(order=order, by=by)
    try:
        payment_refund(payment=payment, amount=amount, by=by)
    except PaymentError as error:
        raise ShopError(str(error)) from error
    refund, _ = status_change(
        instance=refund,
        new_status=RefundStatus.ISSUED,
        by=by,
        transitions=REFUND_TRANSITIONS,
        entity_type="refund",
    )
    return refund


def _shipping_with(*, state: _Locked, items: list[OrderItem]) -> Decimal:
    """The order's shipping when `items` give back its last physical items and none of
    them was ever shipped (nothing was sent, nothing is left to send); else 0.00. Once
    something was shipped, shipping is refunded only by staff (an amount)."""
    physical = [item for item in state.items if item.status is not None]
    giving = {item.pk for item in items}
    if not any(item.pk in giving for item in physical):
        return Decimal("0.00")
    if any(item.status != OrderItemStatus.TO_SHIP for item in physical):
        return Decimal("0.00")
    if any(item.refund_id is None and item.pk not in giving for item in physical):
        return Decimal("0.00")
    return state.order.shipping_amount


def _refund_amount(amount, *, refundable: Decimal, currency: str) -> Decimal:
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ShopError("Enter an amount such as 5.00.") from error
    if amount != amount.quantize(CENT) or not 0 < amount <= refundable:
        raise ShopError(
            f"Refund an amount above 0.00 and at most {refundable} {currency}, "
            "what is left of the payment."
        )
    return amount


def order_refund(
    *,
    order: Order,
    by,
    reason: str,
    request_key: UUID,
    item_ids=(),
    amount: Decimal | None = None,
) -> Refund:
    """A staff refund of a paid, shipped or delivered order: lines and/or an amount.

    Lines without an amount refund their subtotals (everything left, when they are all
    the order's remaining lines); an amount alone refunds money and keeps every line.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ShopError("Give the reason for the refund.")
    with transaction.atomic():
        state = _lock(order)
        existing = Refund.objects.filter(request_key=request_key).first()
        if existing is not None:
            if existing.order_id != state.order.pk:
                raise ShopError("This refund belongs to another order.")
            return existing
        if state.order.status not in OWNED_STATUSES:
            raise ShopError("Only a paid, shipped or delivered order can be refunded.")
        by_pk = {item.pk: item for item in state.items}
        wanted = set(item_ids)
        if any(item_id not in by_pk for item_id in wanted):
            raise ShopError("An item you chose is not part of this order.")
        items = [by_pk[item_id] for item_id in sorted(wanted)]
        if any(item.refund_id is not None for item in items):
            raise ShopError("An item you chose was already refunded.")
        if not items and amount is None:
            raise ShopError("Choose items or enter an amount to refund.")
        if state.payment is None:
            raise ShopError("This order was free: there is nothing to refund.")
        open_items = [item for item in state.items if item.refund_id is None]
        if amount is None:
            amount = (
                state.refundable
                if len(items) == len(open_items)
                else sum(
                    (item.subtotal for item in items), _shipping_with(state=state, items=items)
                )
            )
        amount = _refund_amount(
            amount, refundable=state.refundable, currency=state.payment.currency
        )
        return _give_back(
            state=state,
            payment=state.payment,
            items=items,
            amount=amount,
            reason=reason,
            by=by,
            request_key=request_key,
            cancels=state.order.status == OrderStatus.PAID
            and (amount == state.refundable or len(items) == len(open_items)),
        )


def order_refund_undelivered(*, order: Order, by, request_key: UUID) -> Refund | None:
    """The buyer cancels what was not delivered and is refunded for it at once.

    The whole paid order when nothing was delivered (cancelled; None when it was free),
    else the undelivered lines. Refused, saying why, when everything was delivered.
    """
    with transaction.atomic():
        state = _lock(order)
        existing = Refund.objects.filter(request_key=request_key).first()
        if existing is not None or state.order.status == OrderStatus.CANCELLED:
            return existing
        if state.order.status not in OWNED_STATUSES:
            raise ShopError(f"A {state.order.get_status_display().lower()} order is not paid.")
        open_items = [item for item in state.items if item.refund_id is None]
        notes = {item.pk: delivery_note(item=item) for item in open_items}
        undelivered = [item for item in open_items if not notes[item.pk]]
        delivered_notes = [note for note in notes.values() if note]
        whole_order = not delivered_notes and state.order.status == OrderStatus.PAID
        if whole_order:
            amount = state.refundable
        else:
            shipping = _shipping_with(state=state, items=undelivered)
            subtotals = sum((item.subtotal for item in undelivered), shipping)
            amount = min(subtotals, state.refundable)
        # A free order has no payment and nothing refundable: its amount is 0.
        if amount <= 0 or state.payment is None:
            if not whole_order:
                raise ShopError(cannot_cancel_message(delivered_notes or ["nothing is left"]))
            # A free order: nothing to give back, only the order to cancel.
            order_status_move(order=state.order, status=OrderStatus.CANCELLED, by=by)
            order_stock_release(order=state.order, item_ids=[item.pk for item in open_items])
            return None
        return _give_back(
            state=state,
            payment=state.payment,
            items=undelivered,
            amount=amount,
            reason=UNDELIVERED_REASON,
            by=by,
            request_key=request_key,
            cancels=whole_order,
        )
