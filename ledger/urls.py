from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("artists/<uuid:artist_id>/earnings/", views.earnings, name="earnings"),
    path(
        "artists/<uuid:artist_id>/earnings/statement/",
        views.statement_print,
        name="statement_print",
    ),
    path(
        "artists/<uuid:artist_id>/earnings/statement.csv",
        views.statement_csv,
        name="statement_csv",
    ),
    path("artists/<uuid:artist_id>/payouts/stripe/", views.connect, name="connect"),
    path(
        "artists/<uuid:artist_id>/payouts/stripe/start/",
        views.connect_start,
        name="connect_start",
    ),
    path("payouts/webhooks/stripe/", views.stripe_connect_webhook, name="stripe_webhook"),
]
