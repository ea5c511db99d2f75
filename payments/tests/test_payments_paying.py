"""The promises of docs/payments.md's "Promises: paying": what a payer notices when a
payment fails, which card paid, and that no one pays on a site that takes no money."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.events import decline_message
from payments.models import Payment, PaymentStatus
from shop.models import Order, OrderStatus, Product
from shop.services.orders import orders_release_abandoned
from shop.tests.factories import ProductFactory
from shop.tests.helpers import ADDRESS, DECLINED, add_to_cart, checkout, pay

pytestmark = pytest.mark.django_db

TEST_MODE_BANNER = "Test mode — no real money"


@pytest.mark.parametrize("page", ["home", "shop:list", "account_login"])
def test_every_page_says_test_mode_while_the_test_gateway_takes_the_payments(
    client, settings, page
):
    settings.STRIPE_SECRET_KEY = None

    assert TEST_MODE_BANNER in client.get(reverse(page)).text


def test_no_banner_when_stripe_takes_real_payments(client, settings):
    settings.STRIPE_SECRET_KEY = "sk_live_suite"

    assert TEST_MODE_BANNER not in client.get(reverse("home")).text


# --- 11. A failed payment leaves the order, its stock and the cart as they were -----------


def _cart_lines(client) -> list:
    return list(client.get(reverse("shop:cart")).context["cart"].lines)


@pytest.mark.parametrize(
    ("card", "why"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "Your card has insufficient funds."),
        ("4000 0000 0000 0069", "Your card has expired."),
    ],
)
def test_a_declined_payment_keeps_the_order_its_stock_and_the_cart_and_says_why(
    client, test_gateway, card, why
):
    client.force_login(UserFactory())
    shirt = ProductFactory(price=Decimal("20.00"), stock_quantity=4)
    add_to_cart(client, shirt, 2)

    declined = pay(client, checkout(client, address=ADDRESS), card)

    order, payment = Order.objects.get(), Payment.objects.get()
    assert payment.payment_status == PaymentStatus.FAILED
    assert order.status == OrderStatus.PENDING
    assert Product.objects.get(pk=shirt.pk).stock_quantity == 2
    assert [(line.product.pk, line.quantity) for line in _cart_lines(client)] == [(shirt.pk, 2)]
    page = client.get(declined.url)
    assert why in page.text
    assert "Try again with another card" in page.text

    again = client.post(reverse("payments:start", args=["order", order.pk]))
    second = Payment.objects.exclude(pk=payment.pk).get()
    assert again.url == reverse("payments:test_checkout", args=[second.pk])
    paid = pay(client, again)
    assert Order.objects.get().status == OrderStatus.PAID
    assert Product.objects.get(pk=shirt.pk).stock_quantity == 2
    client.get(paid.url)
    assert _cart_lines(client) == []


def test_a_declined_order_is_released_when_its_hold_ends(client, test_gateway, settings):
    client.force_login(UserFactory())
    shirt = ProductFactory(stock_quantity=4)
    add_to_cart(client, shirt, 3)
    pay(client, checkout(client, address=ADDRESS), DECLINED)
    order = Order.objects.get()

    assert orders_release_abandoned() == 0
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.SHOP_ORDER_HOLD_MINUTES + 1)
    )
    assert orders_release_abandoned() == 1
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Product.objects.get(pk=shirt.pk).stock_quantity == 4


def test_checking_out_again_after_a_decline_leads_to_the_waiting_order(client, test_gateway):
    client.force_login(UserFactory())
    add_to_cart(client, ProductFactory(stock_quantity=4))
    pay(client, checkout(client, address=ADDRESS), DECLINED)
    order = Order.objects.get()

    again = checkout(client, address=ADDRESS)

    assert again.url == reverse("shop:order", args=[order.pk])
    assert Order.objects.count() == 1


def test_changing_the_cart_after_a_decline_checks_out_a_new_order(client, test_gateway):
    client.force_login(UserFactory())
    shirt, song = ProductFactory(stock_quantity=4), ProductFactory(download=True)
    add_to_cart(client, shirt)
    pay(client, checkout(client, address=ADDRESS), DECLINED)

    add_to_cart(client, song)
    pay(client, checkout(client, address=ADDRESS))

    first, second = (
        Order.objects.exclude(items__product=song),
        Order.objects.get(items__product=song),
    )
    assert first.get().status == OrderStatus.PENDING
    assert second.status == OrderStatus.PAID
    assert {item.product_id for item in second.items.all()} == {shirt.pk, song.pk}


@pytest.mark.parametrize(
    ("decline_code", "why"),
    [
        ("insufficient_funds", "Your card has insufficient funds."),
        ("expired_card", "Your card has expired."),
        ("generic_decline", "Your card was declined."),
        ("lost_card", "Your card was declined."),
        ("incorrect_cvc", "The card's security code (CVC) is incorrect."),
    ],
)
def test_stripe_decline_codes_are_told_in_the_customers_words(decline_code, why):
    assert decline_message(decline_code) == why


def test_an_unknown_decline_code_still_says_the_card_was_declined():
    assert decline_message("do_not_honor_v2") == "Your card was declined."
    assert decline_message(None) == "Your card was declined."


# --- 11b. payment_method says how the customer paid; the gateway has its own column ------


def test_a_test_gateway_payment_records_the_card_and_the_gateway(client, test_gateway):
    client.force_login(UserFactory())
    add_to_cart(client, ProductFactory(download=True))

    pay(client, checkout(client))

    payment = Payment.objects.get()
    assert (payment.gateway, payment.payment_method) == ("test", "Visa •••• 4242")
    page = client.get(reverse("payments:detail", args=[payment.pk]))
    assert "Visa •••• 4242" in page.text


def test_every_test_named_in_the_paying_promises_exists():
    from musicplatform.tests.test_security_doc import REFERENCE, defined_tests

    text = (settings.BASE_DIR / "docs" / "payments.md").read_text()
    promises = text[text.index("## Promises: paying") :]
    references = REFERENCE.findall(promises)
    assert len(references) > 30

    missing = [
        f"{path}::{name}"
        for path, name, _ in references
        if name not in defined_tests(settings.BASE_DIR / path)
    ]
    assert missing == []
