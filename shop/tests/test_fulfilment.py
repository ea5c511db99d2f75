"""Multi-artist orders: each artist ships and delivers only their own items, the order's
status follows from its items, the buyer sees each item's progress, artists hear of
each paid order they have to ship (issue 17, item 8)."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import UserFactory
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationEmailPreference
from shop.models import Order, OrderItem, OrderItemStatus, OrderStatus
from shop.services import ShopError
from shop.services.fulfilment import order_item_fulfil, order_status_from_items
from shop.tests.factories import ProductFactory
from shop.tests.helpers import buy_many

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]

SHIP = {"status": "shipped", "carrier": "Royal Mail", "tracking_number": "RM123456789GB"}


@pytest.fixture
def two_artist_order(client):
    """A paid order of a T-shirt (artist A), a cap (artist B) and A's download."""
    shirt = ProductFactory(name="Orbit T-shirt", stock_quantity=5)
    cap = ProductFactory(name="Static cap", stock_quantity=5)
    song = ProductFactory(download=True, artist=shirt.artist, name="Orbit (download)")
    client.force_login(UserFactory())
    order = buy_many(client, [shirt, cap, song])
    items = {item.product_id: item for item in order.items.all()}
    return order, items[shirt.pk], items[cap.pk], items[song.pk]


def item_status(item) -> str | None:
    return OrderItem.objects.get(pk=item.pk).status


def order_status(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_each_artist_ships_their_own_items_and_the_order_status_follows(two_artist_order):
    order, shirt, cap, song = two_artist_order
    artist_a, artist_b = shirt.product.artist.user, cap.product.artist.user
    assert order.status == OrderStatus.PAID
    assert (shirt.status, cap.status, song.status) == ("to_ship", "to_ship", None)

    order_item_fulfil(item_id=shirt.pk, user=artist_a, **SHIP)
    assert order_status(order) == OrderStatus.PARTLY_SHIPPED
    order_item_fulfil(item_id=shirt.pk, user=artist_a, status="delivered")
    assert order_status(order) == OrderStatus.PARTLY_SHIPPED
    order_item_fulfil(item_id=cap.pk, user=artist_b, **SHIP)
    assert order_status(order) == OrderStatus.SHIPPED
    order_item_fulfil(item_id=cap.pk, user=artist_b, status="delivered")
    assert order_status(order) == OrderStatus.DELIVERED

    shipped = OrderItem.objects.get(pk=shirt.pk)
    assert (shipped.carrier, shipped.tracking_number) == ("Royal Mail", "RM123456789GB")
    moves = set(
        StatusHistory.objects.filter(entity_type="order_item").values_list(
            "entity_id", "new_status", "changed_by"
        )
    )
    assert moves == {
        (shirt.pk, "shipped", artist_a.pk),
        (shirt.pk, "delivered", artist_a.pk),
        (cap.pk, "shipped", artist_b.pk),
        (cap.pk, "delivered", artist_b.pk),
    }
    order_moves = set(
        StatusHistory.objects.filter(entity_type="order", entity_id=order.pk).values_list(
            "old_status", "new_status"
        )
    )
    assert order_moves == {
        ("pending", "paid"),
        ("paid", "partly_shipped"),
        ("partly_shipped", "shipped"),
        ("shipped", "delivered"),
    }
    titles = set(Notification.objects.filter(user=order.user).values_list("title", flat=True))
    assert {"Order partly shipped", "Order shipped", "Order delivered"} <= titles


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([None], OrderStatus.PAID),
        (["to_ship", "to_ship", None], OrderStatus.PAID),
        (["shipped", "to_ship"], OrderStatus.PARTLY_SHIPPED),
        (["delivered", "to_ship", None], OrderStatus.PARTLY_SHIPPED),
        (["shipped", "delivered"], OrderStatus.SHIPPED),
        (["delivered", "delivered", None], OrderStatus.DELIVERED),
    ],
)
def test_the_order_status_is_computed_from_its_physical_items(statuses, expected):
    assert order_status_from_items(statuses) == expected


def test_an_artist_can_never_move_another_artists_item(two_artist_order, client):
    """Negative control: without the ownership filter in order_item_fulfil, artist A
    ships B's cap and this test fails."""
    order, shirt, cap, _song = two_artist_order
    artist_a = shirt.product.artist.user

    with pytest.raises(OrderItem.DoesNotExist):
        order_item_fulfil(item_id=cap.pk, user=artist_a, **SHIP)
    client.force_login(artist_a)
    response = client.post(reverse("shop:fulfilment_item", args=[cap.pk]), SHIP)
    assert response.status_code == 404
    stranger = UserFactory()
    with pytest.raises(OrderItem.DoesNotExist):
        order_item_fulfil(item_id=shirt.pk, user=stranger, **SHIP)

    assert item_status(cap) == item_status(shirt) == OrderItemStatus.TO_SHIP
    assert OrderItem.objects.get(pk=cap.pk).carrier is None
    assert order_status(order) == OrderStatus.PAID
    assert not StatusHistory.objects.filter(entity_type="order_item").exists()


def test_bad_fulfilment_moves_are_refused_and_change_nothing(two_artist_order, client):
    order, shirt, _cap, song = two_artist_order
    artist_a = shirt.product.artist.user

    with pytest.raises(ShopError, match="carrier and the tracking number"):
        order_item_fulfil(item_id=shirt.pk, user=artist_a, status="shipped", carrier="DHL")
    with pytest.raises(ShopError, match="shipped first"):
        order_item_fulfil(item_id=shirt.pk, user=artist_a, status="delivered")
    with pytest.raises(ShopError, match="shipped or delivered"):
        order_item_fulfil(item_id=shirt.pk, user=artist_a, status="to_ship")
    with pytest.raises(OrderItem.DoesNotExist):  # a download is never shipped
        order_item_fulfil(item_id=song.pk, user=artist_a, **SHIP)
    assert item_status(shirt) == OrderItemStatus.TO_SHIP

    client.force_login(artist_a)
    url = reverse("shop:fulfilment_item", args=[shirt.pk])
    response = client.post(url, {"status": "shipped", "carrier": "DHL"}, follow=True)
    assert "Enter the carrier and the tracking number" in response.text
    response = client.post(url, {"status": "cancelled"}, follow=True)
    assert "Choose shipped or delivered" in response.text
    assert item_status(shirt) == OrderItemStatus.TO_SHIP
    assert order_status(order) == OrderStatus.PAID


def test_items_of_an_unpaid_order_cannot_be_shipped(client):
    shirt = ProductFactory(stock_quantity=5)
    client.force_login(UserFactory())
    order = buy_many(client, [shirt], card="4000 0000 0000 0002")  # declined
    item = order.items.get()

    with pytest.raises(ShopError, match="paid order"):
        order_item_fulfil(item_id=item.pk, user=shirt.artist.user, **SHIP)
    assert item_status(item) == OrderItemStatus.TO_SHIP


def test_the_fulfilment_page_lists_only_the_artists_own_items(two_artist_order, client):
    order, shirt, cap, _song = two_artist_order
    client.force_login(shirt.product.artist.user)

    page = client.get(reverse("shop:fulfilment"))

    assert "Orbit T-shirt" in page.text and "Ada Lovelace" in page.text
    assert "Static cap" not in page.text and "Orbit (download)" not in page.text
    client.post(reverse("shop:fulfilment_item", args=[shirt.pk]), SHIP)
    client.post(reverse("shop:fulfilment_item", args=[shirt.pk]), {"status": "delivered"})
    # Done with their part, the order leaves A's list while B still has to ship.
    assert str(order.pk)[:8] not in client.get(reverse("shop:fulfilment")).text
    client.force_login(cap.product.artist.user)
    assert "Static cap" in client.get(reverse("shop:fulfilment")).text


def test_the_buyer_sees_each_items_status_with_carrier_and_tracking(two_artist_order, client):
    order, shirt, _cap, _song = two_artist_order
    client.force_login(shirt.product.artist.user)
    client.post(reverse("shop:fulfilment_item", args=[shirt.pk]), SHIP)

    client.force_login(order.user)
    page = client.get(reverse("shop:order", args=[order.pk])).text

    assert "Partly shipped" in page
    assert "Royal Mail, tracking number RM123456789GB" in page
    assert "Not shipped yet" in page  # the cap
    assert "Download" in page  # the song


def test_each_artist_is_told_of_a_paid_order_to_ship_by_notification_and_email(
    client, django_capture_on_commit_callbacks
):
    shirt = ProductFactory(name="Orbit T-shirt", stock_quantity=5)
    cap = ProductFactory(name="Static cap", stock_quantity=5)
    digital_only = ProductFactory(download=True)
    artist_a, artist_b = shirt.artist.user, cap.artist.user
    NotificationEmailPreference.objects.create(
        user=artist_b, notification_type="sale", send_email=False
    )
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        order = buy_many(client, [shirt, cap, digital_only])

    (to_a,) = Notification.objects.filter(user=artist_a, notification_type="sale")
    (to_b,) = Notification.objects.filter(user=artist_b, notification_type="sale")
    assert "1 × Orbit T-shirt" in to_a.message and "Static cap" not in to_a.message
    assert "1 × Static cap" in to_b.message and str(order.pk)[:8] in to_b.message
    assert not Notification.objects.filter(
        user=digital_only.artist.user, notification_type="sale"
    ).exists()
    emailed = [m.to for m in mail.outbox if "New order to ship" in m.subject]
    assert emailed == [[artist_a.email]]  # B chose no email for sales


def test_an_unpaid_order_notifies_no_artist(client):
    shirt = ProductFactory(stock_quantity=5)
    client.force_login(UserFactory())
    buy_many(client, [shirt], card="4000 0000 0000 0002")
    assert not Notification.objects.filter(notification_type="sale").exists()
