from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from musicplatform import views
from shop import views as shop_views

urlpatterns = [
    path("", views.home, name="home"),
    # /healthz is the readiness check under the name monitors already use.
    path("healthz", views.healthz_ready, name="healthz"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("search/", views.search, name="search"),
    path("admin/", admin.site.urls),
    # Before allauth's: the routes of it we do not use answer 404.
    path("accounts/", include("accounts.leftover_urls")),
    path("accounts/", include("allauth.urls")),
    path("payments/", include("payments.urls")),
    path("settings/billing/", include("payments.billing_urls")),
    path("shop/", include("shop.urls")),
    # Everything a buyer owns, under the account rather than the shop (issue 17, item 10).
    path("purchases/", shop_views.purchases, name="purchases"),
    path("", include("catalogue.urls")),
    path("", include("accounts.urls")),
    path("", include("content.urls")),
    # Earnings, statements and Stripe Connect, under the artist's own addresses.
    path("", include("ledger.urls")),
    path("artists/", include("artists.urls")),
    path("communities/", include("communities.urls")),
    path("notifications/", include("notifications.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
