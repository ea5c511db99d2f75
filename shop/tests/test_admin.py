"""Staff find orders by email, id and status, and cancel them with a refund."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from payments.models import Payment, PaymentStatus
from shop.models import FeaturedItemType, Order, OrderStatus
from shop.selectors import featured_items_live
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

    staff_client.post(reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": ""})

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    product.refresh_from_db()
    assert product.stock_quantity == 2


def test_a_partial_refund_keeps_the_order(client, staff_client):
    client.force_login(UserFactory())
    order = buy(client, ProductFactory(stock_quantity=2))
    payment = Payment.objects.get(order=order)

    staff_client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": "1.00"}
    )

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_staff_feature_products_from_the_product_list_once_each(
    client, staff_client, django_capture_on_commit_callbacks
):
    product, other = ProductFactory(), ProductFactory()
    action = {"action": "feature", "_selected_action": [str(product.pk), str(other.pk)]}
    client.get(reverse("content:explore"))  # the featured section is cached from here on

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:shop_product_changelist"), action)
        staff_client.post(reverse("admin:shop_product_changelist"), action)

    live = featured_items_live().filter(item_type=FeaturedItemType.PRODUCT)
    assert sorted(live.values_list("item_id", flat=True)) == sorted(
        [str(product.pk), str(other.pk)]
    )
    explore = client.get(reverse("content:explore")).content.decode()
    assert product.name in explore and other.name in explore
