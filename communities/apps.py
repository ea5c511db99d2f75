from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"

    def ready(self) -> None:
        # Registers what happens here when a subscription's payment completes.
        from communities import hooks  # noqa: F401
        from communities.selectors import subscription_payees
        from ledger.payees import payees_register
        from shop.models import PaymentPurpose

        payees_register(PaymentPurpose.SUBSCRIPTION, subscription_payees)
