"""The communities side of a subscription payment's outcome (shop.payments.hooks).

The payment service's own handler activates or extends the subscription first; these run
after it, in the same transaction.
"""

from shop.models import PaymentPurpose
from shop.payments.hooks import PaymentOutcome, on_payment


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.COMPLETED)
def subscription_paid(*, payment) -> None:
    from communities.services import subscription_paid as paid

    paid(payment=payment)


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.REFUNDED)
def subscription_refunded(*, payment) -> None:
    from communities.services import subscription_refunded as refunded

    refunded(payment=payment)
