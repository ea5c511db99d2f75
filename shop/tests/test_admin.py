"""Staff find orders by email, id and status, and cancel them with a refund."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from shop.models import Order, OrderStatus, Payment, PaymentStatus
from shop.tests.factories import OrderFactory, ProductFactory
from shop.tests.helpers import buy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


@pytest.fixture
def staff_client():
    staff = Client()
    staff.force_login(UserFactory(staff=True, is_superuser=True))
    return staff


def test_orders_are_searchable_by_email_and_id_and_filterable_by_status(staff_client):
    wanted = OrderFactory(contact_email="needle@example.com")
    other = OrderFactory(contact_email="hay@example.com", status=OrderStatus.PAID)
    url = reverse("admin:shop_order_changelist")

    by_email = staff_client.get(url, {"q": "needle@"}).context["cl"].result_list
    by_id = staff_client.get(url, {"q": str(other.pk)}).context["cl"].result_list
    paid = staff_client.get(url, {"status__exact": "paid"}).context["cl"].result_list

    assert list(by_email) == [wanted]
    assert list(by_id) == [other]
    assert list(paid) == [other]


def test_staff_cancel_a_paid_order_with_a_refund_through_the_gateway(client, staff_client):
    buyer = UserFactory()
    client.force_login(buyer)
    order = buy(client, ProductFactory(stock_quantity=2))
    pending = OrderFactory()

    staff_client.post(
        reverse("admin:shop_order_changelist"),
        {"action": "cancel_orders", "_selected_action": [str(order.pk), str(pending.pk)]},
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=pending.pk).status == OrderStatus.CANCELLED
    assert Payment.objects.get(order=order).payment_status == PaymentStatus.REFUNDED


def test_a_full_refund_from_the_payments_admin_cancels_the_order(client, staff_client):
    client.force_login(UserFactory())
    product = ProductFactory(stock_quantity=2)
    order = buy(client, product)
    payment = Payment.objects.get(order=order)

    staff_client.post(reverse("admin:shop_payment_refund", args=[payment.pk]), {"amount": ""})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    product.refresh_from_db()
    assert product.stock_quantity == 2


def test_a_partial_refund_keeps_the_order(client, staff_client):
    client.force_login(UserFactory())
    order = buy(client, ProductFactory(stock_quantity=2))
    payment = Payment.objects.get(order=order)

    staff_client.post(reverse("admin:shop_payment_refund", args=[payment.pk]), {"amount": "1.00"})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
