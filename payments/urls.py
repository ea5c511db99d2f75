from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path(
        "pay/<str:purpose>/<uuid:target_id>/",
        views.payment_start_view,
        name="start",
    ),
    path("<uuid:payment_id>/", views.payment_detail, name="detail"),
    path("<uuid:payment_id>/test-checkout/", views.test_checkout, name="test_checkout"),
    path("<uuid:payment_id>/confirm/", views.payment_confirm, name="confirm"),
    path("<uuid:payment_id>/test-confirm/", views.test_confirm, name="test_confirm"),
    path("webhooks/stripe/", views.stripe_webhook, name="stripe_webhook"),
]
