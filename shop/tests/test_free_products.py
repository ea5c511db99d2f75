"""A price of 0.00 is a free download that completes without a payment; no order stays
unpayable (issue 17, item 5)."""

import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from payments.models import Payment
from shop.models import Order, OrderStatus, Product, ProductDelivery, ProductType
from shop.services import ShopError
from shop.services.orders import order_place
from shop.services.products import product_create
from shop.tests.factories import (
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ShippingRateFactory,
)
from shop.tests.helpers import ADDRESS, add_to_cart, checkout

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def free_download(**extra) -> Product:
    return ProductFactory(download=True, price=Decimal("0.00"), **extra)


def test_a_free_download_checks_out_without_a_payment_and_downloads(client):
    buyer = UserFactory()
    client.force_login(buyer)
    product = free_download()
    add_to_cart(client, product)

    response = checkout(client)

    order = Order.objects.get(user=buyer)
    # Straight to the order page: no gateway, no payment row of 0.00 that nobody can pay.
    assert response.status_code == 302
    assert response.url == reverse("shop:order", args=[order.pk])
    assert order.status == OrderStatus.PAID
    assert not Payment.objects.filter(order=order).exists()
    page = client.get(response.url)
    assert "Download" in page.text and "Pay now" not in page.text
    item = order.items.get()
    download = client.get(item.download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PK\x03\x04 songs"


def test_the_free_order_records_who_completed_it():
    from musicplatform.audit.models import StatusHistory

    buyer, product = UserFactory(), free_download()
    order, placed = order_place(
        user=buyer,
        quantities={str(product.pk): 1},
        contact_email=buyer.email,
        contact_phone="",
        shipping_address=None,
        checkout_key=uuid.uuid4(),
        expected_total=Decimal("0.00"),
    )

    assert placed and order.status == OrderStatus.PAID
    history = StatusHistory.objects.get(entity_id=order.pk)
    assert (history.old_status, history.new_status, history.changed_by) == (
        "pending",
        "paid",
        buyer,
    )


def test_a_pending_order_whose_total_is_zero_is_completed_by_pay_now(client):
    # An order placed before free downloads completed at checkout (or a price set to 0
    # between placing and paying) must not wait forever for a payment of nothing.
    buyer = UserFactory()
    order = OrderFactory(user=buyer, total_amount=Decimal("0.00"), shipping_address=None)
    OrderItemFactory(order=order, product=free_download())
    client.force_login(buyer)

    response = client.post(reverse("shop:order_pay", args=[order.pk]), follow=True)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert not Payment.objects.filter(order=order).exists()
    assert "ready to download" in response.text


def test_a_free_download_among_paid_items_is_paid_for_with_them(client):
    client.force_login(UserFactory())
    add_to_cart(client, free_download())
    add_to_cart(client, ProductFactory(price=Decimal("12.00")))

    response = checkout(client, address=ADDRESS)

    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING and order.total_amount == Decimal("12.00")
    assert response.url.startswith("/payments/")
    assert Payment.objects.get(order=order).amount == Decimal("12.00")


def test_a_total_no_gateway_can_charge_is_refused_at_checkout(client):
    # A product priced 0.20 before SHOP_MIN_PRICE existed: the order could never be paid.
    client.force_login(UserFactory())
    add_to_cart(client, ProductFactory(price=Decimal("0.20")))

    response = checkout(client, address=ADDRESS)

    assert response.status_code == 400
    assert "The smallest total we can charge is 0.50" in response.text
    assert not Order.objects.exists()


@pytest.fixture
def artist_client(client):
    artist = ArtistFactory()
    ShippingRateFactory(artist=artist, country=None)
    client.force_login(artist.user)
    client.artist = artist
    return client


def product_form(**overrides):
    return {
        "name": "Tour hoodie",
        "description": "Warm.",
        "product_type": ProductType.MERCHANDISE,
        "delivery": ProductDelivery.PHYSICAL,
        "price": "35.00",
        "stock_quantity": "12",
        "is_active": "on",
        **overrides,
    }


def test_an_artist_offers_a_free_download(artist_client):
    upload = SimpleUploadedFile("single.zip", b"PK\x03\x04 song", content_type="application/zip")

    response = artist_client.post(
        reverse("shop:product_create"),
        product_form(
            product_type=ProductType.MUSIC_DOWNLOAD,
            delivery=ProductDelivery.DIGITAL,
            price="0.00",
            stock_quantity="",
            digital_file=upload,
        ),
    )

    assert response.status_code == 302
    assert Product.objects.get().price == Decimal("0.00")


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("0.00", "A physical product cannot be free"),
        ("0.20", "at least 0.50"),
    ],
)
def test_the_form_refuses_free_merchandise_and_prices_no_gateway_can_charge(
    artist_client, price, message
):
    response = artist_client.post(reverse("shop:product_create"), product_form(price=price))

    assert response.status_code == 400
    assert message in response.text
    assert not Product.objects.exists()


def test_free_or_not_follows_delivery_not_type(artist_client):
    """A signed vinyl (an exclusive release shipped) cannot be free; wallpapers
    (merchandise downloaded) can."""
    vinyl = artist_client.post(
        reverse("shop:product_create"),
        product_form(product_type=ProductType.EXCLUSIVE_RELEASE, price="0.00"),
    )
    wallpapers = artist_client.post(
        reverse("shop:product_create"),
        product_form(
            delivery=ProductDelivery.DIGITAL,
            price="0.00",
            stock_quantity="",
            digital_file=SimpleUploadedFile("walls.zip", b"PK\x03\x04 png"),
        ),
    )

    assert vinyl.status_code == 400 and "A physical product cannot be free" in vinyl.text
    assert wallpapers.status_code == 302
    assert list(Product.objects.values_list("delivery", "price")) == [
        (ProductDelivery.DIGITAL, Decimal("0.00"))
    ]


def test_the_service_refuses_them_too():
    artist = ArtistFactory()
    ShippingRateFactory(artist=artist, country=None)
    with pytest.raises(ShopError, match="A physical product cannot be free"):
        product_create(
            artist=artist,
            name="Free shirt",
            description="",
            product_type=ProductType.MERCHANDISE,
            delivery=ProductDelivery.PHYSICAL,
            price=Decimal("0.00"),
            stock_quantity=3,
        )
    assert not Product.objects.exists()
