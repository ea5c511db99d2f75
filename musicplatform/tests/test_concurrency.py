"""Platform-wide concurrency guarantees, with a negative control.

Real threads with their own database connections race for the last items; the same
checks then run with the product lock removed, to show they catch the race they guard
against (otherwise a passing test would prove nothing).
"""

import uuid
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory, verified_user
from shop.models import Order, OrderItem, OrderStatus, Payment, PaymentStatus, Product
from shop.payments.services import payment_start, payment_test_checkout_submit
from shop.services import ShopError
from shop.services.orders import Address, order_place
from shop.tests.factories import ProductFactory
from shop.tests.helpers import ADDRESS, add_to_cart, checkout_form
from shop.tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUTS = 100
STOCK = 10
ROUNDS = 20
# The embedded PostgreSQL allows 100 connections and the test holds one: the 100
# checkouts run on 80 connections at once, as a pool of app servers would send them.
CONNECTIONS = 80
BOUGHT = "bought"


@pytest.fixture(autouse=True)
def _test_gateway(settings):
    settings.STRIPE_SECRET_KEY = None


def checkout_race(product: Product, buyers: list) -> list:
    """Every buyer checks out one item and pays; the outcome of each checkout."""

    def buy(buyer) -> str:
        order, _ = order_place(
            user=buyer,
            quantities={str(product.pk): 1},
            contact_email=buyer.email,
            contact_phone="",
            shipping_address=Address("Ada", "1 Road", "", "London", "N1", "GB"),
            checkout_key=uuid.uuid4(),
            expected_total=product.price,
        )
        payment, _ = payment_start(user=buyer, order=order, site_url="http://testserver")
        payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
        return BOUGHT

    def worker(i: int) -> list:
        outcomes = []
        for buyer in buyers[i::CONNECTIONS]:
            try:
                outcomes.append(buy(buyer))
            except Exception as error:  # every outcome is inspected
                outcomes.append(error)
        return outcomes

    results = run_together(min(CONNECTIONS, len(buyers)), worker)
    return [outcome for result in results for outcome in result]


def oversell_problems(product: Product, outcomes: list) -> list[str]:
    """What went wrong: not exactly STOCK sold and paid, a refusal that is not a clear
    "sold out", or stock that does not add up."""
    problems = []
    if outcomes.count(BOUGHT) != STOCK:
        problems.append(f"{outcomes.count(BOUGHT)} checkouts succeeded")
    unclear = [
        repr(o)
        for o in outcomes
        if o != BOUGHT and not (isinstance(o, ShopError) and "sold out" in str(o))
    ]
    if unclear:
        problems.append(f"refused without a clear message: {sorted(set(unclear))}")
    orders = Order.objects.filter(items__product=product)
    paid = orders.filter(status=OrderStatus.PAID).count()
    if paid != STOCK:
        problems.append(f"{paid} paid orders")
    completed = Payment.objects.filter(
        order__in=orders, payment_status=PaymentStatus.COMPLETED
    ).count()
    if completed != STOCK:
        problems.append(f"{completed} completed payments")
    sold = sum(OrderItem.objects.filter(product=product).values_list("quantity", flat=True))
    stock = Product.objects.get(pk=product.pk).stock_quantity
    if sold + stock != STOCK:
        problems.append(f"{sold} ordered + {stock} left != {STOCK} at the start")
    return problems


@pytest.fixture
def buyers(db):
    return UserFactory.create_batch(CHECKOUTS)


def test_a_hundred_checkouts_of_ten_items_sell_exactly_ten_every_time(buyers):
    for round_ in range(ROUNDS):
        product = ProductFactory(stock_quantity=STOCK, price=Decimal("10.00"))
        problems = oversell_problems(product, checkout_race(product, buyers))
        assert problems == [], f"round {round_ + 1}: {problems}"


def test_without_the_product_lock_the_same_checks_catch_the_race(buyers, monkeypatch):
    """Negative control: stock read without FOR UPDATE lets more buyers through the
    check than there are items; the checks above must notice."""
    import shop.services.orders

    monkeypatch.setattr(
        shop.services.orders,
        "product_qs_select_for_update",
        lambda: Product.objects.order_by("pk"),
    )
    caught = []
    for _ in range(5):  # a race is likely, not certain, in any single round
        product = ProductFactory(stock_quantity=STOCK, price=Decimal("10.00"))
        caught = oversell_problems(product, checkout_race(product, buyers))
        if caught:
            break
    assert caught, "the checks did not notice checkouts running without the lock"


# "Complete checkout" pressed ten times at once, through the web page ------------------

SUBMISSIONS = 10


def submit_checkout_at_once(*, fresh_key_each: bool = False) -> tuple:
    """A buyer with two items in the cart submits the checkout form SUBMISSIONS times at
    once from one session; (buyer, product, status codes)."""
    buyer, product = verified_user(), ProductFactory(stock_quantity=STOCK)
    client = Client()
    client.force_login(buyer)
    add_to_cart(client, product, 2)
    form = {
        **checkout_form(client),
        **ADDRESS,
        "contact_email": buyer.email,
        "contact_phone": "+44 20 7946 0000",
    }
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value

    def submit(_: int) -> int:
        browser = Client()
        browser.cookies[django_settings.SESSION_COOKIE_NAME] = session
        data = {**form, "checkout_key": str(uuid.uuid4())} if fresh_key_each else form
        return browser.post(reverse("shop:checkout"), data).status_code

    return buyer, product, run_together(SUBMISSIONS, submit)


def double_checkout_problems(buyer, product: Product, statuses: list) -> list[str]:
    problems = [f"a submission answered {status}" for status in statuses if status != 302]
    orders = Order.objects.filter(user=buyer).count()
    payments = Payment.objects.filter(user=buyer).count()
    if orders != 1 or payments != 1:
        problems.append(f"{orders} orders and {payments} payments")
    stock = Product.objects.get(pk=product.pk).stock_quantity
    if stock != STOCK - 2:
        problems.append(f"{stock} left of {STOCK} after buying 2")
    return problems


def test_complete_checkout_submitted_ten_times_at_once_places_one_order_and_one_payment():
    assert double_checkout_problems(*submit_checkout_at_once()) == []


def test_without_the_checkout_key_the_same_checks_catch_the_doubles():
    """Negative control: each submission with a key of its own (as if the form carried
    none) places orders side by side; the checks above must notice."""
    caught = []
    for _ in range(5):  # which submissions overlap is up to the scheduler
        caught = double_checkout_problems(*submit_checkout_at_once(fresh_key_each=True))
        if caught:
            break
    assert caught, "the checks did not notice several orders from one checkout"
