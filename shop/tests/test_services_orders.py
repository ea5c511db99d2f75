"""Placing orders (stock, prices, addresses, idempotency) and the order lifecycle."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import StatusTransitionError
from notifications.models import Notification
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import payment_start, payment_test_checkout_submit
from shop.models import Order, OrderStatus, Product, ProductType
from shop.services import ShopError
from shop.services.fulfilment import order_item_fulfil
from shop.services.orders import (
    Address,
    PriceChanged,
    order_cancel,
    order_place,
    orders_release_abandoned,
)
from shop.tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]

ADDRESS = Address("Ada", "1 Road", "", "London", "N1", "GB")
SITE = "http://testserver"
PAYS = "4242424242424242"


def place(user, products, *, address=ADDRESS, key=None, expected=None, **quantities):
    return order_place(
        user=user,
        quantities={str(p.pk): quantities.get("q", 1) for p in products},
        contact_email="buyer@example.com",
        contact_phone="",
        shipping_address=address,
        checkout_key=key or uuid.uuid4(),
        expected_total=expected,
    )


def paid_order(user=None, product=None, quantity=1):
    user = user or UserFactory()
    product = product or ProductFactory(stock_quantity=5)
    order, _ = place(user, [product], q=quantity)
    payment, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    payment_test_checkout_submit(payment=payment, card_number=PAYS)
    return Order.objects.get(pk=order.pk)


def test_placing_an_order_snapshots_prices_computes_totals_and_reserves_stock():
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=5)
    song = ProductFactory(download=True, price=Decimal("1.50"))

    order, placed = order_place(
        user=UserFactory(),
        quantities={str(shirt.pk): 2, str(song.pk): 3},
        contact_email="a@example.com",
        contact_phone="+1 555 0100",
        shipping_address=ADDRESS,
        checkout_key=uuid.uuid4(),
        expected_total=Decimal("44.50"),
    )

    assert placed and order.status == OrderStatus.PENDING
    assert order.total_amount == Decimal("44.50")
    lines = {item.product_id: item for item in order.items.all()}
    assert (lines[shirt.pk].unit_price, lines[shirt.pk].subtotal) == (
        Decimal("20.00"),
        Decimal("40.00"),
    )
    assert (lines[song.pk].unit_price, lines[song.pk].subtotal) == (
        Decimal("1.50"),
        Decimal("4.50"),
    )
    assert Product.objects.get(pk=shirt.pk).stock_quantity == 3
    assert Product.objects.get(pk=song.pk).stock_quantity is None
    assert order.shipping_address == {
        "name": "Ada",
        "line1": "1 Road",
        "city": "London",
        "postal_code": "N1",
        "country": "GB",
    }


def test_later_price_changes_do_not_touch_the_order():
    product = ProductFactory(price=Decimal("10.00"))
    order, _ = place(UserFactory(), [product])

    Product.objects.filter(pk=product.pk).update(price=Decimal("99.00"))

    assert order.items.get().unit_price == Decimal("10.00")


def test_a_price_changed_since_the_buyer_looked_places_nothing_and_reports_the_new_total():
    product = ProductFactory(price=Decimal("12.00"), stock_quantity=3)

    with pytest.raises(PriceChanged) as raised:
        place(UserFactory(), [product], expected=Decimal("10.00"))

    assert raised.value.total == Decimal("12.00")
    assert "12.00" in str(raised.value)
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == 3


@pytest.mark.parametrize(
    ("stock", "quantity", "message"),
    [(2, 3, "Only 2"), (0, 1, "sold out"), (None, 0, "between 1"), (None, 21, "between 1")],
)
def test_bad_quantities_are_refused_and_nothing_changes(stock, quantity, message):
    product = ProductFactory(stock_quantity=stock)

    with pytest.raises(ShopError, match=message):
        place(UserFactory(), [product], q=quantity)

    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == stock


def test_a_deactivated_product_cannot_be_ordered():
    product = ProductFactory(is_active=False)

    with pytest.raises(ShopError, match="no longer available"):
        place(UserFactory(), [product])
    assert not Order.objects.exists()


def test_merchandise_without_an_address_is_refused_and_downloads_need_none():
    with pytest.raises(ShopError, match="shipping address"):
        place(UserFactory(), [ProductFactory()], address=None)
    assert not Order.objects.exists()

    order, _ = place(UserFactory(), [ProductFactory(download=True)], address=None)
    assert order.shipping_address is None


def test_the_same_checkout_key_places_one_order():
    user, product, key = UserFactory(), ProductFactory(stock_quantity=5), uuid.uuid4()

    first, placed = place(user, [product], key=key)
    again, placed_again = place(user, [product], key=key)

    assert (placed, placed_again) == (True, False)
    assert first.pk == again.pk
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


def test_someone_elses_checkout_key_is_refused():
    product, key = ProductFactory(), uuid.uuid4()
    place(UserFactory(), [product], key=key)

    with pytest.raises(ShopError, match="not yours"):
        place(UserFactory(), [product], key=key)


def test_paying_marks_the_order_paid_with_history_notification_and_email(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order()

    assert order.status == OrderStatus.PAID
    assert StatusHistory.objects.filter(
        entity_type="order", entity_id=order.pk, old_status="pending", new_status="paid"
    ).exists()
    notice = Notification.objects.get(user=order.user, notification_type="order")
    assert notice.related_resource_id == order.pk
    assert any(m.subject == "Order paid" and m.to == [order.user.email] for m in mail.outbox)


def test_a_failed_payment_leaves_the_order_pending_with_its_stock_held():
    user, product = UserFactory(), ProductFactory(stock_quantity=3)
    order, _ = place(user, [product], q=2)
    payment, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )

    payment_test_checkout_submit(payment=payment, card_number="4000000000000002")

    # Released when the hold ends (orders_release_abandoned), not at the first decline.
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert Product.objects.get(pk=product.pk).stock_quantity == 1


def test_a_failed_payment_leaves_the_order_alone_while_another_payment_is_pending():
    user, product = UserFactory(), ProductFactory(stock_quantity=3)
    order, _ = place(user, [product])
    first, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    payment_start(user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE)

    payment_test_checkout_submit(payment=first, card_number="4000000000000002")

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    assert Product.objects.get(pk=product.pk).stock_quantity == 2


def test_the_lifecycle_runs_pending_paid_shipped_delivered_with_history():
    product = ProductFactory(stock_quantity=5)
    order = paid_order(product=product)
    artist_user = product.artist.user
    item = order.items.get()

    order_item_fulfil(
        item_id=item.pk, user=artist_user, status="shipped", carrier="UPS", tracking_number="1Z"
    )
    order_item_fulfil(item_id=item.pk, user=artist_user, status="delivered")

    order = Order.objects.get(pk=order.pk)
    assert order.status == OrderStatus.DELIVERED
    moves = list(
        StatusHistory.objects.filter(entity_type="order", entity_id=order.pk)
        .order_by("changed_at", "new_status")
        .values_list("old_status", "new_status")
    )
    assert set(moves) == {("pending", "paid"), ("paid", "shipped"), ("shipped", "delivered")}
    kinds = set(
        Notification.objects.filter(user=order.user, notification_type="order").values_list(
            "title", flat=True
        )
    )
    assert kinds == {"Order paid", "Order shipped", "Order delivered"}


def test_a_shipped_order_cannot_be_cancelled_by_the_buyer():
    product = ProductFactory(stock_quantity=5)
    paid = paid_order(product=product)
    order_item_fulfil(
        item_id=paid.items.get().pk,
        user=product.artist.user,
        status="shipped",
        carrier="UPS",
        tracking_number="1Z",
    )
    with pytest.raises(ShopError, match="cannot be cancelled"):
        order_cancel(order=paid, by=paid.user)


def test_cancelling_a_pending_order_releases_stock_once():
    user, product = UserFactory(), ProductFactory(stock_quantity=4)
    order, _ = place(user, [product], q=3)

    order_cancel(order=order, by=user)
    order_cancel(order=order, by=user)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Product.objects.get(pk=product.pk).stock_quantity == 4
    assert StatusHistory.objects.filter(entity_type="order", new_status="cancelled").count() == 1


def test_cancelling_a_paid_order_refunds_it_and_returns_the_stock():
    product = ProductFactory(stock_quantity=4)
    order = paid_order(product=product, quantity=2)

    order = order_cancel(order=order, by=order.user)

    assert order.status == OrderStatus.CANCELLED
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == (
        PaymentStatus.REFUNDED,
        order.total_amount,
    )
    assert Product.objects.get(pk=product.pk).stock_quantity == 4


def test_the_status_map_itself_refuses_moves_outside_it():
    from musicplatform.audit.services import status_change
    from shop.models import ORDER_TRANSITIONS

    order = paid_order()
    with pytest.raises(StatusTransitionError):
        status_change(
            instance=order,
            new_status=OrderStatus.PENDING,
            transitions=ORDER_TRANSITIONS,
            entity_type="order",
        )


def test_orders_pending_past_the_hold_are_cancelled_and_release_their_stock():
    user, product = UserFactory(), ProductFactory(stock_quantity=5)
    stale, _ = place(user, [product], q=2)
    fresh, _ = place(user, [product], q=1)
    paid = paid_order(product=product)
    Order.objects.filter(pk__in=[stale.pk, paid.pk]).update(
        created_at=timezone.now() - timedelta(minutes=31)
    )

    assert orders_release_abandoned() == 1
    assert orders_release_abandoned() == 0

    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        stale.pk: OrderStatus.CANCELLED,
        fresh.pk: OrderStatus.PENDING,
        paid.pk: OrderStatus.PAID,
    }
    assert Product.objects.get(pk=product.pk).stock_quantity == 3


def test_a_payment_completing_after_the_order_was_abandoned_is_refunded(
    django_capture_on_commit_callbacks,
):
    user, product = UserFactory(), ProductFactory(stock_quantity=5)
    order, _ = place(user, [product])
    payment, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(hours=1))
    orders_release_abandoned()

    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=payment, card_number=PAYS)

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.REFUNDED
    assert Product.objects.get(pk=product.pk).stock_quantity == 5


def test_the_beat_schedule_runs_the_release(settings):
    from shop.tasks import orders_release_abandoned as task

    entry = settings.CELERY_BEAT_SCHEDULE["shop-orders-release-abandoned"]
    assert entry["task"] == task.name
    assert entry["schedule"] <= 300
    assert task.delay().get() == 0


def test_digital_items_need_no_shipping_whatever_their_type():
    order, _ = place(
        UserFactory(),
        [ProductFactory(product_type=ProductType.EXCLUSIVE_RELEASE, download=True)],
        address=None,
    )
    assert order.shipping_address is None


def test_refunding_an_unwanted_second_payment_keeps_the_order_paid(
    django_capture_on_commit_callbacks,
):
    user, product = UserFactory(), ProductFactory(stock_quantity=5)
    order, _ = place(user, [product])
    first, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    second, _ = payment_start(
        user=user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )

    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=first, card_number=PAYS)
        payment_test_checkout_submit(payment=second, card_number=PAYS)

    assert Payment.objects.get(pk=second.pk).payment_status == PaymentStatus.REFUNDED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Product.objects.get(pk=product.pk).stock_quantity == 4
