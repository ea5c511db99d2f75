from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from payments.models import Payment
from shop.models import Order, Product, ProductType
from shop.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def test_a_payment_for_neither_an_order_nor_a_subscription_is_rejected():
    with pytest.raises(IntegrityError, match="payments_check"), transaction.atomic():
        Payment.objects.create(user=UserFactory(), amount=Decimal("9.99"), gateway="test")

    assert not Payment.objects.exists()


def _product(*, price: Decimal = Decimal("24.99"), stock_quantity: int | None = 100) -> Product:
    return Product.objects.create(
        artist=ArtistFactory(),
        name="Tour poster",
        product_type=ProductType.MERCHANDISE,
        price=price,
        stock_quantity=stock_quantity,
    )


def test_a_negative_product_price_is_rejected():
    with pytest.raises(IntegrityError, match="products_price_not_negative"), transaction.atomic():
        _product(price=Decimal("-0.01"))

    assert not Product.objects.exists()


def test_a_negative_stock_quantity_is_rejected():
    with pytest.raises(IntegrityError, match="products_stock_not_negative"), transaction.atomic():
        _product(stock_quantity=-1)

    assert not Product.objects.exists()


def test_a_stock_quantity_of_zero_is_accepted():
    product = _product(stock_quantity=0)

    assert Product.objects.get(pk=product.pk).stock_quantity == 0


def test_deleting_a_user_in_sql_keeps_their_orders_and_payments_without_a_user():
    payment = PaymentFactory()
    user = payment.user
    assert payment.order.user == user

    # Raw SQL, so that the rule proven is the database's ON DELETE SET NULL, not Django's.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM users WHERE user_id = %s", [user.pk])

    assert Order.objects.get(pk=payment.order.pk).user_id is None
    assert Payment.objects.get(pk=payment.pk).user_id is None


def test_deleting_a_user_through_the_orm_keeps_their_orders_and_payments_without_a_user():
    payment = PaymentFactory()

    payment.user.delete()

    assert Order.objects.get(pk=payment.order.pk).user_id is None
    assert Payment.objects.get(pk=payment.pk).user_id is None
