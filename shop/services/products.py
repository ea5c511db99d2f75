import uuid
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction

from musicplatform.validators import validate_single_line
from shop.models import Product, ProductDelivery, ShippingRate
from shop.services import ShopError

NO_SHIPPING_RATES = (
    "Set your shipping rates before selling physical products: buyers pay them at checkout."
)


def _store_images(images: Sequence[File]) -> list[str]:
    """Save validated images to the public storage under fresh names; their URLs."""
    urls = []
    for image in images:
        original = image.name or ""
        extension = (original.rsplit(".", 1)[-1] if "." in original else "img").lower()
        name = default_storage.save(f"products/images/{uuid.uuid4().hex}.{extension}", image)
        urls.append(default_storage.url(name))
    return urls


def _digital_file_store(product: Product, digital_file: File) -> None:
    """Keep the file as the product's download, under the name the form gave it."""
    if digital_file.name is None:
        raise ValueError("A product's digital file must have a name (ProductForm gives it one).")
    product.digital_file.save(digital_file.name, digital_file, save=False)


def price_problem(*, price: Decimal, delivery: str) -> str:
    """Why `price` cannot be asked for a product delivered so ("" when it can).

    0.00 is a free download, which checks out without a payment (shop.services.orders),
    so only a digital product can be free: a physical one has to be shipped. Any other
    price must be one the payment gateway can charge, so no order is unpayable.
    """
    if price == 0:
        if delivery == ProductDelivery.DIGITAL:
            return ""
        return "A physical product cannot be free; only digital ones can have a price of 0.00."
    if price < settings.SHOP_MIN_PRICE:
        return f"Enter a price of at least {settings.SHOP_MIN_PRICE}, or 0.00 for a free download."
    return ""


def product_delivery_check(
    *, artist, delivery: str, price: Decimal, stock_quantity, digital_file, has_file: bool
) -> None:
    """The rules of each kind of delivery and its price, whatever the product's type (the
    form shows the same ones next to its fields; demo data is held to them by its tests)."""
    if delivery == ProductDelivery.DIGITAL and not (digital_file or has_file):
        raise ShopError("A digital product needs its file.")
    if delivery == ProductDelivery.PHYSICAL:
        if stock_quantity is None:
            raise ShopError("A physical product needs its stock: how many you can ship.")
        if not ShippingRate.objects.filter(artist_id=artist.pk).exists():
            raise ShopError(NO_SHIPPING_RATES)
    problem = price_problem(price=price, delivery=delivery)
    if problem:
        raise ShopError(problem)


def product_create(
    *,
    artist,
    name: str,
    description: str,
    product_type: str,
    delivery: str,
    price: Decimal,
    stock_quantity: int | None,
    is_active: bool = True,
    images: Sequence[File] = (),
    digital_file: File | None = None,
) -> Product:
    product_delivery_check(
        artist=artist,
        delivery=delivery,
        price=price,
        stock_quantity=stock_quantity,
        digital_file=digital_file,
        has_file=False,
    )
    validate_single_line(name)
    with transaction.atomic():
        product = Product(
            artist=artist,
            name=name,
            description=description or None,
            product_type=product_type,
            delivery=delivery,
            price=price,
            stock_quantity=stock_quantity,
            is_active=is_active,
            image_urls=_store_images(images) or None,
        )
        if digital_file is not None and delivery == ProductDelivery.DIGITAL:
            _digital_file_store(product, digital_file)
        product.full_clean()
        product.save()
    return product


def product_update(
    *,
    product: Product,
    name: str,
    description: str,
    product_type: str,
    delivery: str,
    price: Decimal,
    stock_quantity: int | None,
    is_active: bool,
    images: Sequence[File] = (),
    digital_file: File | None = None,
) -> Product:
    """Change a product; new images are added to the old ones, a new file replaces the old.

    Orders keep their own `unit_price`, so a price change touches only future checkouts.
    """
    product_delivery_check(
        artist=product.artist,
        delivery=delivery,
        price=price,
        stock_quantity=stock_quantity,
        digital_file=digital_file,
        has_file=bool(product.digital_file),
    )
    validate_single_line(name)
    with transaction.atomic():
        product = Product.objects.select_for_update(of=("self",)).get(pk=product.pk)
        product.name = name
        product.description = description or None
        product.product_type = product_type
        product.delivery = delivery
        product.price = price
        product.stock_quantity = stock_quantity
        product.is_active = is_active
        new_urls = _store_images(images)
        if new_urls:
            product.image_urls = [*(product.image_urls or []), *new_urls]
        if digital_file is not None and delivery == ProductDelivery.DIGITAL:
            _digital_file_store(product, digital_file)
        product.full_clean()
        product.save()
    return product


def products_withdraw(*, artist) -> int:
    """Stop selling every product of an artist who left the platform; how many stopped.

    Carts that hold one say so and checkout refuses it (it is no longer active); orders
    already paid keep their items and download links.
    """
    return Product.objects.filter(artist=artist, is_active=True).update(is_active=False)
