from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from accounts.middleware import read_with_the_user
        from notifications.selectors import unread_count_key

        # The header's badge, on every signed-in page: in the session's Redis round trip.
        read_with_the_user(unread_count_key)
