from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    # Imported only when the apps are ready: the site needs the accounts app.
    default_site = "musicplatform.admin.AdminSite"

    def ready(self) -> None:
        super().ready()
        # The musicplatform package is no app of its own (importing it loads Celery); the
        # admin's config is its one app config, so the web glue's receivers connect here.
        from musicplatform import receivers  # noqa: F401
