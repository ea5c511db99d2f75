from django.urls import path

from shop import views

app_name = "shop"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("products/<uuid:product_id>/", views.product_detail, name="product"),
    path("manage/", views.product_manage, name="manage"),
    path("manage/products/new/", views.product_create_view, name="product_create"),
    path("manage/products/<uuid:product_id>/edit/", views.product_edit_view, name="product_edit"),
    path("manage/featured/new/", views.featured_new, name="featured_new"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/<uuid:product_id>/", views.cart_add_view, name="cart_add"),
    path("cart/update/<uuid:product_id>/", views.cart_update_view, name="cart_update"),
    path("cart/remove/<uuid:product_id>/", views.cart_remove_view, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel_view, name="order_cancel"),
    path(
        "orders/<uuid:order_id>/items/<uuid:item_id>/link/",
        views.download_link_renew_view,
        name="download_renew",
    ),
    path("downloads/<str:token>/", views.download, name="download"),
    path("fulfilment/", views.fulfilment, name="fulfilment"),
    path("fulfilment/items/<uuid:item_id>/", views.fulfilment_item, name="fulfilment_item"),
    path("manage/shipping/", views.shipping_rates, name="shipping_rates"),
    path(
        "manage/shipping/<uuid:rate_id>/delete/",
        views.shipping_rate_delete_view,
        name="shipping_rate_delete",
    ),
]
