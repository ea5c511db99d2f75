from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"

    def ready(self) -> None:
        from ledger.payees import payees_register
        from shop.models import PaymentPurpose
        from shop.selectors import order_payees

        # Who earns from an order's payment (the ledger asks; docs/payments.md).
        payees_register(PaymentPurpose.ORDER, order_payees)
