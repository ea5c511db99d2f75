from django.apps import AppConfig


class AuditConfig(AppConfig):
    # An app of its own inside the core package (the `musicplatform` package itself is not an
    # app: importing it loads Celery), so that the status history model has a core home.
    name = "musicplatform.audit"
    label = "audit"
