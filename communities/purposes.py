"""What a subscription payment's outcome does to the membership: the communities' handler
for the payment service (payments.purposes), registered in CommunitiesConfig.ready().

It runs in the transaction that moved the payment, with the payment locked.
"""

from decimal import Decimal
from uuid import UUID

from django.urls import reverse

from communities.models import CommunitySubscription, SubscriptionStatus
from communities.selectors import subscription_payees
from payments.purposes import Checkout
from payments.services import PaymentError


class SubscriptionPayments:
    def payable_by(self, *, user, target_id) -> bool:
        return CommunitySubscription.objects.filter(pk=target_id, user_id=user.pk).exists()

    def checkout(self, *, user, target_id, amount: Decimal | None) -> Checkout:
        """The price the member accepted (the community's fee of the day they joined, or a
        new one they switched to), never a later fee; `amount`: a tier upgrade's prorated
        difference (communities.services.tiers)."""
        subscription = CommunitySubscription.objects.select_for_update(of=("self",)).get(
            pk=target_id
        )
        if subscription.user_id != user.pk:
            raise PaymentError("This subscription is not yours.")
        if subscription.status == SubscriptionStatus.ENDED:
            # Rejoining goes through the community's page, at today's price.
            raise PaymentError("This membership has ended; join again from its page.")
        return Checkout(
            amount=subscription.price if amount is None else amount,
            target={"subscription_id": subscription.pk},
        )

    def checkout_started(self, *, payment, target_id, expires_at) -> None:
        """The payment points at the membership; it changes when the payment completes."""

    def checkout_refused_url(self, *, target_id) -> str:
        return reverse("home")

    def payer_returned(self, *, request, payment) -> None:
        """Nothing to tidy: the membership starts when the payment completes."""

    def retry_target_id(self, *, payment) -> UUID | None:
        return payment.subscription_id

    def saved_card_pays(self, *, user) -> list:
        """The memberships that renew on the default card, soonest first."""
        return list(
            CommunitySubscription.objects.filter(user=user, is_active=True, auto_renew=True)
            .select_related("community")
            .order_by("end_date", "pk")
        )

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
