from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from musicplatform import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # Before allauth's: the routes of it we do not use answer 404.
    path("accounts/", include("accounts.leftover_urls")),
    path("accounts/", include("allauth.urls")),
    path("payments/", include("shop.payments.urls")),
    path("shop/", include("shop.urls")),
    path("", include("accounts.urls")),
    path("", include("content.urls")),
    path("artists/", include("artists.urls")),
    path("communities/", include("communities.urls")),
    path("notifications/", include("notifications.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
