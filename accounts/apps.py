from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from accounts import receivers  # noqa: F401  (connects allauth's signals)
        from accounts.middleware import read_with_the_user
        from accounts.ratelimit import allauth_limits_in_postgresql
        from musicplatform.fragments import user_header_key

        allauth_limits_in_postgresql()
        # The user's header, kept rendered, on every signed-in page: in the session's round trip.
        read_with_the_user(user_header_key)
