from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Management commands for the database as a whole (docs/operations.md); no models."""

    name = "operations"
