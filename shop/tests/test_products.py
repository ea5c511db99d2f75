"""Artists create and edit their products: types, prices, stock, images, files."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from accounts.tests.images import (
    huge_dimensions_png,
    jpeg_upload,
    png_upload,
    six_megabyte_png,
    text_as_jpeg,
)
from artists.tests.factories import ArtistFactory
from shop.models import Product, ProductDelivery, ProductType
from shop.tests.factories import ProductFactory, ShippingRateFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
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


@pytest.fixture
def artist_client(client):
    artist = ArtistFactory()
    ShippingRateFactory(artist=artist, country=None)
    client.force_login(artist.user)
    client.artist = artist
    return client


def test_an_artist_creates_merchandise_with_validated_images(artist_client):
    response = artist_client.post(
        reverse("shop:product_create"),
        form_data(images=[jpeg_upload(), png_upload()]),
    )

    assert response.status_code == 302
    product = Product.objects.get()
    assert product.artist == artist_client.artist
    assert (product.price, product.stock_quantity, product.is_active) == (
        Decimal("35.00"),
        12,
        True,
    )
    assert len(product.image_urls) == 2
    assert not product.digital_file


def test_a_download_has_unlimited_stock_and_keeps_its_file_private(artist_client):
    upload = SimpleUploadedFile("album.zip", b"PK\x03\x04 songs", content_type="application/zip")
    artist_client.post(
        reverse("shop:product_create"),
        form_data(
            product_type=ProductType.MUSIC_DOWNLOAD,
            delivery=ProductDelivery.DIGITAL,
            stock_quantity="",
            digital_file=upload,
        ),
    )

    product = Product.objects.get()
    assert product.stock_quantity is None
    assert storages["private"].exists(product.digital_file.name)
    assert not default_storage.exists(product.digital_file.name)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"images": [text_as_jpeg()]}, "is not a JPEG, PNG, GIF or WebP picture"),
        ({"images": [huge_dimensions_png()]}, "too many pixels"),
        ({"images": [six_megabyte_png()]}, "larger than 5 MB"),
        ({"images": [png_upload(name=f"{i}.png") for i in range(7)]}, "at most 6 images"),
        ({"price": "-1"}, "greater than or equal to 0"),
        ({"price": "ten"}, "Enter a number"),
        ({"stock_quantity": "-3"}, "greater than or equal to 0"),
        ({"product_type": "car"}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
        (
            {"product_type": ProductType.EXCLUSIVE_RELEASE, "delivery": ProductDelivery.DIGITAL},
            "needs its file",
        ),
    ],
)
def test_bad_product_input_is_refused_and_saves_nothing(artist_client, overrides, message):
    response = artist_client.post(reverse("shop:product_create"), form_data(**overrides))

    assert response.status_code == 400
    assert message in response.text
    assert not Product.objects.exists()


def test_an_artist_edits_price_stock_and_deactivates(artist_client):
    product = ProductFactory(artist=artist_client.artist, stock_quantity=3)

    response = artist_client.post(
        reverse("shop:product_edit", args=[product.pk]),
        form_data(price="40.00", stock_quantity="7", is_active=""),
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.price, product.stock_quantity, product.is_active) == (
        Decimal("40.00"),
        7,
        False,
    )


def test_editing_a_download_keeps_its_file_unless_replaced(artist_client):
    product = ProductFactory(download=True, artist=artist_client.artist)
    old_file = product.digital_file.name

    artist_client.post(
        reverse("shop:product_edit", args=[product.pk]),
        form_data(
            product_type=ProductType.MUSIC_DOWNLOAD,
            delivery=ProductDelivery.DIGITAL,
            stock_quantity="",
        ),
    )

    product.refresh_from_db()
    assert product.digital_file.name == old_file


def test_someone_elses_product_cannot_be_edited(client):
    product = ProductFactory()
    client.force_login(UserFactory())

    response = client.post(reverse("shop:product_edit", args=[product.pk]), form_data())

    assert response.status_code == 404
    assert Product.objects.get(pk=product.pk).name == product.name


def test_a_user_without_an_artist_profile_is_sent_to_create_one(client):
    client.force_login(UserFactory())

    response = client.get(reverse("shop:product_create"))

    assert response.url == reverse("artists:become")


@pytest.mark.parametrize("count", [2, 12])
def test_the_manage_page_runs_constant_queries(artist_client, django_assert_num_queries, count):
    ProductFactory.create_batch(count, artist=artist_client.artist)

    # Session, user, artists, the products' count and page.
    with django_assert_num_queries(5):
        response = artist_client.get(reverse("shop:manage"))
    assert response.status_code == 200


def test_the_manage_page_lists_many_products_page_by_page(artist_client):
    ProductFactory.create_batch(21, artist=artist_client.artist)

    first = artist_client.get(reverse("shop:manage"))
    second = artist_client.get(reverse("shop:manage"), {"page": "2"})

    assert len(first.context["page"].object_list) == 20
    assert "Page 1 of 2" in first.text and 'href="?page=2"' in first.text
    assert len(second.context["page"].object_list) == 1


def test_uploaded_images_lose_their_exif(artist_client):
    from PIL import Image

    artist_client.post(reverse("shop:product_create"), form_data(images=[jpeg_upload(exif=True)]))

    url = Product.objects.get().image_urls[0]
    name = url.removeprefix(default_storage.base_url)
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert not image.getexif()
