"""What a subscription payment's outcome does to the membership (shop.payments.hooks).

They run in the transaction that moved the payment, with the payment locked.
"""

from shop.models import PaymentPurpose
from shop.payments.hooks import PaymentOutcome, on_payment


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.COMPLETED)
def subscription_paid(*, payment, by=None) -> None:
    from communities.services.subscriptions import subscription_paid as paid

    paid(payment=payment)


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.REFUNDED)
def subscription_refunded(*, payment, by=None) -> None:
    from communities.services.subscriptions import subscription_refunded as refunded

    refunded(payment=payment, by=by)


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.FAILED)
def subscription_payment_failed(*, payment, by=None) -> None:
    from communities.services.tiers import tier_change_payment_failed

    tier_change_payment_failed(payment=payment)
