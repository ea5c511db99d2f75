from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from payments.models import PaymentPurpose
        from payments.purposes import purpose_register
        from shop import receivers  # noqa: F401  (connects to other apps' events)
        from shop.purposes import FeaturedPayments, OrderPayments

        purpose_register(purpose=PaymentPurpose.ORDER, handler=OrderPayments())
        purpose_register(purpose=PaymentPurpose.FEATURED, handler=FeaturedPayments())
