"""The shop's reads; every page runs a fixed number of queries whatever the data size."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from shop.models import (
    FeaturedItem,
    Order,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Product,
    ProductType,
)
from shop.services.cart import unit_price

SORTS = {
    "newest": ("-created_at", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "name": ("name", "pk"),
}


def product_list(
    *,
    product_type: str | None = None,
    artist_id=None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = "newest",
) -> QuerySet[Product]:
    products = Product.objects.filter(is_active=True).select_related("artist")
    if product_type:
        products = products.filter(product_type=product_type)
    if artist_id:
        products = products.filter(artist_id=artist_id)
    if min_price is not None:
        products = products.filter(price__gte=min_price)
    if max_price is not None:
        products = products.filter(price__lte=max_price)
    return products.order_by(*SORTS.get(sort, SORTS["newest"]))


def product_detail(*, product_id) -> Product | None:
    return Product.objects.select_related("artist").filter(pk=product_id, is_active=True).first()


def artist_shop_products(*, artist_id, limit: int = 24) -> list[Product]:
    """The shop tab of an artist page (template: shop/_artist_products.html)."""
    return list(
        Product.objects.filter(artist_id=artist_id, is_active=True).order_by("-created_at", "pk")[
            :limit
        ]
    )


def artist_products_manage(*, user) -> QuerySet[Product]:
    """Every product of the user's artist profiles, active or not."""
    return (
        Product.objects.filter(artist__user_id=user.pk)
        .select_related("artist")
        .order_by("-created_at", "pk")
    )


@dataclass
class CartLine:
    product: Product
    quantity: int
    subtotal: Decimal
    problem: str = ""
    unit_price: Decimal | None = None


@dataclass
class Cart:
    lines: list[CartLine]
    total: Decimal
    needs_shipping: bool

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def ok(self) -> bool:
        return bool(self.lines) and not any(line.problem for line in self.lines)


def cart_view(
    *, quantities: dict[str, int], chosen_prices: dict[str, Decimal] | None = None
) -> Cart:
    """The cart at today's prices and stock, one query; lines that cannot be bought say why.

    `chosen_prices` are what the buyer chose to pay above a price (shop.services.cart)."""
    products = {
        str(p.pk): p
        for p in Product.objects.filter(pk__in=list(quantities)).select_related("artist")
    }
    lines = []
    for product_id, quantity in quantities.items():
        product = products.get(product_id)
        if product is None:
            continue
        problem = ""
        if product.artist.is_removed:
            problem = "The artist is no longer on the platform; this can no longer be bought."
        elif not product.is_active:
            problem = "No longer available."
        elif product.stock_quantity is not None and quantity > product.stock_quantity:
            problem = (
                "Sold out."
                if product.stock_quantity == 0
                else f"Only {product.stock_quantity} left."
            )
        price = unit_price(product=product, chosen_prices=chosen_prices or {})
        lines.append(CartLine(product, quantity, price * quantity, problem, price))
    lines.sort(key=lambda line: (line.product.name, str(line.product.pk)))
    return Cart(
        lines=lines,
        total=sum((line.subtotal for line in lines), Decimal("0.00")),
        needs_shipping=any(line.product.product_type == ProductType.MERCHANDISE for line in lines),
    )


def _items_with_products() -> Prefetch:
    return Prefetch(
        "items", queryset=OrderItem.objects.select_related("product").order_by("created_at", "pk")
    )


def orders_of_buyer(*, user) -> QuerySet[Order]:
    return (
        Order.objects.filter(user_id=user.pk)
        .prefetch_related(_items_with_products())
        .order_by("-created_at", "pk")
    )


def order_of_buyer(*, user, order_id) -> Order | None:
    return (
        Order.objects.filter(user_id=user.pk, pk=order_id)
        .prefetch_related(_items_with_products(), "payments")
        .first()
    )


def order_by_checkout_key(*, user, key: str | None) -> Order | None:
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        return None
    return Order.objects.filter(user_id=user.pk, checkout_key=key).first()


def fulfilment_orders(*, user) -> QuerySet[Order]:
    """Paid and shipped orders holding the user's merchandise, with only their own lines."""
    own = OrderItem.objects.filter(
        product__artist__user_id=user.pk, product__product_type=ProductType.MERCHANDISE
    )
    return (
        Order.objects.filter(
            Exists(own.filter(order_id=OuterRef("pk"))),
            status__in=[OrderStatus.PAID, OrderStatus.SHIPPED],
        )
        .prefetch_related(
            Prefetch(
                "items",
                queryset=own.select_related("product").order_by("created_at", "pk"),
                to_attr="own_items",
            )
        )
        .order_by("created_at", "pk")
    )


def featured_items_live() -> QuerySet[FeaturedItem]:
    """Placements to show now: inside their window and curated by staff (no payment) or
    paid (completed). Staff's positions first, then the earliest start."""
    now = timezone.now()
    return (
        FeaturedItem.objects.filter(start_date__lte=now, end_date__gt=now)
        .filter(Q(payment__isnull=True) | Q(payment__payment_status=PaymentStatus.COMPLETED))
        .order_by("position", "start_date", "pk")
    )
