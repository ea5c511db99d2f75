from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects allauth's signals)
        from accounts.ratelimit import allauth_limits_in_postgresql

        allauth_limits_in_postgresql()
