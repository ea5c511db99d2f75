"""Products are physical or digital whatever their type, and the form enforces what each
needs; checkout asks for an address exactly when a physical item is in the cart
(issue 17, item 9)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from shop.models import OrderItem, Product, ProductType
from shop.services import ShopError
from shop.services.products import product_create
from shop.tests.factories import ProductFactory, ShippingRateFactory
from shop.tests.helpers import add_to_cart, buy_many, checkout

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def form_data(**overrides):
    return {
        "name": "Night Drive",
        "description": "",
        "product_type": ProductType.EXCLUSIVE_RELEASE,
        "price": "30.00",
        "stock_quantity": "",
        "is_active": "on",
        **overrides,
    }


def zip_upload():
    return SimpleUploadedFile("album.zip", b"PK\x03\x04 the songs", content_type="application/zip")


@pytest.fixture
def artist(client):
    artist = ArtistFactory()
    client.force_login(artist.user)
    return artist


def test_an_exclusive_release_can_be_physical_or_digital(client, artist):
    ShippingRateFactory(artist=artist, country=None)
    create = reverse("shop:product_create")

    vinyl = client.post(create, form_data(name="Vinyl", delivery="physical", stock_quantity="50"))
    files = client.post(
        create, form_data(name="Files", delivery="digital", digital_file=zip_upload())
    )

    assert vinyl.status_code == files.status_code == 302
    vinyl, files = Product.objects.get(name="Vinyl"), Product.objects.get(name="Files")
    assert (vinyl.product_type, vinyl.delivery, vinyl.stock_quantity) == (
        "exclusive_release",
        "physical",
        50,
    )
    assert not vinyl.digital_file
    assert (files.product_type, files.delivery) == ("exclusive_release", "digital")
    assert files.digital_file


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "This field is required"),  # no delivery chosen
        ({"delivery": "digital"}, "A digital product needs its file"),
        ({"delivery": "physical"}, "A physical product needs its stock"),
        ({"delivery": "physical", "stock_quantity": "5"}, "Set your shipping rates"),
    ],
)
def test_the_form_enforces_what_each_delivery_needs(client, artist, overrides, message):
    response = client.post(reverse("shop:product_create"), form_data(**overrides))

    assert response.status_code == 400
    assert message in response.text
    assert not Product.objects.exists()


def test_the_service_enforces_the_same_rules_as_the_form():
    artist = ArtistFactory()
    common = {"artist": artist, "name": "X", "description": "", "price": 5}
    with pytest.raises(ShopError, match="needs its file"):
        product_create(
            **common, product_type="merchandise", delivery="digital", stock_quantity=None
        )
    with pytest.raises(ShopError, match="shipping rates"):
        product_create(
            **common, product_type="music_download", delivery="physical", stock_quantity=3
        )
    assert not Product.objects.exists()


def test_checkout_asks_for_an_address_exactly_when_a_physical_item_is_in_the_cart(client):
    vinyl = ProductFactory(product_type=ProductType.EXCLUSIVE_RELEASE, delivery="physical")
    files = ProductFactory(product_type=ProductType.EXCLUSIVE_RELEASE, download=True)
    wallpapers = ProductFactory(product_type=ProductType.MERCHANDISE, download=True)
    client.force_login(UserFactory())

    add_to_cart(client, files)
    add_to_cart(client, wallpapers)
    assert "Shipping address" not in client.get(reverse("shop:checkout")).text
    add_to_cart(client, vinyl)
    assert "Shipping address" in client.get(reverse("shop:checkout")).text
    response = checkout(client)  # no address
    assert response.status_code == 400 and "Needed to ship your order" in response.text


def test_digital_items_get_links_and_physical_ones_enter_fulfilment_whatever_their_type(client):
    vinyl = ProductFactory(product_type=ProductType.EXCLUSIVE_RELEASE, delivery="physical")
    wallpapers = ProductFactory(product_type=ProductType.MERCHANDISE, download=True)
    client.force_login(UserFactory())

    order = buy_many(client, [vinyl, wallpapers])

    by_product = {item.product_id: item for item in OrderItem.objects.filter(order=order)}
    assert by_product[vinyl.pk].status == "to_ship" and not by_product[vinyl.pk].download_url
    assert by_product[wallpapers.pk].status is None and by_product[wallpapers.pk].download_url
    client.force_login(vinyl.artist.user)
    assert vinyl.name in client.get(reverse("shop:fulfilment")).text
