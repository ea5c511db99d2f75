"""A purchase is never lost: "Your purchases" lists every paid item with its download
button (issue 17, item 10)."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from shop.models import OrderItem, OrderStatus
from shop.services.refunds import order_refund
from shop.tests.factories import OrderFactory, OrderItemFactory, ProductFactory
from shop.tests.helpers import buy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def test_your_purchases_lists_every_paid_item_and_nothing_else(client):
    buyer = UserFactory()
    client.force_login(buyer)
    album = buy(client, ProductFactory(download=True, name="Night Album"))
    buy(client, ProductFactory(name="Tour shirt"))
    refunded = buy(client, ProductFactory(download=True, name="Refunded EP"))
    order_refund(
        order=refunded,
        by=UserFactory(staff=True),
        reason="Duplicate",
        item_ids=[refunded.items.get().pk],
        request_key=uuid.uuid4(),
    )
    unpaid = OrderFactory(user=buyer)
    OrderItemFactory(order=unpaid, product=ProductFactory(name="Unpaid poster"))
    someone_elses = OrderFactory(status=OrderStatus.PAID)
    OrderItemFactory(order=someone_elses, product=ProductFactory(name="Not mine"))

    page = client.get(reverse("purchases"))

    assert page.status_code == 200
    assert "Night Album" in page.text and "Tour shirt" in page.text
    for absent in ("Refunded EP", "Unpaid poster", "Not mine"):
        assert absent not in page.text
    item = album.items.get()
    assert reverse("shop:download_renew", args=[album.pk, item.pk]) in page.text


def test_the_download_button_always_gets_the_file_even_after_the_link_expired(client):
    client.force_login(UserFactory())
    order = buy(client, ProductFactory(download=True))
    item = order.items.get()
    button = reverse("shop:download_renew", args=[order.pk, item.pk])

    live = client.post(button)
    OrderItem.objects.filter(pk=item.pk).update(download_expires_at=timezone.now())
    expired = client.post(button)

    assert live.url == item.download_url
    fresh = OrderItem.objects.get(pk=item.pk)
    assert expired.url == fresh.download_url and fresh.download_expires_at > timezone.now()
    response = client.get(expired.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 songs"


def test_too_many_new_links_say_when_to_come_back(client, settings):
    settings.SHOP_DOWNLOAD_LINKS_PER_HOUR = 1
    client.force_login(UserFactory())
    order = buy(client, ProductFactory(download=True))
    item = order.items.get()
    button = reverse("shop:download_renew", args=[order.pk, item.pk])
    OrderItem.objects.filter(pk=item.pk).update(download_expires_at=timezone.now())
    client.post(button)
    OrderItem.objects.filter(pk=item.pk).update(download_expires_at=timezone.now())

    response = client.post(button, follow=True)

    assert response.redirect_chain[-1][0] == reverse("purchases")
    assert "at most 1 new download link an hour" in response.text


@pytest.mark.parametrize("count", [1, 6])
def test_your_purchases_runs_constant_queries(client, django_assert_num_queries, count):
    buyer = UserFactory()
    for order in OrderFactory.create_batch(count, user=buyer, status=OrderStatus.PAID):
        OrderItemFactory(order=order, product=ProductFactory(download=True))
        OrderItemFactory(order=order)
    client.force_login(buyer)

    # Session, user, the count of items, a page of items with their orders, products
    # and artists.
    with django_assert_num_queries(4):
        response = client.get(reverse("purchases"))
    assert len(response.context["page"].object_list) == 2 * count
