"""The ledger books what the payment service reports, in the payment's own transaction."""

from django.dispatch import receiver

from ledger.services import (
    fee_of_test_gateway,
    ledger_dispute_record,
    ledger_dispute_won_record,
    ledger_payment_record,
    ledger_refund_record,
)
from payments.models import PaymentGateway
from payments.signals import (
    dispute_closed,
    payment_completed,
    payment_disputed,
    payment_refunded,
)


@receiver(payment_completed, dispatch_uid="ledger_payment_completed")
def book_payment(sender, *, payment, payees=None, **kwargs) -> None:
    # The test gateway's fee is known now; Stripe's is read from its balance transaction
    # by ledger.tasks.stripe_fees_record, which books it later (before the holding ends).
    fee = fee_of_test_gateway(payment.amount) if payment.gateway == PaymentGateway.TEST else None
    ledger_payment_record(payment=payment, fee=fee, payees=payees)


@receiver(payment_refunded, dispatch_uid="ledger_payment_refunded")
def book_refund(sender, *, payment, amount, refunded_total, **kwargs) -> None:
    ledger_refund_record(payment=payment, amount=amount, refunded_total=refunded_total)


@receiver(payment_disputed, dispatch_uid="ledger_payment_disputed")
def book_dispute(sender, *, payment, amount, dispute_ref, **kwargs) -> None:
    ledger_dispute_record(payment=payment, amount=amount, dispute_ref=dispute_ref)


@receiver(dispute_closed, dispatch_uid="ledger_dispute_closed")
def book_dispute_closed(sender, *, payment, dispute_ref, won, **kwargs) -> None:
    if won:
        ledger_dispute_won_record(payment=payment, dispute_ref=dispute_ref)
