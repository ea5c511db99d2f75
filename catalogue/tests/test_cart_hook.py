"""The shop's name-your-price hook (shop/services/cart.py), which the catalogue uses."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.cache import SessionStore

from accounts.tests.factories import UserFactory
from shop.selectors import cart_view
from shop.services import ShopError
from shop.services.cart import cart_add, cart_chosen_prices, cart_quantities, cart_remove
from shop.services.orders import order_place
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_chosen_price_below_the_products_price_is_refused_and_the_cart_unchanged():
    session, product = SessionStore(), ProductFactory(download=True, price=Decimal("5.00"))

    with pytest.raises(ShopError, match=r"Pay at least 5\.00"):
        cart_add(session=session, product=product, quantity=1, chosen_price=Decimal("4.99"))

    assert cart_quantities(session=session) == {}
    assert cart_chosen_prices(session=session) == {}


def test_the_chosen_price_is_what_the_cart_shows_and_the_order_charges():
    session, product = SessionStore(), ProductFactory(download=True, price=Decimal("5.00"))
    cart_add(session=session, product=product, quantity=1, chosen_price=Decimal("12.00"))
    prices = cart_chosen_prices(session=session)

    cart = cart_view(quantities=cart_quantities(session=session), chosen_prices=prices)
    assert cart.total == Decimal("12.00") and cart.lines[0].unit_price == Decimal("12.00")

    user = UserFactory()
    order, _ = order_place(
        user=user,
        quantities=cart_quantities(session=session),
        contact_email=user.email,
        contact_phone="",
        shipping_address=None,
        checkout_key=uuid.uuid4(),
        expected_total=Decimal("12.00"),
        chosen_prices=prices,
    )
    assert order.total_amount == Decimal("12.00")
    assert order.items.get().unit_price == Decimal("12.00")

    cart_remove(session=session, product_id=product.pk)
    assert cart_chosen_prices(session=session) == {}
