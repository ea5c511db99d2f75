from django.urls import path

from payments import views

app_name = "billing"

urlpatterns = [
    path("", views.billing_index, name="index"),
    path("add/", views.billing_add, name="add"),
    path("return/", views.billing_stripe_return, name="stripe_return"),
    path("<uuid:method_id>/remove/", views.billing_remove, name="remove"),
]
