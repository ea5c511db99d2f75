"""Placing an order (stock reserved under row locks), and every move of its lifecycle.

Statuses move only through `status_change` with `ORDER_TRANSITIONS`. Lock order: payment,
then order, then order items, then products (musicplatform/locking.py), each kind by pk.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from musicplatform.audit.services import status_change
from musicplatform.locking import rows_locked_in_order
from notifications.models import NotificationType
from notifications.services import notifications_create
from payments.models import Payment, PaymentStatus
from shop.models import (
    ORDER_TRANSITIONS,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    Product,
    ProductDelivery,
    SavedAddress,
)
from shop.selectors import shipping_quote
from shop.services import ShopError
from shop.services.cart import unit_price
from shop.services.downloads import OWNED_STATUSES, download_links_issue
from shop.services.fulfilment import order_sellers_notify

STATUS_MESSAGES: dict[str, str] = {
    OrderStatus.PAID: "Thank you! Your order {short} is confirmed.",
    OrderStatus.PARTLY_SHIPPED: "Part of your order {short} is on its way.",
    OrderStatus.SHIPPED: "Your order {short} is on its way.",
    OrderStatus.DELIVERED: "Your order {short} was delivered.",
    OrderStatus.CANCELLED: "Your order {short} was cancelled.",
}


class PriceChanged(ShopError):
    """The total (prices, or shipping to the address given) is not the one the buyer saw;
    they must see the new one first."""

    def __init__(self, total: Decimal, shipping: Decimal):
        self.total, self.shipping = total, shipping
        super().__init__(
            f"The total changed since you opened this page (prices, or shipping to your "
            f"address: {shipping}). The new total is {total}; check it and confirm again to pay."
        )


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str
    region: str = ""

    def as_json(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value}


def saved_address_remember(*, user, address: Address) -> SavedAddress:
    """Keep the address for the buyer's next checkout; the same address again is only
    marked as the latest used."""
    saved, created = SavedAddress.objects.get_or_create(user=user, **address.__dict__)
    if not created:
        saved.last_used_at = timezone.now()
        saved.save(update_fields=["last_used_at"])
    return saved


def order_place(
    *,
    user,
    quantities: dict[str, int],
    contact_email: str,
    contact_phone: str,
    shipping_address: Address | None,
    checkout_key: UUID,
    expected_total: Decimal | None,
    remember_address: bool = False,
    chosen_prices: dict[str, Decimal] | None = None,
) -> tuple[Order, bool]:
    """Turn the cart into a pending order and reserve its stock; (order, placed now?).

    Products are locked in pk order, so two buyers of the last item queue up and the
    second one finds it gone. Prices are read under the lock, and shipping is each
    artist's rate for the destination: if the total differs from the one the buyer
    confirmed, nothing is placed and the new total is reported. The same `checkout_key`
    a second time returns the first order.
    """
    if not quantities:
        raise ShopError("Your cart is empty.")
    with transaction.atomic():
        products = list(rows_locked_in_order(Product.objects).filter(pk__in=list(quantities)))
        existing = Order.objects.filter(checkout_key=checkout_key).first()
        if existing is not None:
            if existing.user_id != user.pk:
                raise ShopError("This checkout is not yours.")
            return existing, False
        if len(products) != len(quantities):
            raise ShopError("A product in your cart no longer exists; it was removed.")
        lines = []
        for product in products:
            quantity = quantities[str(product.pk)]
            if not product.is_active:
                raise ShopError(f"“{product.name}” is no longer available.")
            if quantity < 1 or quantity > settings.SHOP_MAX_QUANTITY:
                raise ShopError(f"Choose between 1 and {settings.SHOP_MAX_QUANTITY} items.")
            if product.stock_quantity is not None and quantity > product.stock_quantity:
                raise ShopError(
                    f"“{product.name}” is sold out."
                    if product.stock_quantity == 0
                    else f"Only {product.stock_quantity} of “{product.name}” left."
                )
            price = unit_price(product=product, chosen_prices=chosen_prices or {})
            lines.append((product, quantity, price, price * quantity))
        physical = [p for p in products if p.delivery == ProductDelivery.PHYSICAL]
        # Where the physical items go; a digital-only order ships nowhere.
        destination = None
        if physical:
            if shipping_address is None:
                raise ShopError("Physical items need a shipping address.")
            destination = shipping_address
        shipping = Decimal("0.00")
        if destination is not None:
            quote = shipping_quote(products=physical, country=destination.country)
            if quote.unserved:
                raise ShopError(quote.problem)
            shipping = quote.amount
        total = sum((subtotal for _, _, _, subtotal in lines), shipping)
        if expected_total is not None and total != expected_total:
            raise PriceChanged(total, shipping)
        if 0 < total < settings.SHOP_MIN_PRICE:
            # No gateway charges less (products priced so before SHOP_MIN_PRICE existed):
            # such an order could never be paid.
            raise ShopError(
                f"The smallest total we can charge is {settings.SHOP_MIN_PRICE}; "
                "add something to your cart."
            )
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    user=user,
                    total_amount=total,
                    shipping_amount=shipping,
                    contact_email=contact_email,
                    contact_phone=contact_phone or None,
                    shipping_address=destination.as_json() if destination is not None else None,
                    checkout_key=checkout_key,
                )
        except IntegrityError:
            # The same key placed by a request on another product set; keep the first.
            return Order.objects.get(checkout_key=checkout_key), False
        OrderItem.objects.bulk_create(
            OrderItem(
                order=order,
                product=product,
                quantity=quantity,
                unit_price=price,
                subtotal=subtotal,
                status=OrderItemStatus.TO_SHIP if product in physical else None,
            )
            for product, quantity, price, subtotal in lines
        )
        if destination is not None and remember_address:
            saved_address_remember(user=user, address=destination)
        for product, quantity, _, _ in lines:
            if product.stock_quantity is not None:
                Product.objects.filter(pk=product.pk).update(
                    stock_quantity=F("stock_quantity") - quantity
                )
        if total == 0:
            order = order_complete_free(order=order, by=user)
    return order, True


def order_stock_release(*, order: Order, item_ids=None) -> None:
    """Give reserved items back to stock: `item_ids`, or every line of the order that no
    refund gave back before (those returned their stock then). The caller holds the
    order lock."""
    lines = OrderItem.objects.filter(order_id=order.pk)
    lines = lines.filter(refund__isnull=True) if item_ids is None else lines.filter(pk__in=item_ids)
    items = list(lines.values_list("product_id", "quantity"))
    returned: dict = {}
    for product_id, quantity in items:
        returned[product_id] = returned.get(product_id, 0) + quantity
    for product in rows_locked_in_order(Product.objects).filter(
        pk__in=list(returned), stock_quantity__isnull=False
    ):
        Product.objects.filter(pk=product.pk).update(
            stock_quantity=F("stock_quantity") + returned[product.pk]
        )


def _notify(order: Order, status: str) -> None:
    """In-app notice of the move; its email copy goes out through Celery after commit."""
    if order.user_id is None:
        return
    notifications_create(
        recipient_ids=[order.user_id],
        notification_type=NotificationType.ORDER,
        title=f"Order {order.get_status_display().lower()}",
        message=STATUS_MESSAGES[status].format(short=str(order.pk)[:8]),
        resource_type="order",
        resource_id=order.pk,
    )


def order_status_move(*, order: Order, status: str, by) -> tuple[Order, bool]:
    """The one way an order's status moves (ORDER_TRANSITIONS): history, and the buyer's
    notification."""
    order, changed = status_change(
        instance=order,
        new_status=status,
        by=by,
        transitions=ORDER_TRANSITIONS,
        entity_type="order",
    )
    if changed:
        _notify(order, status)
    return order, changed


def order_mark_paid(*, order: Order, by) -> Order:
    """pending → paid; digital items get their download links, and the artists of its
    physical items are told to ship them. Called by the payment hook."""
    with transaction.atomic():
        order, changed = order_status_move(order=order, status=OrderStatus.PAID, by=by)
        if changed:
            download_links_issue(order=order)
            order_sellers_notify(order=order)
    return order


def order_complete_free(*, order: Order, by) -> Order:
    """pending → paid for an order with nothing to pay (free downloads): no payment row,
    no gateway; its download links are issued as for a paid one."""
    with transaction.atomic():
        locked = rows_locked_in_order(Order.objects).get(pk=order.pk)
        if locked.status != OrderStatus.PENDING:
            raise ShopError("This order is not waiting for payment.")
        if locked.total_amount != 0:
            raise ShopError("This order has a total to pay.")
        return order_mark_paid(order=locked, by=by)


def order_cancel(*, order: Order, by) -> Order:
    """Cancel a pending order (its stock goes back), or what of a paid one was not
    delivered, refunded at once (`shop.services.refunds.order_refund_undelivered`)."""
    order = Order.objects.get(pk=order.pk)
    if order.status in OWNED_STATUSES:
        from shop.services.refunds import order_refund_undelivered

        order_refund_undelivered(order=order, by=by, request_key=uuid.uuid4())
        return Order.objects.get(pk=order.pk)
    with transaction.atomic():
        locked = rows_locked_in_order(Order.objects).get(pk=order.pk)
        if locked.status == OrderStatus.CANCELLED:
            return locked
        if locked.status != OrderStatus.PENDING:
            raise ShopError(f"A {locked.get_status_display().lower()} order cannot be cancelled.")
        locked, _ = order_status_move(order=locked, status=OrderStatus.CANCELLED, by=by)
        order_stock_release(order=locked)
    return locked


def order_cancel_refunded(*, order_id, payment_id, by) -> None:
    """A paid order whose payment was refunded in full: cancelled, stock returned.

    Called by the refund hook with the payment locked. The refund of a second, unwanted
    payment (the order was paid by another one) leaves the order alone."""
    locked = rows_locked_in_order(Order.objects).get(pk=order_id)
    if locked.status != OrderStatus.PAID:
        return
    paid_otherwise = (
        Payment.objects.filter(order_id=order_id, payment_status=PaymentStatus.COMPLETED)
        .exclude(pk=payment_id)
        .exists()
    )
    if paid_otherwise:
        return
    locked, _ = order_status_move(order=locked, status=OrderStatus.CANCELLED, by=by)
    order_stock_release(order=locked)


def order_hold_ends(order: Order):
    """When a pending order's stock is released: SHOP_ORDER_HOLD_MINUTES after it was
    placed, or later if a checkout session that may still be paid extended it."""
    held = order.created_at + timedelta(minutes=settings.SHOP_ORDER_HOLD_MINUTES)
    return max(held, order.reserved_until) if order.reserved_until else held


def orders_release_abandoned() -> int:
    """Cancel the orders left pending longer than the hold, one by one; how many."""
    now = timezone.now()
    cutoff = now - timedelta(minutes=settings.SHOP_ORDER_HOLD_MINUTES)
    stale = (
        Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff)
        .exclude(reserved_until__gt=now)
        .order_by("pk")
    )
    released = 0
    for order_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            locked = rows_locked_in_order(Order.objects).filter(pk=order_id).first()
            # Re-read under the lock: a checkout started meanwhile may have extended it.
            if (
                locked is None
                or locked.status != OrderStatus.PENDING
                or order_hold_ends(locked) > now
            ):
                continue
            locked, _ = order_status_move(order=locked, status=OrderStatus.CANCELLED, by=None)
            order_stock_release(order=locked)
            released += 1
    return released
