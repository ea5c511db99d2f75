"""Refunds that cannot be abused (issue 17, items 6 and 7).

The buyer cancels, and is refunded automatically, only what was not delivered: a digital
item whose download link was never used, a physical item its artist has not shipped. Everything else
is a staff decision in the admin, with a reason, never above what was paid.
"""

import hashlib
import uuid
from decimal import Decimal

import pytest
import responses
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from musicplatform.audit.models import StatusHistory
from payments.models import Payment, PaymentStatus
from payments.tests import stripe_stub
from shop.models import DownloadUse, Order, OrderItem, OrderStatus, Product, Refund
from shop.services import ShopError
from shop.services.fulfilment import order_item_fulfil
from shop.services.refunds import order_refund
from shop.tests.factories import (
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    ProductFactory,
    ShippingRateFactory,
)
from shop.tests.helpers import buy, ship_items

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


@pytest.fixture
def buyer_client(client):
    client.force_login(UserFactory())
    return client


@pytest.fixture
def staff():
    return UserFactory(staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    staff_client = Client()
    staff_client.force_login(staff)
    return staff_client


def download_item(order) -> OrderItem:
    return order.items.select_related("product").get(product__delivery="digital")


def merch_item(order) -> OrderItem:
    return order.items.select_related("product").get(product__delivery="physical")


def mixed_order(client) -> Order:
    """A paid order of an album download (9.99) and a T-shirt (24.99)."""
    from shop.tests.helpers import ADDRESS, add_to_cart, checkout, pay

    album = ProductFactory(download=True, name="Night Album")
    shirt = ProductFactory(name="Tour shirt", stock_quantity=5)
    add_to_cart(client, album)
    add_to_cart(client, shirt)
    pay(client, checkout(client, address=ADDRESS))
    return Order.objects.get(items__product=album)


# --- Item 6: what the buyer may cancel ------------------------------------------


def test_every_use_of_a_download_link_is_recorded_without_the_address_in_clear(buyer_client):
    order = buy(buyer_client, ProductFactory(download=True))
    item = download_item(order)

    buyer_client.get(item.download_url, REMOTE_ADDR="203.0.113.9")
    buyer_client.get(item.download_url, REMOTE_ADDR="203.0.113.9")

    uses = list(DownloadUse.objects.filter(order_item=item))
    assert len(uses) == 2
    assert {use.user_id for use in uses} == {order.user_id}
    assert all(timezone.now() - use.used_at < timezone.timedelta(minutes=1) for use in uses)
    assert all(use.ip_hash and "203.0.113.9" not in use.ip_hash for use in uses)
    assert uses[0].ip_hash == uses[1].ip_hash
    assert uses[0].ip_hash != hashlib.sha256(b"203.0.113.9").hexdigest()  # keyed, not guessable


def test_a_refused_download_is_not_a_use(buyer_client):
    order = buy(buyer_client, ProductFactory(download=True))
    item = download_item(order)

    buyer_client.get(item.download_url[:-3] + "abc/")

    assert not DownloadUse.objects.exists()


def test_the_buyer_cancels_a_download_never_used_and_gets_everything_back(buyer_client):
    order = buy(buyer_client, ProductFactory(download=True))

    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "Your order is cancelled" in response.text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("9.99"))


def test_after_a_download_the_buyer_cannot_cancel_and_the_page_says_why(buyer_client):
    order = buy(buyer_client, ProductFactory(download=True, name="Night Album"))
    buyer_client.get(download_item(order).download_url)

    page = buyer_client.get(reverse("shop:order", args=[order.pk]))

    assert "Cancel and refund" not in page.text
    today = timezone.localdate().strftime("%Y-%m-%d")
    assert f"You downloaded Night Album on {today}" in page.text
    assert "contact support" in page.text

    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "You downloaded Night Album" in response.text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("0.00"))
    assert not Refund.objects.exists()


def test_a_mixed_order_gives_back_only_what_was_not_delivered(buyer_client):
    order = mixed_order(buyer_client)
    album, shirt = download_item(order), merch_item(order)
    buyer_client.get(album.download_url)

    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "Tour shirt is cancelled and 24.99 refunded" in response.text
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("24.99"))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert OrderItem.objects.get(pk=shirt.pk).refund_id is not None
    assert OrderItem.objects.get(pk=album.pk).refund_id is None
    assert Product.objects.get(pk=shirt.product_id).stock_quantity == 5
    # The album stays the buyer's.
    assert buyer_client.get(OrderItem.objects.get(pk=album.pk).download_url).status_code == 200

    again = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "You downloaded Night Album" in again.text
    assert Payment.objects.get(order=order).refunded_amount == Decimal("24.99")
    assert Product.objects.get(pk=shirt.product_id).stock_quantity == 5


def test_cancelled_merchandise_leaves_the_artists_fulfilment_list(buyer_client):
    order = mixed_order(buyer_client)
    buyer_client.get(download_item(order).download_url)
    artist = Client()
    artist.force_login(merch_item(order).product.artist.user)
    short = str(order.pk)[:8]
    assert short in artist.get(reverse("shop:fulfilment")).text

    buyer_client.post(reverse("shop:order_cancel", args=[order.pk]))

    assert short not in artist.get(reverse("shop:fulfilment")).text


def test_shipped_merchandise_is_not_cancelled_by_the_buyer(buyer_client):
    product = ProductFactory(name="Tour shirt", stock_quantity=5)
    order = buy(buyer_client, product)
    ship_items(order, user=product.artist.user, status="shipped")

    page = buyer_client.get(reverse("shop:order", args=[order.pk]))
    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "Tour shirt was shipped" in page.text and "contact support" in page.text
    assert "Tour shirt was shipped" in response.text
    assert Payment.objects.get(order=order).refunded_amount == Decimal("0.00")


def test_a_refunded_item_no_longer_downloads(buyer_client, staff):
    order = buy(buyer_client, ProductFactory(download=True))
    item = download_item(order)
    buyer_client.get(item.download_url)

    order_refund(
        order=order,
        by=staff,
        reason="Corrupt file",
        item_ids=[item.pk],
        request_key=uuid.uuid4(),
    )

    response = buyer_client.get(item.download_url)
    assert response.status_code == 403
    assert "refunded" in response.text


# --- Item 7: staff refunds from the admin ---------------------------------------


def refund_page(staff_client, order):
    return reverse("admin:shop_order_refund", args=[order.pk])


def refund_form(staff_client, order) -> dict:
    form = staff_client.get(refund_page(staff_client, order)).context["form"]
    return {"request_key": str(form["request_key"].value())}


def test_staff_refund_a_downloaded_item_by_item_with_a_reason(buyer_client, staff_client, staff):
    order = mixed_order(buyer_client)
    album = download_item(order)
    buyer_client.get(album.download_url)
    change_page = staff_client.get(reverse("admin:shop_order_change", args=[order.pk]))
    assert refund_page(staff_client, order) in change_page.text

    response = staff_client.post(
        refund_page(staff_client, order),
        {**refund_form(staff_client, order), "items": [str(album.pk)], "reason": "Corrupt file"},
    )

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.requested_by) == (
        Decimal("9.99"),
        "Corrupt file",
        staff,
    )
    assert list(refund.items.all()) == [album]
    assert Payment.objects.get(order=order).refunded_amount == Decimal("9.99")
    history = StatusHistory.objects.get(entity_type="refund", entity_id=refund.pk)
    assert (history.new_status, history.changed_by) == ("issued", staff)


def test_staff_refund_part_of_an_amount_then_the_rest_and_never_more(buyer_client, staff_client):
    order = buy(buyer_client, ProductFactory(price=Decimal("30.00")))
    url = refund_page(staff_client, order)

    staff_client.post(
        url, {**refund_form(staff_client, order), "amount": "10.00", "reason": "Late delivery"}
    )
    too_much = staff_client.post(
        url, {**refund_form(staff_client, order), "amount": "20.01", "reason": "Goodwill"}
    )

    assert too_much.status_code == 400
    assert "at most 20.00" in too_much.text
    assert Payment.objects.get(order=order).refunded_amount == Decimal("10.00")

    staff_client.post(
        url, {**refund_form(staff_client, order), "amount": "20.00", "reason": "Goodwill"}
    )

    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("30.00"))
    assert Refund.objects.filter(order=order).count() == 2


def test_a_refund_without_a_reason_or_without_anything_to_refund_changes_nothing(
    buyer_client, staff_client
):
    order = buy(buyer_client, ProductFactory())
    url = refund_page(staff_client, order)

    no_reason = staff_client.post(url, {**refund_form(staff_client, order), "amount": "1.00"})
    nothing = staff_client.post(url, {**refund_form(staff_client, order), "reason": "Because"})
    garbage = staff_client.post(
        url, {**refund_form(staff_client, order), "amount": "abc", "reason": "x"}
    )

    assert no_reason.status_code == nothing.status_code == garbage.status_code == 400
    assert "This field is required" in no_reason.text
    assert "Choose items or enter an amount" in nothing.text
    assert not Refund.objects.exists()
    assert Payment.objects.get(order=order).refunded_amount == Decimal("0.00")


def test_the_same_refund_submitted_twice_refunds_once(buyer_client, staff_client):
    order = buy(buyer_client, ProductFactory(price=Decimal("30.00")))
    data = {**refund_form(staff_client, order), "amount": "5.00", "reason": "Scratched"}

    staff_client.post(refund_page(staff_client, order), data)
    staff_client.post(refund_page(staff_client, order), data)

    assert Refund.objects.count() == 1
    assert Payment.objects.get(order=order).refunded_amount == Decimal("5.00")


def test_staff_refund_a_delivered_order_in_full(buyer_client, staff_client, staff):
    product = ProductFactory(stock_quantity=5)
    order = buy(buyer_client, product)
    ship_items(order, user=product.artist.user, status="shipped")
    ship_items(order, user=product.artist.user, status="delivered")

    staff_client.post(
        refund_page(staff_client, order),
        {
            **refund_form(staff_client, order),
            "items": [str(merch_item(order).pk)],
            "reason": "Arrived broken",
        },
    )

    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))
    history = StatusHistory.objects.get(entity_type="payment", new_status="refunded")
    assert history.changed_by == staff
    # The shirt reached the buyer: it is not back in stock.
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


def test_a_full_refund_of_a_paid_order_cancels_it_in_the_staff_members_name(buyer_client, staff):
    order = buy(buyer_client, ProductFactory(stock_quantity=5))

    order_refund(
        order=order,
        by=staff,
        reason="Customer asked",
        item_ids=[merch_item(order).pk],
        request_key=uuid.uuid4(),
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    cancelled = StatusHistory.objects.get(entity_type="order", new_status="cancelled")
    assert cancelled.changed_by == staff
    assert Product.objects.get(pk=merch_item(order).product_id).stock_quantity == 5


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CANCELLED])
def test_only_paid_shipped_or_delivered_orders_are_refunded(buyer_client, staff, status):
    order = buy(buyer_client, ProductFactory())
    Order.objects.filter(pk=order.pk).update(status=status)

    with pytest.raises(ShopError, match="Only a paid, shipped or delivered order"):
        order_refund(order=order, by=staff, reason="x", request_key=uuid.uuid4())


def test_an_item_of_another_order_or_refunded_before_is_refused(buyer_client, staff):
    order, other = mixed_order(buyer_client), buy(buyer_client, ProductFactory())
    shirt = merch_item(order)

    with pytest.raises(ShopError, match="not part of this order"):
        order_refund(
            order=other, by=staff, reason="x", item_ids=[shirt.pk], request_key=uuid.uuid4()
        )
    order_refund(
        order=order,
        by=staff,
        reason="Kept the shirt for a discount",
        amount=Decimal("1.00"),
        item_ids=[shirt.pk],
        request_key=uuid.uuid4(),
    )
    with pytest.raises(ShopError, match="already refunded"):
        order_refund(
            order=order, by=staff, reason="x", item_ids=[shirt.pk], request_key=uuid.uuid4()
        )
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == (
        PaymentStatus.COMPLETED,
        Decimal("1.00"),
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_refund_page_is_for_staff_only(buyer_client):
    order = buy(buyer_client, ProductFactory())

    response = buyer_client.get(reverse("admin:shop_order_refund", args=[order.pk]))

    assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_refund_stripe_has_not_confirmed_yet_still_counts(settings, staff):
    """Stripe may answer a refund `pending` (recorded on the payment only when
    `charge.refunded` arrives): the refund row counts meanwhile, so a second refund cannot
    go past what was paid."""
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    order = OrderFactory(total_amount=Decimal("24.99"), status=OrderStatus.SHIPPED)
    OrderItemFactory(order=order)
    PaymentFactory(order=order, gateway="stripe", stripe_payment_id="pi_3Paid")
    pending = {
        "id": "re_3Refund",
        "object": "refund",
        "amount": 2000,
        "currency": "usd",
        "payment_intent": "pi_3Paid",
        "status": "pending",
    }

    with responses.RequestsMock() as stripe_api:
        stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/refunds", json=pending)
        order_refund(
            order=order,
            by=staff,
            reason="Late",
            amount=Decimal("20.00"),
            request_key=uuid.uuid4(),
        )
        with pytest.raises(ShopError, match=r"at most 4\.99"):
            order_refund(
                order=order,
                by=staff,
                reason="Again",
                amount=Decimal("10.00"),
                request_key=uuid.uuid4(),
            )

        assert len(stripe_api.calls) == 1
    assert Payment.objects.get(order=order).refunded_amount == Decimal("0.00")
    assert Refund.objects.get(order=order).status == "issued"


# --- Refunds and per-item fulfilment, shipping ------------------------------------


def shipped_by(artist_name: str, *, shipping: str, **product) -> Product:
    artist = ArtistFactory(artist_name=artist_name)
    ShippingRateFactory(artist=artist, country=None, amount=Decimal(shipping))
    return ProductFactory(artist=artist, **product)


def buy_shipped(client, products) -> Order:
    """One paid order of `products`, shipping (each artist's rate) confirmed at checkout."""
    from shop.tests.helpers import ADDRESS, add_to_cart, checkout, pay

    for product in products:
        add_to_cart(client, product)
    shipping = {
        p.artist_id: p.artist.shipping_rates.get().amount
        for p in products
        if p.delivery == "physical"
    }
    total = sum((p.price for p in products), sum(shipping.values(), Decimal("0.00")))
    pay(client, checkout(client, address=ADDRESS, expected_total=str(total)))
    return Order.objects.get(items__product=products[0])


def test_what_one_artist_shipped_stays_and_the_other_artists_item_is_refunded(buyer_client):
    shirt = shipped_by("Luna", shipping="4.00", name="Tour shirt", price=Decimal("20.00"))
    cap = shipped_by("Kai", shipping="3.00", name="Cap", price=Decimal("15.00"), stock_quantity=5)
    order = buy_shipped(buyer_client, [shirt, cap])
    ship_items(order, user=shirt.artist.user)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PARTLY_SHIPPED

    page = buyer_client.get(reverse("shop:order", args=[order.pk]))
    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "Tour shirt was shipped" in page.text
    assert "Cap is cancelled and 15.00 refunded" in response.text
    # Something was shipped: the shipping stays paid; the order is now all shipped.
    assert Payment.objects.get(order=order).refunded_amount == Decimal("15.00")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert Product.objects.get(pk=cap.pk).stock_quantity == 5
    kai = Client()
    kai.force_login(cap.artist.user)
    assert str(order.pk)[:8] not in kai.get(reverse("shop:fulfilment")).text


def test_the_last_unshipped_item_refunded_after_the_rest_was_delivered(buyer_client):
    shirt = shipped_by("Luna", shipping="4.00", name="Tour shirt")
    cap = shipped_by("Kai", shipping="3.00", name="Cap")
    order = buy_shipped(buyer_client, [shirt, cap])
    ship_items(order, user=shirt.artist.user)
    ship_items(order, user=shirt.artist.user, status="delivered")

    buyer_client.post(reverse("shop:order_cancel", args=[order.pk]))

    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


def test_shipping_comes_back_with_the_last_physical_item_when_none_was_shipped(buyer_client):
    album = ProductFactory(download=True, name="Night Album", price=Decimal("9.99"))
    shirt = shipped_by("Luna", shipping="4.50", name="Tour shirt", price=Decimal("20.00"))
    order = buy_shipped(buyer_client, [album, shirt])
    assert order.shipping_amount == Decimal("4.50")
    buyer_client.get(download_item(order).download_url)

    response = buyer_client.post(reverse("shop:order_cancel", args=[order.pk]), follow=True)

    assert "Tour shirt is cancelled and 24.50 refunded" in response.text
    assert Payment.objects.get(order=order).refunded_amount == Decimal("24.50")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_a_refunded_item_cannot_be_shipped_any_more(buyer_client):
    shirt = shipped_by("Luna", shipping="4.00", name="Tour shirt")
    cap = shipped_by("Kai", shipping="3.00", name="Cap")
    order = buy_shipped(buyer_client, [shirt, cap])
    ship_items(order, user=shirt.artist.user)
    buyer_client.post(reverse("shop:order_cancel", args=[order.pk]))
    item = order.items.get(product=cap)

    with pytest.raises(OrderItem.DoesNotExist):
        order_item_fulfil(
            item_id=item.pk,
            user=cap.artist.user,
            status="shipped",
            carrier="DHL",
            tracking_number="1",
        )
    assert OrderItem.objects.get(pk=item.pk).status == "to_ship"
