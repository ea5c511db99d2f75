from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"

    def ready(self) -> None:
        # Registers what happens here when a subscription's payment completes.
        from communities import hooks  # noqa: F401
