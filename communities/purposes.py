"""What a subscription payment's outcome does to the membership: the communities' handler
for the payment service (payments.purposes), registered in CommunitiesConfig.ready().

It runs in the transaction that moved the payment, with the payment locked.
"""

from communities.models import CommunitySubscription
from communities.selectors import subscription_payees


class SubscriptionPayments:
    def completed(self, *, payment, by) -> None:
        from communities.services.subscriptions import subscription_paid

        subscription_paid(payment=payment)

    def failed(self, *, payment, by) -> None:
        """A failed first payment leaves the membership pending, and a failed upgrade
        payment cancels the tier change so the member can try again; a failed renewal is
        handled by the renewal that charged it (communities.services.renewals)."""
        from communities.services.tiers import tier_change_payment_failed

        tier_change_payment_failed(payment=payment)

    def refunded(self, *, payment, by) -> None:
        from communities.services.subscriptions import subscription_refunded

        subscription_refunded(payment=payment, by=by)

    def description(self, *, payment) -> str:
        subscription = CommunitySubscription.objects.select_related("community").get(
            pk=payment.subscription_id
        )
        return f"{subscription.community.name} ({subscription.billing_interval})"

    def url(self, *, payment) -> str:
        return payment.subscription.get_absolute_url()

    def payees(self, *, payments) -> dict:
        return subscription_payees(payments=payments)
