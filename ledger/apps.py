from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"

    def ready(self) -> None:
        # Books what the payment service reports (payments/signals.py).
        from ledger import receivers  # noqa: F401
