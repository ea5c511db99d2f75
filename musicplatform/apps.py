from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    # Imported only when the apps are ready: the site needs the accounts app.
    default_site = "musicplatform.admin.AdminSite"
