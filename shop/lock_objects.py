"""Every row lock the shop takes, always in primary-key order so that two transactions
locking the same rows queue behind each other instead of deadlocking.

The order of kinds is fixed too: payment, then order, then order items, then products.
"""

from django.db.models import QuerySet

from shop.models import Order, OrderItem, Product


def product_qs_select_for_update() -> QuerySet[Product]:
    return Product.objects.order_by("pk").select_for_update(of=("self",))


def order_qs_select_for_update() -> QuerySet[Order]:
    return Order.objects.order_by("pk").select_for_update(of=("self",))


def order_item_qs_select_for_update() -> QuerySet[OrderItem]:
    return OrderItem.objects.order_by("pk").select_for_update(of=("self",))
