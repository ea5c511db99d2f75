"""The shop's reads; every page runs a fixed number of queries whatever the data size."""

import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from functools import cache, cached_property
from typing import cast

from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django_countries import countries

from musicplatform.db import CompiledQuery, CompiledRow, StandIn, some_id, some_text
from musicplatform.paging import UncountedPage, page_number_of
from payments.models import PaymentStatus
from payments.purposes import Payee
from shop.models import (
    FeaturedItem,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    Product,
    ProductDelivery,
    SavedAddress,
    ShippingRate,
)
from shop.services.cart import unit_price
from shop.services.downloads import OWNED_STATUSES

SORTS = {
    "newest": ("-created_at", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "name": ("name", "pk"),
}


PRODUCT_PAGE_SIZE = 24
# What a product card shows (shop/_product_card.html), and what its fragment varies on.
CARD_FIELDS = (
    "name",
    "product_type",
    "price",
    "stock_quantity",
    "image_urls",
    "updated_at",
    "artist__artist_name",
    "artist__verification_status",
    "artist__updated_at",
)


@dataclass(frozen=True)
class ProductPage(UncountedPage):
    """A page of the product list, found without counting the products: counting every
    active product on each visit was a full scan of the table (docs/performance.md)."""

    rows: list[CompiledRow]

    @cached_property
    def object_list(self) -> list[Product]:
        """Made only when the list's shared fragment is rendered: a page served from it
        reads the rows' values alone."""
        # The rows are of a Product query; CompiledRow.instance is typed as any Model.
        return [cast(Product, row.instance) for row in self.rows]

    @cached_property
    def vary(self) -> tuple:
        """What the list's shared fragment depends on besides the address: a product or its artist
        edited (either's `updated_at`, kept by a trigger) renders the cards afresh."""
        return tuple(
            (row["pk"], row["updated_at"], row["artist_id"], row["artist.updated_at"])
            for row in self.rows
        )


@cache
def _compiled_product_list(
    *, product_type: bool, artist: bool, min_price: bool, max_price: bool, sort: str
) -> CompiledQuery:
    """The list's queryset for one combination of filters and one order, compiled once per
    process (`musicplatform.db.CompiledQuery`): building and compiling it cost more CPU
    than reading its 25 rows (docs/performance.md, "Round 4: search and the product list")."""

    def build(*, product_type_value, artist_id, min_price_value, max_price_value) -> QuerySet:
        products = Product.objects.filter(is_active=True).select_related("artist")
        if product_type:
            products = products.filter(product_type=product_type_value)
        if artist:
            products = products.filter(artist_id=artist_id)
        if min_price:
            products = products.filter(price__gte=min_price_value)
        if max_price:
            products = products.filter(price__lte=max_price_value)
        return products.only(*CARD_FIELDS).order_by(*SORTS[sort])

    return CompiledQuery(
        build,
        {
            "product_type_value": some_text(),
            "artist_id": some_id(),
            # Prices no stand-in shares: a parameter is told apart by its value.
            "min_price_value": StandIn(Decimal("1.25"), Decimal("2.50")),
            "max_price_value": StandIn(Decimal("3.75"), Decimal("5.00")),
        },
    )


def product_list(
    *,
    product_type: str | None = None,
    artist_id=None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    sort: str = "newest",
    page_number=None,
) -> ProductPage:
    compiled = _compiled_product_list(
        product_type=bool(product_type),
        artist=bool(artist_id),
        min_price=min_price is not None,
        max_price=max_price is not None,
        sort=sort if sort in SORTS else "newest",
    )
    number = page_number_of(page_number)
    rows = compiled.rows(
        product_type_value=product_type,
        artist_id=artist_id,
        min_price_value=min_price,
        max_price_value=max_price,
        limit=PRODUCT_PAGE_SIZE + 1,
        offset=(number - 1) * PRODUCT_PAGE_SIZE,
    )
    return ProductPage(
        rows=rows[:PRODUCT_PAGE_SIZE],
        number=number,
        has_next=len(rows) > PRODUCT_PAGE_SIZE,
    )


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
        needs_shipping=any(line.product.delivery == ProductDelivery.PHYSICAL for line in lines),
    )


@dataclass
class ShippingQuote:
    amount: Decimal
    # Names of the artists who ship to neither the country nor the rest of the world.
    unserved: list[str]
    country: str

    @property
    def problem(self) -> str:
        return (
            f"{', '.join(self.unserved)} cannot ship to {countries.name(self.country)}; "
            "remove their items or choose another address."
        )


def shipping_quote(*, products: list[Product], country: str) -> ShippingQuote:
    """Shipping of physical `products` to `country`, one query: each
    artist's rate for the country, else their rest-of-world rate, once per artist."""
    # One product per artist: its artist is read only to name an artist who cannot ship.
    artists = {p.artist_id: p for p in products if p.delivery == ProductDelivery.PHYSICAL}
    rates: dict = {}
    for rate in ShippingRate.objects.filter(artist_id__in=list(artists)).filter(
        Q(country=country) | Q(country__isnull=True)
    ):
        if rate.country or rate.artist_id not in rates:
            rates[rate.artist_id] = rate.amount
    return ShippingQuote(
        amount=sum(rates.values(), Decimal("0.00")),
        unserved=sorted(p.artist.artist_name for pk, p in artists.items() if pk not in rates),
        country=country,
    )


def shipping_rates_of(*, artist_id) -> list[ShippingRate]:
    """An artist's rates, countries by name, the rest of the world last."""
    rates = list(ShippingRate.objects.filter(artist_id=artist_id))
    return sorted(rates, key=lambda r: (r.country is None, countries.name(r.country or "")))


def saved_addresses_of(*, user) -> list[SavedAddress]:
    return list(SavedAddress.objects.filter(user_id=user.pk).order_by("-last_used_at", "pk")[:10])


def _lines() -> QuerySet[OrderItem]:
    """Order lines with their products and when each was first downloaded."""
    return (
        OrderItem.objects.select_related("product")
        # OrderItem declares the attribute for its readers; the plugin sees it as a clash.
        .annotate(first_download_at=Min("download_uses__used_at"))  # type: ignore[no-redef]
        .order_by("created_at", "pk")
    )


def _items_with_products() -> Prefetch:
    return Prefetch("items", queryset=_lines())


def order_lines(*, order_id) -> list[OrderItem]:
    """One order's lines, for staff deciding a refund (the order admin)."""
    return list(_lines().filter(order_id=order_id))


def delivery_note(*, item: OrderItem) -> str:
    """Why the buyer can no longer cancel this line for a refund ("" while they can):
    a digital item whose link was used, a physical item that its artist shipped (its own
    status, whatever the other items of the order). `item` carries `first_download_at`
    (the order selectors and shop.services.refunds set it)."""
    if item.product.delivery == ProductDelivery.DIGITAL:
        if item.first_download_at is None:
            return ""
        day = timezone.localtime(item.first_download_at).strftime("%Y-%m-%d")
        return f"You downloaded {item.product.name} on {day}"
    if item.status == OrderItemStatus.SHIPPED:
        return f"{item.product.name} was shipped"
    if item.status == OrderItemStatus.DELIVERED:
        return f"{item.product.name} was delivered"
    return ""


@dataclass
class Cancellation:
    """What the buyer's "Cancel" does on the order page, or why it is not offered."""

    possible: bool
    notes: list[str]


def order_cancellation(*, order: Order) -> Cancellation:
    """From the order's prefetched lines (`order_of_buyer`); no query."""
    if order.status == OrderStatus.PENDING:
        return Cancellation(possible=True, notes=[])
    if order.status not in OWNED_STATUSES:
        return Cancellation(possible=False, notes=[])
    open_items = [item for item in order.items.all() if item.refund_id is None]
    notes = [delivery_note(item=item) for item in open_items]
    nothing_delivered = order.status == OrderStatus.PAID and not any(notes)
    undelivered_paid = any(
        not note and item.subtotal > 0 for item, note in zip(open_items, notes, strict=True)
    )
    return Cancellation(
        possible=bool(open_items) and (nothing_delivered or undelivered_paid),
        notes=[note for note in notes if note],
    )


def purchases_of_buyer(*, user) -> QuerySet[OrderItem]:
    """Every line the user paid for and still owns (not refunded), newest order first."""
    return (
        OrderItem.objects.filter(
            order__user_id=user.pk,
            order__status__in=OWNED_STATUSES,
            refund__isnull=True,
        )
        .select_related("order", "product__artist")
        .order_by("-order__created_at", "order_id", "created_at", "pk")
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
        checkout_key = uuid.UUID(str(key))
    except ValueError:
        return None
    return Order.objects.filter(user_id=user.pk, checkout_key=checkout_key).first()


def fulfilment_orders(*, user) -> QuerySet[Order]:
    """Paid orders holding physical items of the user's that are not delivered yet, with
    only their own lines (another artist's items of the same order are not theirs)."""
    # A line given back by a refund is not to be shipped.
    own = OrderItem.objects.filter(
        product__artist__user_id=user.pk, status__isnull=False, refund__isnull=True
    )
    return (
        Order.objects.filter(
            Exists(own.filter(order_id=OuterRef("pk")).exclude(status=OrderItemStatus.DELIVERED)),
            status__in=[OrderStatus.PAID, OrderStatus.PARTLY_SHIPPED, OrderStatus.SHIPPED],
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


def order_payees(*, payments) -> dict:
    """Who earns from each order payment, by payment id, in two queries for any number:
    each item's artist its subtotal; the shipping (`orders.shipping_amount`) goes to the
    artists with physical items, shared equally (the cents left over to the first by id),
    as each ships their own items."""
    order_of = {payment.order_id: payment.pk for payment in payments}
    earned: dict = {order_id: {} for order_id in order_of}
    shippers: dict = {order_id: set() for order_id in order_of}
    for order_id, artist_id, delivery, subtotal in OrderItem.objects.filter(
        order_id__in=list(order_of)
    ).values_list("order_id", "product__artist_id", "product__delivery", "subtotal"):
        earned[order_id][artist_id] = earned[order_id].get(artist_id, Decimal("0.00")) + subtotal
        if delivery == ProductDelivery.PHYSICAL:
            shippers[order_id].add(artist_id)
    for order_id, shipping in Order.objects.filter(pk__in=list(order_of)).values_list(
        "pk", "shipping_amount"
    ):
        artists = sorted(shippers[order_id])
        if artists and shipping:
            share = (shipping / len(artists)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            for artist_id in artists:
                earned[order_id][artist_id] += share
            earned[order_id][artists[0]] += shipping - share * len(artists)
    return {
        order_of[order_id]: [Payee(artist_id=a, amount=amount) for a, amount in sorted(by.items())]
        for order_id, by in earned.items()
    }
