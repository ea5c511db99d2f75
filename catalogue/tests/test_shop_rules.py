"""A release sold under the shop's rules: a digital product, prices a gateway can charge or
free, shipping beside it in one order, downloads that count as delivery, refunds."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalogue.forms import ReleaseForm
from catalogue.services import release_publish, release_update
from catalogue.tests.factories import ReleaseFactory, processed_track
from payments.models import Payment
from shop.models import DownloadUse, Order, OrderItemStatus, OrderStatus, ProductDelivery, Refund
from shop.services.refunds import order_refund
from shop.tests.factories import ProductFactory, ShippingRateFactory
from shop.tests.helpers import ADDRESS, add_to_cart, checkout, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def published(**fields):
    release = ReleaseFactory(title="Night Drive", **fields)
    processed_track(release, title="Opening")
    return release_publish(release=release)


@pytest.fixture
def fan(client):
    user = UserFactory()
    client.force_login(user)
    return user


def bought(client, release, amount="7.00") -> Order:
    client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": amount})
    response = checkout(client)
    if response.url.startswith("/payments/"):
        pay(client, response)
    return Order.objects.filter(items__product=release.product).latest("created_at")


def test_a_release_is_sold_by_a_digital_product_without_a_file_of_its_own():
    release = published()

    assert release.product.delivery == ProductDelivery.DIGITAL
    assert not release.product.digital_file


def test_a_price_no_gateway_can_charge_is_refused_and_changes_nothing(client):
    release = published(price=Decimal("7.00"))
    client.force_login(release.artist.user)
    form = {"title": "Night Drive", "release_type": "album", "release_date": "2026-01-15"}

    response = client.post(
        reverse("catalogue:release_edit", args=[release.pk]), {**form, "price": "0.20"}
    )

    assert response.status_code == 400
    assert "Enter a price of at least 0.50, or 0.00 for a free download." in response.text
    release.refresh_from_db()
    assert release.price == Decimal("7.00") and release.product.price == Decimal("7.00")
    details = ReleaseForm(data={**form, "price": "0.00"}, artist=release.artist)
    assert details.is_valid(), details.errors
    release_update(release=release, details=details.details())
    release.product.refresh_from_db()
    assert release.product.price == Decimal("0.00")  # free is allowed


def test_a_free_release_checks_out_without_a_payment_and_downloads(client, fan):
    release = published(price=Decimal("0.00"), name_your_price=True)

    order = bought(client, release, amount="0")

    assert order.status == OrderStatus.PAID and order.total_amount == 0
    assert not Payment.objects.filter(order=order).exists()
    item = order.items.get()
    page = client.get(item.download_url, follow=True)
    archive = client.get(page.redirect_chain[-1][0], {"format": "mp3"})
    assert archive.status_code == 200 and archive["Content-Type"] == "application/zip"


def test_an_amount_between_free_and_what_a_gateway_charges_is_refused(client, fan):
    release = published(price=Decimal("0.00"), name_your_price=True)

    response = client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": "0.20"})

    assert response.status_code == 400
    assert "Pay 0.00 or at least $0.50" in response.text
    assert client.session.get("shop_cart") in (None, {})


def test_a_named_price_and_a_shipped_shirt_are_one_order_with_shipping(client, fan):
    release = published(price=Decimal("5.00"), name_your_price=True)
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=5, ships_everywhere=False)
    ShippingRateFactory(artist=shirt.artist, country="GB", amount=Decimal("4.00"))
    client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": "8.50"})
    add_to_cart(client, shirt)

    page = client.post(reverse("shop:checkout"), {**ADDRESS, "refresh": "1"})
    assert page.context["total"] == Decimal("32.50")
    pay(client, checkout(client, address=ADDRESS, expected_total="32.50"))

    order = Order.objects.get(user=fan)
    assert order.status == OrderStatus.PAID
    assert (order.total_amount, order.shipping_amount) == (Decimal("32.50"), Decimal("4.00"))
    lines = {item.product_id: item for item in order.items.all()}
    assert lines[release.product_id].unit_price == Decimal("8.50")
    assert lines[release.product_id].status is None  # downloaded, not shipped
    assert lines[shirt.pk].status == OrderItemStatus.TO_SHIP
    assert lines[release.product_id].download_url


def test_the_format_page_is_no_download_but_the_zip_is(client, fan):
    release = published()
    order = bought(client, release)
    item = order.items.get()

    format_page = client.get(item.download_url, follow=True)
    assert "Download zip" in format_page.text
    assert not DownloadUse.objects.exists()
    client.get(format_page.redirect_chain[-1][0], {"format": "flac"})

    assert DownloadUse.objects.filter(order_item=item, user=fan).count() == 1
    response = client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)
    assert "You downloaded" in response.text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert not Refund.objects.exists()


def test_a_zip_from_the_release_page_delivers_the_purchase_too(client, fan):
    release = published()
    order = bought(client, release)

    client.get(reverse("catalogue:download", args=[release.pk]), {"format": "mp3"})

    assert DownloadUse.objects.filter(order_item__order=order).count() == 1
    client.post(reverse("shop:order_cancel", args=[order.pk]))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_a_release_cancelled_before_its_download_is_refunded_and_no_longer_owned(client, fan):
    release = published()
    order = bought(client, release)
    item = order.items.get()

    client.post(reverse("shop:order_cancel", args=[order.pk]))

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    payment = Payment.objects.get(order=order)
    assert payment.refunded_amount == Decimal("7.00")
    assert client.get(item.download_url).status_code == 403
    assert client.get(reverse("catalogue:download", args=[release.pk])).status_code == 403
    collection = client.get(reverse("catalogue:collection", args=[fan.pk]))
    assert "Night Drive" not in collection.text


def test_a_release_line_refunded_by_staff_is_no_longer_owned_while_the_order_stays_paid(
    client, fan
):
    release = published()
    client.post(reverse("catalogue:buy", args=[release.pk]))
    add_to_cart(client, ProductFactory(download=True, name="Sample pack"))
    pay(client, checkout(client))
    order = Order.objects.get(user=fan)
    item = order.items.get(product=release.product)
    client.get(reverse("catalogue:download", args=[release.pk]), {"format": "mp3"})
    staff = UserFactory(staff=True, is_superuser=True)

    order_refund(
        order=order, by=staff, reason="Wrong album", request_key=uuid.uuid4(), item_ids=[item.pk]
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Payment.objects.get(order=order).refunded_amount == Decimal("7.00")
    assert client.get(reverse("catalogue:download", args=[release.pk])).status_code == 403
    assert "Download (MP3 320" not in client.get(release.get_absolute_url()).text
    collection = client.get(reverse("catalogue:collection", args=[fan.pk]))
    assert "Night Drive" not in collection.text
