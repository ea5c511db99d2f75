"""Placing an order (stock reserved under row locks), and every move of its lifecycle.

Statuses move only through `status_change` with `ORDER_TRANSITIONS`. Lock order: payment,
then order, then order items, then products (shop/lock_objects.py), each kind by pk.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import NotificationType
from notifications.services import notifications_create, status_change
from shop.lock_objects import order_qs_select_for_update, product_qs_select_for_update
from shop.models import (
    ORDER_TRANSITIONS,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentStatus,
    Product,
    ProductType,
)
from shop.services import ShopError
from shop.services.cart import unit_price
from shop.services.downloads import download_links_issue

STATUS_MESSAGES = {
    OrderStatus.PAID: "Thank you! Your payment for order {short} was received.",
    OrderStatus.SHIPPED: "Your order {short} is on its way.",
    OrderStatus.DELIVERED: "Your order {short} was delivered.",
    OrderStatus.CANCELLED: "Your order {short} was cancelled.",
}


class PriceChanged(ShopError):
    """The total moved since the buyer last saw it; they must see the new one first."""

    def __init__(self, total: Decimal):
        self.total = total
        super().__init__(
            f"Prices changed since you opened this page. The new total is {total}; "
            "check it and confirm again to pay."
        )


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    country: str

    def as_json(self) -> dict:
        return {key: value for key, value in self.__dict__.items() if value}


def order_place(
    *,
    user,
    quantities: dict[str, int],
    contact_email: str,
    contact_phone: str,
    shipping_address: Address | None,
    checkout_key: UUID,
    expected_total: Decimal | None,
    chosen_prices: dict[str, Decimal] | None = None,
) -> tuple[Order, bool]:
    """Turn the cart into a pending order and reserve its stock; (order, placed now?).

    Products are locked in pk order, so two buyers of the last item queue up and the
    second one finds it gone. Prices are read under the lock: if the total differs from
    the one the buyer confirmed, nothing is placed and the new total is reported. The
    same `checkout_key` a second time returns the first order.
    """
    if not quantities:
        raise ShopError("Your cart is empty.")
    with transaction.atomic():
        products = list(product_qs_select_for_update().filter(pk__in=list(quantities)))
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
        total = sum((subtotal for _, _, _, subtotal in lines), Decimal("0.00"))
        if expected_total is not None and total != expected_total:
            raise PriceChanged(total)
        needs_shipping = any(p.product_type == ProductType.MERCHANDISE for p in products)
        if needs_shipping and shipping_address is None:
            raise ShopError("Merchandise needs a shipping address.")
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    user=user,
                    total_amount=total,
                    contact_email=contact_email,
                    contact_phone=contact_phone or None,
                    shipping_address=shipping_address.as_json() if needs_shipping else None,
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
            )
            for product, quantity, price, subtotal in lines
        )
        for product, quantity, _, _ in lines:
            if product.stock_quantity is not None:
                Product.objects.filter(pk=product.pk).update(
                    stock_quantity=F("stock_quantity") - quantity
                )
    return order, True


def _release_stock(order: Order) -> None:
    """Give the order's reserved items back to stock (caller holds the order lock)."""
    items = list(OrderItem.objects.filter(order_id=order.pk).values_list("product_id", "quantity"))
    returned: dict = {}
    for product_id, quantity in items:
        returned[product_id] = returned.get(product_id, 0) + quantity
    for product in product_qs_select_for_update().filter(
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


def _move(*, order: Order, status: str, by) -> tuple[Order, bool]:
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
    """pending → paid; digital items get their download links. Called by the payment hook."""
    with transaction.atomic():
        order, changed = _move(order=order, status=OrderStatus.PAID, by=by)
        if changed:
            download_links_issue(order=order)
    return order


def order_cancel(*, order: Order, by, reason: str = "") -> Order:
    """Cancel a pending order (its stock goes back), or refund a paid one.

    A paid order is cancelled by refunding its payment through the gateway; the refund
    hook then cancels it and returns the stock, so a refund made by staff in the payments
    admin cancels the order the same way.
    """
    from shop.payments.services import PaymentError, payment_refund

    order = Order.objects.get(pk=order.pk)
    if order.status == OrderStatus.PAID:
        payment = Payment.objects.filter(
            order_id=order.pk, payment_status=PaymentStatus.COMPLETED
        ).first()
        if payment is None:
            raise ShopError("This order has no completed payment to refund.")
        try:
            payment_refund(payment=payment, by=by)
        except PaymentError as error:
            raise ShopError(str(error)) from error
        return Order.objects.get(pk=order.pk)
    with transaction.atomic():
        locked = order_qs_select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.CANCELLED:
            return locked
        if locked.status != OrderStatus.PENDING:
            raise ShopError(f"A {locked.get_status_display().lower()} order cannot be cancelled.")
        locked, _ = _move(order=locked, status=OrderStatus.CANCELLED, by=by)
        _release_stock(locked)
    return locked


def order_cancel_refunded(*, order_id, payment_id, by) -> None:
    """A paid order whose payment was refunded in full: cancelled, stock returned.

    Called by the refund hook with the payment locked. The refund of a second, unwanted
    payment (the order was paid by another one) leaves the order alone."""
    locked = order_qs_select_for_update().get(pk=order_id)
    if locked.status != OrderStatus.PAID:
        return
    paid_otherwise = (
        Payment.objects.filter(order_id=order_id, payment_status=PaymentStatus.COMPLETED)
        .exclude(pk=payment_id)
        .exists()
    )
    if paid_otherwise:
        return
    locked, _ = _move(order=locked, status=OrderStatus.CANCELLED, by=by)
    _release_stock(locked)


def order_payment_failed(*, order_id, by) -> None:
    """The payment failed: the order is cancelled and its stock released, unless another
    payment for it is still under way or went through. Called by the failure hook."""
    locked = order_qs_select_for_update().get(pk=order_id)
    if locked.status != OrderStatus.PENDING:
        return
    others = Payment.objects.filter(
        order_id=order_id, payment_status__in=[PaymentStatus.PENDING, PaymentStatus.COMPLETED]
    )
    if others.exists():
        return
    locked, _ = _move(order=locked, status=OrderStatus.CANCELLED, by=by)
    _release_stock(locked)


def orders_release_abandoned() -> int:
    """Cancel the orders left pending longer than the hold, one by one; how many."""
    cutoff = timezone.now() - timedelta(minutes=settings.SHOP_ORDER_HOLD_MINUTES)
    stale = Order.objects.filter(status=OrderStatus.PENDING, created_at__lt=cutoff).order_by("pk")
    released = 0
    for order_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            locked = order_qs_select_for_update().filter(pk=order_id).first()
            if locked is None or locked.status != OrderStatus.PENDING:
                continue
            locked, _ = _move(order=locked, status=OrderStatus.CANCELLED, by=None)
            _release_stock(locked)
            released += 1
    return released


def order_fulfil(*, order: Order, user, status: str) -> Order:
    """An artist marks an order with their merchandise shipped, then delivered."""
    if status not in {OrderStatus.SHIPPED, OrderStatus.DELIVERED}:
        raise ShopError("Orders can only be marked shipped or delivered.")
    own = OrderItem.objects.filter(
        order_id=order.pk,
        product__product_type=ProductType.MERCHANDISE,
        product__artist__user_id=user.pk,
    )
    if not own.exists():
        raise ShopError("This order has none of your merchandise.")
    from notifications.services import StatusTransitionError

    try:
        order, _ = _move(order=order, status=status, by=user)
    except StatusTransitionError as error:
        raise ShopError(
            "Only a paid order can be shipped, and only a shipped one delivered."
        ) from error
    return order
