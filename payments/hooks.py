"""What happens to the thing paid for when its payment completes, fails or is refunded.

One registry, keyed by (purpose, outcome). The payment service calls
`payment_outcome_dispatch` inside the transaction that moved the payment, with the
payment row locked; a handler locks what it changes after that (payment first, then
the order or subscription: one lock order everywhere). Other apps add handlers with
`@on_payment(PaymentPurpose.X, PaymentOutcome.Y)`; see docs/payments.md.
"""

from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum

from musicplatform.tasks import enqueue_on_commit
from payments.models import Payment, PaymentPurpose, PaymentStatus
from shop.models import Order, OrderStatus


class PaymentOutcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    # Every refund, partial or full; a handler reads `payment.payment_status` to tell.
    REFUNDED = "refunded"


Handler = Callable[..., None]
_handlers: dict[tuple[str, str], list[Handler]] = defaultdict(list)


def on_payment(purpose: str, outcome: PaymentOutcome) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[(purpose, outcome)]:
            _handlers[(purpose, outcome)].append(handler)
        return handler

    return register


def payment_outcome_dispatch(*, payment: Payment, outcome: PaymentOutcome, by=None) -> None:
    """`by` is who made the outcome happen (staff refunding, say); None for the gateway's
    own news. Handlers record it in the status moves they make."""
    for handler in _handlers[(payment.purpose, outcome)]:
        handler(payment=payment, by=by)


@on_payment(PaymentPurpose.ORDER, PaymentOutcome.COMPLETED)
def order_paid(*, payment: Payment, by=None) -> None:
    """pending → paid. An order that something else already paid gets this money back."""
    # Locked before its status is read: of two payments completing at once, the second
    # sees the order paid and gives its money back.
    from shop.services.orders import order_mark_paid

    order = Order.objects.select_for_update(of=("self",)).get(pk=payment.order_id)
    if order.status == OrderStatus.PENDING:
        order_mark_paid(order=order, by=payment.user)
        return
    already_paid = (
        Payment.objects.filter(order_id=order.pk, payment_status=PaymentStatus.COMPLETED)
        .exclude(pk=payment.pk)
        .exists()
    )
    if already_paid or order.status == OrderStatus.CANCELLED:
        _refund_later(payment)


@on_payment(PaymentPurpose.ORDER, PaymentOutcome.REFUNDED)
def order_refunded(*, payment: Payment, by=None) -> None:
    """A paid order refunded in full is cancelled and its stock returned, in the name of
    whoever refunded it (None: the gateway reported a refund made elsewhere)."""
    from shop.services.orders import order_cancel_refunded

    if payment.payment_status == PaymentStatus.REFUNDED:
        order_cancel_refunded(order_id=payment.order_id, payment_id=payment.pk, by=by)


@on_payment(PaymentPurpose.FEATURED, PaymentOutcome.COMPLETED)
def featured_paid(*, payment: Payment, by=None) -> None:
    """A placement is live once its payment completed; a payment it no longer points to
    (the payer started another one and both went through) is given back."""
    if not payment.featured_items.exists():
        _refund_later(payment)


def _refund_later(payment: Payment) -> None:
    from payments.tasks import payment_refund_unwanted

    enqueue_on_commit(payment_refund_unwanted, str(payment.pk))
