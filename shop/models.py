import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django_countries import countries

from musicplatform.db import (
    CurrentTimestamp,
    created_at,
    searchable_text,
    updated_at,
    uuid_primary_key,
)


def private_storage():
    """The storage of files sold to buyers only (never a public URL)."""
    return storages["private"]


class ProductType(models.TextChoices):
    MUSIC_DOWNLOAD = "music_download", "Music download"
    EXCLUSIVE_RELEASE = "exclusive_release", "Exclusive release"
    MERCHANDISE = "merchandise", "Merchandise"


class ProductDelivery(models.TextChoices):
    """How a product reaches its buyer, whatever its type (a release may be vinyl or a file)."""

    PHYSICAL = "physical", "Physical: shipped to the buyer"
    DIGITAL = "digital", "Digital: downloaded from a link"


class Product(models.Model):
    id = uuid_primary_key("product_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DB_CASCADE, related_name="products", db_index=False
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    product_type = models.CharField(max_length=50, choices=ProductType.choices)
    # Physical products need a shipping address and enter fulfilment; digital ones need a
    # file and get download links (shop.services.products checks both).
    delivery = models.CharField(max_length=20, choices=ProductDelivery.choices)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    # NULL means unlimited (downloads); a number is what is left to sell.
    stock_quantity = models.IntegerField(null=True, blank=True)
    image_urls = ArrayField(models.TextField(), null=True, blank=True)
    # The file a digital product delivers, kept in the private storage: buyers reach it
    # only through a signed, expiring link (shop.services.downloads).
    digital_file = models.FileField(
        storage=private_storage, upload_to="products/", max_length=255, null=True, blank=True
    )
    is_active = models.BooleanField(default=True, db_default=True)
    created_at = created_at()
    updated_at = updated_at()
    search_document = searchable_text(titles=("name",), body="description")

    class Meta:
        db_table = "products"
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="products_price_not_negative"),
            models.CheckConstraint(
                condition=Q(stock_quantity__gte=0), name="products_stock_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["artist"], name="idx_products_artist_id"),
            models.Index(fields=["product_type"], name="idx_products_type"),
            GinIndex(fields=["search_document"], name="idx_products_search"),
            # Misspelt names (pg_trgm's `%>`), when full-text search finds no word.
            GinIndex(fields=["name"], name="idx_products_name_trgm", opclasses=["gin_trgm_ops"]),
            # The shop's list and the home page show the newest active products first.
            models.Index(
                fields=["-created_at", "id"],
                condition=Q(is_active=True),
                name="idx_products_active_newest",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("shop:product", args=[self.pk])


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    PARTLY_SHIPPED = "partly_shipped", "Partly shipped"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class Order(models.Model):
    id = uuid_primary_key("order_id")
    # Nullable so that the order survives the buyer's account deletion (defect 3).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,
    )
    # What the buyer pays: the items' subtotals plus `shipping_amount`.
    total_amount = models.DecimalField(max_digits=10, decimal_places=2)
    # The shipping rates of the artists whose physical items the order holds, one per
    # artist, for the destination country (shop.services.shipping).
    shipping_amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    status = models.CharField(
        max_length=50,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING,
        db_default=OrderStatus.PENDING,
    )
    shipping_address = models.JSONField(null=True, blank=True)
    contact_email = models.EmailField(max_length=255)
    contact_phone = models.CharField(max_length=20, null=True, blank=True)
    # The checkout form's idempotency key: a repeated "Complete checkout" finds this order
    # instead of placing a second one.
    checkout_key = models.UUIDField(null=True, blank=True, editable=False)
    # The stock is held until created_at + SHOP_ORDER_HOLD_MINUTES, or until this if later:
    # a Stripe Checkout session lasts at least 30 minutes, and the hold is extended to
    # cover the session, never the other way round (shop.purposes.OrderPayments.checkout_started).
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "orders"
        constraints = [
            models.UniqueConstraint(fields=["checkout_key"], name="orders_checkout_key_key"),
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="orders_total_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(shipping_amount__gte=0) & Q(shipping_amount__lte=F("total_amount")),
                name="orders_shipping_within_total",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_orders_user_id"),
            models.Index(fields=["status"], name="idx_orders_status"),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("shop:order", args=[self.pk])


# Every move an order may make; status_change() enforces it. Past `paid` the status
# follows from its items' (shop.services.fulfilment.order_status_from_items).
# Looked up by the status a row holds, a plain str (OrderStatus members are str too).
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PAID, OrderStatus.CANCELLED),
    OrderStatus.PAID: (OrderStatus.PARTLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED),
    # Delivered at once: the last unshipped item was refunded, the others were delivered.
    OrderStatus.PARTLY_SHIPPED: (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    OrderStatus.SHIPPED: (OrderStatus.DELIVERED,),
}


class OrderItemStatus(models.TextChoices):
    """Where a physical item is; digital items have none (NULL)."""

    TO_SHIP = "to_ship", "Not shipped yet"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"


# Every move an item may make; status_change() enforces it.
ORDER_ITEM_TRANSITIONS = {
    OrderItemStatus.TO_SHIP: (OrderItemStatus.SHIPPED,),
    OrderItemStatus.SHIPPED: (OrderItemStatus.DELIVERED,),
}


class OrderItem(models.Model):
    id = uuid_primary_key("order_item_id")
    order = models.ForeignKey(
        Order, on_delete=models.DB_CASCADE, related_name="items", db_index=False
    )
    # The document says RESTRICT: a sold product is never deleted, only deactivated.
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, related_name="order_items", db_index=False
    )
    quantity = models.IntegerField(default=1, db_default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    subtotal = models.DecimalField(max_digits=10, decimal_places=2)
    download_url = models.TextField(null=True, blank=True)
    download_expires_at = models.DateTimeField(null=True, blank=True)
    # How many download links were issued in all (fresh ones are rate-limited per hour,
    # never capped: shop.services.downloads).
    download_links_issued = models.IntegerField(default=0, db_default=0)
    # The refund that gave this line back: it no longer downloads and is refunded once.
    refund = models.ForeignKey(
        "Refund",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        db_index=False,
    )
    # Fulfilment of a physical item by its artist; NULL for digital items.
    status = models.CharField(max_length=20, choices=OrderItemStatus.choices, null=True, blank=True)
    carrier = models.CharField(max_length=100, null=True, blank=True)
    tracking_number = models.CharField(max_length=100, null=True, blank=True)
    created_at = created_at()
    # Not a column: when the buyer first used the item's link (None: never), which decides
    # whether it was delivered. Only the reads that need it set it: shop.selectors' order
    # lines annotate it, a refund reads it once the items are locked.
    first_download_at: datetime.datetime | None

    class Meta:
        db_table = "order_items"
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="order_items_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="order_items_unit_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["order"], name="idx_order_items_order_id"),
            models.Index(fields=["product"], name="idx_order_items_product_id"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class DownloadUse(models.Model):
    """One use of a download link: what tells a delivered download from one never used,
    and so whether the buyer may still cancel it for a refund (shop.services.refunds)."""

    id = uuid_primary_key("download_use_id")
    order_item = models.ForeignKey(
        OrderItem, on_delete=models.DB_CASCADE, related_name="download_uses", db_index=False
    )
    # Kept when the account is deleted: the record that the file was delivered stays.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # HMAC-SHA256 of the address under SECRET_KEY: repeated uses from one place can be told
    # apart from many places, without keeping the address itself.
    ip_hash = models.CharField(max_length=64)
    used_at = created_at()

    class Meta:
        db_table = "download_uses"
        indexes = [
            models.Index(fields=["order_item", "used_at"], name="idx_download_uses_item_used")
        ]

    def __str__(self) -> str:
        return f"Download of {self.order_item_id} at {self.used_at}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ISSUED = "issued", "Issued through the gateway"


# A refund is recorded, then issued through the gateway in the same transaction.
REFUND_TRANSITIONS = {RefundStatus.REQUESTED: (RefundStatus.ISSUED,)}


class Refund(models.Model):
    """Money given back for an order: by the buyer for what was never delivered, or by
    staff with a reason. Its lines (`items`) are given back once; its `request_key` makes
    a repeated submission of one refund form the same refund."""

    id = uuid_primary_key("refund_id")
    order = models.ForeignKey(
        Order, on_delete=models.DB_CASCADE, related_name="refunds", db_index=False
    )
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="order_refunds",
        db_index=False,
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField()
    status = models.CharField(
        max_length=20,
        choices=RefundStatus.choices,
        default=RefundStatus.REQUESTED,
        db_default=RefundStatus.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    request_key = models.UUIDField(editable=False)
    created_at = created_at()

    class Meta:
        db_table = "refunds"
        constraints = [
            models.UniqueConstraint(fields=["request_key"], name="refunds_request_key_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refunds_amount_positive"),
        ]
        indexes = [models.Index(fields=["order"], name="idx_refunds_order_id")]

    def __str__(self) -> str:
        return f"Refund of {self.amount} for order {self.order_id}"


class FeaturedItemType(models.TextChoices):
    ARTIST = "artist", "Artist"
    ALBUM = "album", "Album"
    SONG = "song", "Song"
    PRODUCT = "product", "Product"


class FeaturedItem(models.Model):
    """A placement on the explore page; `item_id` names an artist, product or catalogue id."""

    id = uuid_primary_key("feature_id")
    item_type = models.CharField(max_length=50, choices=FeaturedItemType.choices)
    item_id = models.CharField(max_length=255)
    start_date = models.DateTimeField(db_default=CurrentTimestamp())
    end_date = models.DateTimeField()
    position = models.IntegerField(null=True, blank=True)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="featured_items",
        db_index=False,
    )
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "featured_items"
        indexes = [
            models.Index(fields=["item_type", "item_id"], name="idx_featured_items_type_id"),
            models.Index(fields=["start_date", "end_date"], name="idx_featured_items_date"),
        ]

    def __str__(self) -> str:
        return f"Featured {self.item_type} {self.item_id}"


class ShippingRate(models.Model):
    """What an artist charges to ship one order's worth of their physical items to a
    country; the row without a country is the artist's rate for the rest of the world."""

    id = uuid_primary_key("shipping_rate_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DB_CASCADE, related_name="shipping_rates", db_index=False
    )
    # ISO 3166-1 alpha-2; NULL is "rest of the world".
    country = models.CharField(max_length=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = created_at()

    class Meta:
        db_table = "shipping_rates"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "country"],
                nulls_distinct=False,
                name="shipping_rates_artist_country_key",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="shipping_rates_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country or 'Rest of world'}: {self.amount}"


class SavedAddress(models.Model):
    """A shipping address a buyer used, offered again at their next checkout."""

    id = uuid_primary_key("address_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="saved_addresses",
        db_index=False,
    )
    name = models.CharField(max_length=200)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True, default="", db_default="")
    city = models.CharField(max_length=100)
    # A subdivision code (e.g. "CA") where the country has a list, free text otherwise.
    region = models.CharField(max_length=100, blank=True, default="", db_default="")
    postal_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    last_used_at = models.DateTimeField(db_default=CurrentTimestamp())
    created_at = created_at()

    class Meta:
        db_table = "saved_addresses"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "user",
                    "name",
                    "line1",
                    "line2",
                    "city",
                    "region",
                    "postal_code",
                    "country",
                ],
                name="saved_addresses_user_address_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.line1}, {self.city}, {countries.name(self.country)}"
