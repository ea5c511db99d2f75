"""Platform-wide concurrency guarantees, each with a negative control.

Real threads with their own database connections race for the last items, deliver one
payment event at once, renew the same subscriptions at once; the same checks then run
with the guard removed, to show they catch the race they guard against (otherwise a
passing test would prove nothing).
"""

import dataclasses
import time
import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory, verified_user
from communities.models import CommunitySubscription
from communities.services import renewals
from communities.tasks import subscriptions_renew_due
from communities.tests.conftest import due_subscription, save_card
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationType
from payments import services as payments_services
from payments.gateways import GatewayUnavailable
from payments.gateways.stripe import event_from_stripe
from payments.gateways.test import TestGateway
from payments.models import Payment, PaymentEvent, PaymentGateway, PaymentPurpose, PaymentStatus
from payments.services import payment_start, payment_test_checkout_submit
from payments.tests import stripe_stub
from shop.models import Order, OrderItem, OrderStatus, Product
from shop.services import ShopError
from shop.services.orders import Address, order_place
from shop.tests.factories import PaymentFactory, ProductFactory
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


def place_order(buyer, product: Product, quantity: int = 1) -> Order:
    order, _ = order_place(
        user=buyer,
        quantities={str(product.pk): quantity},
        contact_email=buyer.email,
        contact_phone="",
        shipping_address=Address("Ada", "1 Road", "", "London", "N1", "GB"),
        checkout_key=uuid.uuid4(),
        expected_total=product.price * quantity,
    )
    return order


def checkout_race(product: Product, buyers: list) -> list:
    """Every buyer checks out one item and pays; the outcome of each checkout."""

    def buy(buyer) -> str:
        order = place_order(buyer, product)
        payment, _ = payment_start(
            user=buyer,
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url="http://testserver",
        )
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
        "rows_locked_in_order",
        lambda rows: rows.order_by("pk"),
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


# One Stripe event delivered five times at once, through the webhook view --------------

DELIVERIES = 5
# Held inside the critical section (the payment's new status being written) in every run,
# so that the deliveries overlap there each time rather than by luck of scheduling.
PAUSE_SECONDS = 0.05


@pytest.fixture
def stripe_webhooks(settings, monkeypatch):
    settings.STRIPE_WEBHOOK_SECRET = stripe_stub.WEBHOOK_SECRET
    save = Payment.save

    def slow_save(self, *args, **kwargs):
        time.sleep(PAUSE_SECONDS)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Payment, "save", slow_save)


def without_the_event_record(monkeypatch) -> None:
    """Deliveries arrive as news without an id, so nothing records the event as handled."""
    import payments.views

    monkeypatch.setattr(
        payments.views,
        "event_from_stripe",
        lambda payload: dataclasses.replace(event_from_stripe(payload), event_id=None),
    )


def without_the_payment_lock(monkeypatch) -> None:
    """The payment row is read without FOR UPDATE, so its status check is not serialised."""
    lock = QuerySet.select_for_update
    monkeypatch.setattr(
        QuerySet,
        "select_for_update",
        lambda queryset, **options: (
            queryset if queryset.model is Payment else lock(queryset, **options)
        ),
    )


def deliver_at_once() -> tuple[Payment, Product, list]:
    """A buyer's order of two items waits for its Stripe payment; Stripe's success event
    for it arrives DELIVERIES times at once. (payment, product, status codes)."""
    product = ProductFactory(stock_quantity=STOCK, price=Decimal("10.00"))
    order = place_order(UserFactory(), product, quantity=2)
    payment = PaymentFactory(
        order=order,
        gateway=PaymentGateway.STRIPE,
        payment_status=PaymentStatus.PENDING,
        stripe_payment_id=None,
    )
    event = stripe_stub.event("payment_intent.succeeded", stripe_stub.payment_intent(payment))
    body = stripe_stub.json_dumps(event)
    signature = stripe_stub.sign(body)

    def deliver(_: int) -> int:
        return stripe_stub.post_webhook(Client(), event, signature=signature, body=body).status_code

    return payment, product, run_together(DELIVERIES, deliver)


def webhook_problems(payment: Payment, product: Product, statuses: list) -> list[str]:
    """What the buyer or the shop would notice if the event were applied more than once."""
    problems = [f"a delivery answered {status!r}" for status in statuses if status != 200]
    applied = {
        "payment completions": StatusHistory.objects.filter(
            entity_type="payment", entity_id=payment.pk, new_status=PaymentStatus.COMPLETED
        ).count(),
        "order payments": StatusHistory.objects.filter(
            entity_type="order", entity_id=payment.order_id, new_status=OrderStatus.PAID
        ).count(),
        "receipts": sum(m.subject.startswith("Your payment receipt") for m in mail.outbox),
        "notifications": Notification.objects.filter(
            user_id=payment.user_id, title="Payment received"
        ).count(),
    }
    problems += [f"{count} {what}" for what, count in applied.items() if count != 1]
    if Payment.objects.get(pk=payment.pk).payment_status != PaymentStatus.COMPLETED:
        problems.append("the payment is not completed")
    if Order.objects.get(pk=payment.order_id).status != OrderStatus.PAID:
        problems.append("the order is not paid")
    stock = Product.objects.get(pk=product.pk).stock_quantity
    if stock != STOCK - 2:
        problems.append(f"{stock} left of {STOCK} after buying 2")
    return problems


@pytest.mark.parametrize(
    "guard_removed",
    [None, without_the_event_record, without_the_payment_lock],
    ids=["both guards", "payment lock only", "event record only"],
)
def test_a_stripe_event_delivered_five_times_at_once_is_applied_once(
    stripe_webhooks, monkeypatch, guard_removed
):
    """Either guard alone is enough: the event's id recorded once in payment_events (the
    other deliveries wait on its unique key), and the payment row locked while its status
    moves (the other deliveries then find it completed)."""
    if guard_removed:
        guard_removed(monkeypatch)
    assert webhook_problems(*deliver_at_once()) == []


def test_without_either_guard_the_same_checks_catch_the_repeats(stripe_webhooks, monkeypatch):
    """Negative control: with both guards gone every delivery applies the event."""
    without_the_event_record(monkeypatch)
    without_the_payment_lock(monkeypatch)
    caught = webhook_problems(*deliver_at_once())
    assert caught, "the checks did not notice an event applied more than once"


# The renewal job run by two workers at once -------------------------------------------

DUE = 50


@pytest.fixture
def slow_gateway(monkeypatch):
    """The card is charged inside the renewal's critical section; a pause there keeps
    both workers in it at once, as a slow payment provider would."""
    charge = TestGateway.charge_saved

    def slow_charge(self, **kwargs):
        time.sleep(PAUSE_SECONDS / 2)
        return charge(self, **kwargs)

    monkeypatch.setattr(TestGateway, "charge_saved", slow_charge)


def renew_in_two_workers(*, after_a_gateway_outage: bool = False) -> dict:
    """DUE subscriptions are due; two workers run the renewal job at once (after a run
    that found the gateway down: each period's payment is pending already).
    {subscription: the end of the period being renewed}"""
    ends = {}
    for _ in range(DUE):
        subscription = due_subscription()
        save_card(subscription.user)
        ends[subscription.pk] = subscription.end_date
    if after_a_gateway_outage:
        down = GatewayUnavailable("The payment provider is not answering.")
        with mock.patch.object(TestGateway, "charge_saved", side_effect=down):
            subscriptions_renew_due()
        assert (
            Payment.objects.filter(subscription__in=ends, payment_status="pending").count() == DUE
        )
    outcomes = run_together(2, lambda _: subscriptions_renew_due())
    assert all(isinstance(count, int) for count in outcomes), outcomes
    return ends


def renewal_problems(ends: dict) -> list[str]:
    """Periods charged other than once, extended other than by one period, or announced
    to the member other than once."""
    charges = Counter(
        PaymentEvent.objects.filter(
            payment__subscription__in=ends, event_type="payment_intent.succeeded"
        ).values_list("payment__subscription", flat=True)
    )
    renewed = Counter(
        Notification.objects.filter(
            notification_type=NotificationType.SUBSCRIPTION,
            related_resource_id__in=ends,
            title__startswith="Membership of",
        ).values_list("related_resource_id", flat=True)
    )
    problems = []
    for subscription in CommunitySubscription.objects.filter(pk__in=ends):
        period = {
            "charges": charges[subscription.pk],
            "renewal notices": renewed[subscription.pk],
        }
        problems += [
            f"{subscription.pk}: {count} {what}" for what, count in period.items() if count != 1
        ]
        if subscription.end_date != ends[subscription.pk] + timedelta(days=30):
            problems.append(f"{subscription.pk}: runs until {subscription.end_date}")
    return problems


def test_two_workers_renewing_fifty_due_subscriptions_charge_each_period_once(slow_gateway):
    assert renewal_problems(renew_in_two_workers()) == []


def _without_the_subscription_lock(monkeypatch) -> None:
    """The due subscription read without its row lock (the renewal's one locking read,
    `_LOCK_DUE`)."""
    subscription_lock = "FOR NO KEY UPDATE OF s SKIP LOCKED\n"
    assert subscription_lock in renewals._LOCK_DUE
    monkeypatch.setattr(renewals, "_LOCK_DUE", renewals._LOCK_DUE.replace(subscription_lock, ""))


def test_without_the_subscription_lock_the_payments_own_lock_charges_each_period_once(
    slow_gateway, monkeypatch
):
    # The charge locks the payment and charges it only if it is still pending: the second
    # worker waits for the first one's charge, then finds the payment completed.
    _without_the_subscription_lock(monkeypatch)
    assert renewal_problems(renew_in_two_workers(after_a_gateway_outage=True)) == []


def test_without_either_lock_the_same_checks_catch_double_charges(slow_gateway, monkeypatch):
    """Negative control: with the due subscription and the period's payment both read
    without their row locks (`_LOCK_DUE`'s own and the payment service's clause in it,
    `payment_saved_charge_lock`), both workers find the payment still pending and charge
    it. (After an outage: else the period's row, unique, keeps the second worker from
    making a payment at all.)"""
    _without_the_subscription_lock(monkeypatch)
    assert payments_services._SAVED_CHARGE_LOCK == "FOR UPDATE OF charged_payment\n"
    monkeypatch.setattr(payments_services, "_SAVED_CHARGE_LOCK", "")
    caught = renewal_problems(renew_in_two_workers(after_a_gateway_outage=True))
    assert caught, "the checks did not notice a period charged twice"
