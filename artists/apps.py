from django.apps import AppConfig


class ArtistsConfig(AppConfig):
    name = "artists"

    def ready(self) -> None:
        from artists import receivers  # noqa: F401  (connects to other apps' events)
