"""Background work of the shop. Tasks take ids, call a service and are safe to run twice."""

import logging
from decimal import Decimal

from django.core.mail import send_mail
from django.template.loader import render_to_string

from musicplatform.tasks import platform_task
from shop.models import Payment

logger = logging.getLogger(__name__)


@platform_task
def payment_receipt_send(payment_id: str, kind: str, amount: str) -> None:
    """Email the receipt of a payment (`kind="payment"`) or of a refund of `amount`."""
    payment = Payment.objects.select_related("user", "order").get(pk=payment_id)
    recipient = (payment.user.email if payment.user else None) or (
        payment.order.contact_email if payment.order else None
    )
    if not recipient:
        return
    context = {"payment": payment, "kind": kind, "amount": Decimal(amount)}
    subject = "Your refund" if kind == "refund" else "Your payment receipt"
    send_mail(
        subject=f"{subject}: {amount} {payment.currency}",
        message=render_to_string("shop/payments/email/receipt.txt", context),
        from_email=None,
        recipient_list=[recipient],
    )


@platform_task
def payment_refund_unwanted(payment_id: str) -> None:
    """Give back a payment that completed for something already paid for."""
    from shop.payments.services import PaymentError, payment_refund

    payment = Payment.objects.get(pk=payment_id)
    try:
        payment_refund(payment=payment)
    except PaymentError as error:
        # Already refunded (a second run) or not refundable: nothing left to give back.
        logger.info("Unwanted payment %s not refunded: %s", payment_id, error)


@platform_task
def orders_release_abandoned() -> int:
    """Beat: cancel orders left unpaid past the hold, so their stock can be sold again."""
    from shop.services.orders import orders_release_abandoned as release

    return release()
