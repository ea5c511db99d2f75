"""Real concurrency: threads with their own database connections racing for stock."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from payments.models import Payment, PaymentPurpose, PaymentStatus
from payments.services import payment_start, payment_test_checkout_submit
from shop.models import Order, OrderItem, OrderStatus, Product, Refund
from shop.services import ShopError
from shop.services.fulfilment import order_item_fulfil
from shop.services.orders import order_place
from shop.services.refunds import order_refund
from shop.tests.factories import ProductFactory
from shop.tests.helpers import ship_items

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("test_gateway")]


def run_together(count: int, work) -> list:
    """Run `work(i)` in `count` threads released at once; each closes its connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # the test inspects every outcome
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_buyers_of_ten_items_make_exactly_ten_paid_orders():
    product = ProductFactory(stock_quantity=10)
    buyers = UserFactory.create_batch(50)

    def buy(i: int) -> str:
        order, _ = order_place(
            user=buyers[i],
            quantities={str(product.pk): 1},
            contact_email=buyers[i].email,
            contact_phone="",
            shipping_address=_address(),
            checkout_key=uuid.uuid4(),
            expected_total=product.price,
        )
        payment, _ = payment_start(
            user=buyers[i],
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url="http://testserver",
        )
        payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
        return "bought"

    results = run_together(50, buy)

    assert results.count("bought") == 10
    refusals = [r for r in results if r != "bought"]
    assert all(isinstance(r, ShopError) and "sold out" in str(r) for r in refusals), refusals
    assert Order.objects.filter(status=OrderStatus.PAID).count() == 10
    assert Order.objects.count() == 10
    assert Payment.objects.filter(payment_status=PaymentStatus.COMPLETED).count() == 10
    assert Product.objects.get(pk=product.pk).stock_quantity == 0


def test_ten_simultaneous_submissions_of_one_checkout_place_one_order_and_one_payment():
    product = ProductFactory(stock_quantity=10)
    buyer, key = UserFactory(), uuid.uuid4()

    def submit(_: int) -> bool:
        order, placed = order_place(
            user=buyer,
            quantities={str(product.pk): 2},
            contact_email=buyer.email,
            contact_phone="",
            shipping_address=_address(),
            checkout_key=key,
            expected_total=product.price * 2,
        )
        if placed:
            payment_start(
                user=buyer,
                purpose=PaymentPurpose.ORDER,
                target_id=order.pk,
                site_url="http://testserver",
            )
        return placed

    results = run_together(10, submit)

    assert results.count(True) == 1 and results.count(False) == 9, results
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 8


def test_artists_shipping_their_items_of_one_order_at_once_leave_it_shipped():
    """Each artist's move recomputes the order from all its items under the order's lock;
    without it, each would see the others' items unshipped and the order would stay
    "partly shipped" with every item on its way."""
    products = [ProductFactory(stock_quantity=5) for _ in range(6)]
    buyer = UserFactory()
    order, _ = order_place(
        user=buyer,
        quantities={str(p.pk): 1 for p in products},
        contact_email=buyer.email,
        contact_phone="",
        shipping_address=_address(),
        checkout_key=uuid.uuid4(),
        expected_total=None,
    )
    payment, _ = payment_start(
        user=buyer, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url="http://testserver"
    )
    payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    items = {item.product_id: item.pk for item in OrderItem.objects.filter(order=order)}

    def move(status: str):
        def work(i: int):
            product = products[i]
            return order_item_fulfil(
                item_id=items[product.pk],
                user=product.artist.user,
                status=status,
                carrier="DHL",
                tracking_number=f"JD{i}",
            )

        return work

    assert not [r for r in run_together(6, move("shipped")) if isinstance(r, Exception)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert not [r for r in run_together(6, move("delivered")) if isinstance(r, Exception)]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DELIVERED


RACES = 12


def test_a_decline_racing_a_success_for_one_payment_leaves_one_consistent_outcome():
    """The guards that ignore a payment no longer pending (status_change locks the payment
    and re-reads it; a failed payment cannot complete, a completed one cannot fail).
    Negative control: without the lock in status_change, or without its transition
    check, both moves happen (two history rows, a failed payment whose order is paid)."""
    from musicplatform.audit.models import StatusHistory
    from notifications.models import Notification
    from payments.gateways.test import TestGateway
    from payments.services import payment_event_handle
    from shop.tests.factories import OrderFactory

    payments = [
        payment_start(
            user=order.user,
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url="http://testserver",
        )[0]
        for order in OrderFactory.create_batch(RACES)
    ]

    for payment in payments:
        news = [
            TestGateway().card_event(payment=payment, card_number=card, save_method=False)
            for card in ("4242424242424242", "4000000000000002")
        ]
        results = run_together(2, lambda i, news=news: payment_event_handle(event=news[i]))
        assert results == [True, True], results

    for payment in Payment.objects.filter(pk__in=[p.pk for p in payments]).select_related("order"):
        moves = list(
            StatusHistory.objects.filter(entity_type="payment", entity_id=payment.pk).values_list(
                "new_status", flat=True
            )
        )
        assert moves == [payment.payment_status], (payment.pk, moves)
        paid = payment.payment_status == PaymentStatus.COMPLETED
        assert payment.order.status == (OrderStatus.PAID if paid else OrderStatus.PENDING)
        told = Notification.objects.filter(
            user_id=payment.user_id, notification_type="payment"
        ).values_list("title", flat=True)
        assert list(told) == ["Payment received" if paid else "Payment failed"]


def _address():
    from shop.services.orders import Address

    return Address("Ada", "1 Road", "", "London", "N1", "GB")


def _paid_order(price: str) -> Order:
    buyer, product = UserFactory(), ProductFactory(price=Decimal(price), stock_quantity=5)
    order, _ = order_place(
        user=buyer,
        quantities={str(product.pk): 1},
        contact_email=buyer.email,
        contact_phone="",
        shipping_address=_address(),
        checkout_key=uuid.uuid4(),
        expected_total=None,
    )
    payment, _ = payment_start(
        user=buyer, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url="http://testserver"
    )
    payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    return Order.objects.get(pk=order.pk)


def test_staff_refunding_at_once_never_give_back_more_than_was_paid():
    order, staff = _paid_order("30.00"), UserFactory(staff=True)
    # Shipped, so that the last refund does not also cancel the order.
    artist_user = order.items.get().product.artist.user
    ship_items(order, user=artist_user)

    def refund(_: int) -> str:
        order_refund(
            order=order,
            by=staff,
            reason="Goodwill",
            amount=Decimal("10.00"),
            request_key=uuid.uuid4(),
        )
        return "refunded"

    results = run_together(6, refund)

    assert results.count("refunded") == 3, results
    refusals = [r for r in results if r != "refunded"]
    assert all(isinstance(r, ShopError) and "at most 0.00" in str(r) for r in refusals), results
    payment = Payment.objects.get(order=order)
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("30.00"))
    assert Refund.objects.filter(order=order).count() == 3


def test_one_refund_clicked_ten_times_at_once_refunds_once():
    order, staff, key = _paid_order("30.00"), UserFactory(staff=True), uuid.uuid4()

    def click(_: int) -> str:
        order_refund(
            order=order, by=staff, reason="Scratched", amount=Decimal("5.00"), request_key=key
        )
        return "done"

    results = run_together(10, click)

    assert results == ["done"] * 10
    assert Refund.objects.filter(order=order).count() == 1
    assert Payment.objects.get(order=order).refunded_amount == Decimal("5.00")
