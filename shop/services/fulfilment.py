"""Artists ship and deliver their own items of paid orders; the order's status follows.

Lock order (musicplatform/locking.py): the order, then the item. An item moves only through
`status_change` with `ORDER_ITEM_TRANSITIONS`; the order's status is then recomputed from
all its physical items by `order_status_from_items`, the one place that decides it.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from musicplatform.audit.services import StatusTransitionError, status_change
from musicplatform.locking import rows_locked_in_order
from notifications.models import NotificationType
from notifications.services import notifications_create
from shop.models import (
    ORDER_ITEM_TRANSITIONS,
    ORDER_TRANSITIONS,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
)
from shop.services import ShopError

# The order statuses in which its physical items may be shipped or delivered.
FULFILLING = (OrderStatus.PAID, OrderStatus.PARTLY_SHIPPED, OrderStatus.SHIPPED)


def order_status_from_items(statuses: Iterable[str | None]) -> OrderStatus:
    """A paid order's status from its items' (digital items, None, do not count):
    every physical item delivered → delivered; every one at least shipped → shipped;
    some shipped → partly shipped; none (or no physical item) → paid."""
    physical = [status for status in statuses if status is not None]
    if not physical:
        return OrderStatus.PAID
    if all(status == OrderItemStatus.DELIVERED for status in physical):
        return OrderStatus.DELIVERED
    if all(status != OrderItemStatus.TO_SHIP for status in physical):
        return OrderStatus.SHIPPED
    if any(status != OrderItemStatus.TO_SHIP for status in physical):
        return OrderStatus.PARTLY_SHIPPED
    return OrderStatus.PAID


def order_item_fulfil(
    *, item_id, user, status: str, carrier: str = "", tracking_number: str = ""
) -> OrderItem:
    """The item's artist ships it (with carrier and tracking number) or marks it delivered.

    Anyone else's request, and an item that is not physical, is answered as a missing
    item. Shipping an item already shipped, or delivering one already delivered, changes
    nothing (a repeated click)."""
    if status not in {OrderItemStatus.SHIPPED, OrderItemStatus.DELIVERED}:
        raise ShopError("An item can only be marked shipped or delivered.")
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if status == OrderItemStatus.SHIPPED and not (carrier and tracking_number):
        raise ShopError("Enter the carrier and the tracking number of the parcel.")
    owned = OrderItem.objects.filter(
        pk=item_id, product__artist__user_id=user.pk, status__isnull=False, refund__isnull=True
    ).values_list("order_id", flat=True)
    order_id = owned.first()
    if order_id is None:
        raise OrderItem.DoesNotExist
    with transaction.atomic():
        order = rows_locked_in_order(Order.objects).get(pk=order_id)
        if order.status not in FULFILLING:
            raise ShopError("Only the items of a paid order can be shipped.")
        item = OrderItem.objects.get(pk=item_id)
        try:
            item, changed = status_change(
                instance=item,
                new_status=status,
                by=user,
                transitions=ORDER_ITEM_TRANSITIONS,
                entity_type="order_item",
            )
        except StatusTransitionError as error:
            raise ShopError("An item is shipped first, then delivered.") from error
        if changed and status == OrderItemStatus.SHIPPED:
            item.carrier, item.tracking_number = carrier, tracking_number
            item.save(update_fields=["carrier", "tracking_number"])
        if changed:
            order_status_follow_items(order=order, by=user)
    return item


def order_status_follow_items(*, order: Order, by) -> Order:
    """The locked order moves to the status its items give; lines given back by a refund
    no longer count. A move its transitions forbid (staff refunded a shipped item, the
    rest is unshipped) leaves the status as it is: the order does not go back to paid."""
    from shop.services.orders import order_status_move

    statuses = OrderItem.objects.filter(order_id=order.pk, refund__isnull=True).values_list(
        "status", flat=True
    )
    status = order_status_from_items(statuses)
    if status not in ORDER_TRANSITIONS.get(order.status, ()):
        return order
    order, _ = order_status_move(order=order, status=status, by=by)
    return order


def order_sellers_notify(*, order: Order) -> None:
    """Each artist with items in a just-paid order is told: what to ship (physical items,
    `sale`) and what sold (digital items, `new_sale`); email copies follow their
    preferences for each type."""
    to_ship: dict = defaultdict(list)
    sold: dict = defaultdict(list)
    for item in (
        OrderItem.objects.filter(order_id=order.pk)
        .select_related("product__artist")
        .order_by("created_at", "pk")
    ):
        if item.product.artist.user_id is None:
            continue  # the artist's account is gone: nobody to tell
        # Digital items have no fulfilment status.
        lines = sold if item.status is None else to_ship
        lines[item.product.artist.user_id].append(f"{item.quantity} × {item.product.name}")
    for artist_user_id, items in to_ship.items():
        notifications_create(
            recipient_ids=[artist_user_id],
            notification_type=NotificationType.SALE,
            title="New order to ship",
            message=(
                f"Order {str(order.pk)[:8]} was paid: {', '.join(items)}. "
                "Ship it from “Orders to fulfil” in your shop."
            ),
        )
    for artist_user_id, items in sold.items():
        notifications_create(
            recipient_ids=[artist_user_id],
            notification_type=NotificationType.NEW_SALE,
            title="New sale",
            message=f"Order {str(order.pk)[:8]} was paid: {', '.join(items)}.",
        )
