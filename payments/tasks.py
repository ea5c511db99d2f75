"""Background work of payments. Tasks take ids, call a service and are safe to run twice."""

import logging

from musicplatform.tasks import platform_task
from payments.models import Payment

logger = logging.getLogger(__name__)


@platform_task
def payment_receipt_send(payment_id: str, kind: str) -> bool:
    """Email the receipt of a payment (`kind="payment"`) or of its latest refunds
    (`"refund"`), once."""
    from payments.services import payment_receipt_send as send

    return send(payment_id=payment_id, kind=kind)


@platform_task
def payment_receipts_sweep() -> int:
    """Beat: send the receipts whose task was lost."""
    from payments.services import payment_receipts_sweep as sweep

    return sweep()


@platform_task
def payment_refund_unwanted(payment_id: str) -> None:
    """Give back a payment that completed for something already paid for."""
    from payments.services import PaymentError, payment_refund

    payment = Payment.objects.get(pk=payment_id)
    try:
        payment_refund(payment=payment)
    except PaymentError as error:
        # Already refunded (a second run) or not refundable: nothing left to give back.
        logger.info("Unwanted payment %s not refunded: %s", payment_id, error)


@platform_task
def saved_payment_method_detach(method_id: str) -> bool:
    """Detach a saved card at its gateway and forget it (an account was deleted)."""
    from payments.services import saved_payment_method_detach as detach

    return detach(method_id=method_id)


@platform_task
def saved_payment_methods_of_deleted_detach() -> int:
    """Beat: detach the cards deleted accounts still have (a lost or failed task)."""
    from payments.services import saved_payment_methods_of_deleted_detach as detach

    return detach()
