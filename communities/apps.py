from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"

    def ready(self) -> None:
        from communities import hooks  # noqa: F401  (connects to other apps' events)
        from communities.purposes import SubscriptionPayments
        from payments.models import PaymentPurpose
        from payments.purposes import purpose_register

        purpose_register(purpose=PaymentPurpose.SUBSCRIPTION, handler=SubscriptionPayments())
