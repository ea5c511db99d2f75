"""What a subscription payment's outcome does to the membership (payments.hooks).

They run in the transaction that moved the payment, with the payment locked.
"""

from payments.hooks import PaymentOutcome, on_payment
from payments.models import PaymentPurpose


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.COMPLETED)
def subscription_paid(*, payment, by=None) -> None:
    from communities.services import subscription_paid as paid

    paid(payment=payment)


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.REFUNDED)
def subscription_refunded(*, payment, by=None) -> None:
    from communities.services import subscription_refunded as refunded

    refunded(payment=payment, by=by)
