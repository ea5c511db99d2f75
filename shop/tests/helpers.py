"""Shared steps of the shop tests: fill a cart, check out, pay with the test gateway."""

from decimal import Decimal

from django.urls import reverse

from payments.models import Payment
from shop.models import Order

PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def add_to_cart(client, product, quantity: int = 1):
    return client.post(reverse("shop:cart_add", args=[product.pk]), {"quantity": quantity})


def checkout_form(client) -> dict:
    """The hidden fields the checkout page gives this client (key and the total seen)."""
    page = client.get(reverse("shop:checkout"))
    form = page.context["form"]
    return {
        "checkout_key": str(form["checkout_key"].value()),
        "expected_total": str(form["expected_total"].value()),
    }


def checkout(client, *, email="buyer@example.com", address=None, **extra):
    data = {**checkout_form(client), "contact_email": email, "contact_phone": "+44 20 7946 0000"}
    data.update(address or {})
    data.update(extra)
    return client.post(reverse("shop:checkout"), data)


def pay(client, response, card: str = PAYS):
    """Follow the checkout's redirect to the test gateway and submit `card`."""
    return client.post(response.url, {"card_number": card})


def buy(client, product, quantity: int = 1, *, address=ADDRESS) -> Order:
    before = set(Order.objects.values_list("pk", flat=True))
    add_to_cart(client, product, quantity)
    response = checkout(client, address=address)
    pay(client, response)
    return Order.objects.exclude(pk__in=before).get()


def buy_many(client, products, *, card: str = PAYS, address=ADDRESS) -> Order:
    """One order of one of each product, paid (or refused) with `card`."""
    before = set(Order.objects.values_list("pk", flat=True))
    for product in products:
        add_to_cart(client, product)
    pay(client, checkout(client, address=address), card)
    return Order.objects.exclude(pk__in=before).get()


def total(value: str) -> Decimal:
    return Decimal(value)


def payments_of(order) -> list[Payment]:
    return list(Payment.objects.filter(order=order))


def form_problems(product) -> dict:
    """What the product form (and the service behind it) would say about `product` as it
    is stored: demo and generated data are held to the rules artists meet. {} when none."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shop.forms import ProductForm
    from shop.services import ShopError
    from shop.services.products import product_delivery_check

    files = {}
    if product.digital_file:
        with product.digital_file.open("rb") as stored:
            files["digital_file"] = SimpleUploadedFile(product.digital_file.name, stored.read())
    data = {
        "name": product.name,
        "product_type": product.product_type,
        "delivery": product.delivery,
        "price": str(product.price),
        "stock_quantity": "" if product.stock_quantity is None else str(product.stock_quantity),
    }
    form = ProductForm(data, files)
    if not form.is_valid():
        return dict(form.errors)
    try:
        product_delivery_check(
            artist=product.artist,
            delivery=product.delivery,
            price=product.price,
            stock_quantity=product.stock_quantity,
            digital_file=None,
            has_file=bool(product.digital_file),
        )
    except ShopError as error:
        return {"__all__": [str(error)]}
    return {}


def ship_items(order, *, user, status: str = "shipped") -> None:
    """The artist `user` ships (or delivers) every one of their physical items of `order`."""
    from shop.models import OrderItem
    from shop.services.fulfilment import order_item_fulfil

    for item in OrderItem.objects.filter(
        order_id=order.pk, product__artist__user_id=user.pk, status__isnull=False
    ):
        order_item_fulfil(
            item_id=item.pk, user=user, status=status, carrier="DHL", tracking_number="JD0001"
        )
