"""Stripe webhooks: genuinely signed, applied once, in any order, never from the browser."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from communities.tests.factories import CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from payments.models import Payment, PaymentEvent, PaymentStatus, SavedPaymentMethod
from payments.tests import stripe_stub
from shop.models import Order, OrderStatus
from shop.tests.factories import OrderFactory, PaymentFactory

SITE_PAYMENT_PENDING = {"payment_status": PaymentStatus.PENDING, "gateway": "stripe"}


pytestmark = pytest.mark.usefixtures("stripe_configured")


def pending_payment(**kwargs):
    order = OrderFactory(total_amount=Decimal("24.99"))
    return PaymentFactory(order=order, stripe_payment_id=None, **SITE_PAYMENT_PENDING, **kwargs)


def succeeded(payment, pi_id="pi_3Succeeded"):
    return stripe_stub.event(
        "payment_intent.succeeded", stripe_stub.payment_intent(payment, pi_id=pi_id)
    )


@pytest.mark.django_db
def test_a_signed_success_event_completes_the_payment_and_pays_the_order(client):
    payment = pending_payment()

    response = stripe_stub.post_webhook(client, succeeded(payment))

    assert response.status_code == 200
    payment.refresh_from_db()
    assert (payment.payment_status, payment.stripe_payment_id) == ("completed", "pi_3Succeeded")
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    assert PaymentEvent.objects.get().payment_id == payment.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    ["no signature", "wrong secret", "tampered body", "old timestamp", "garbage header"],
)
def test_an_unproven_event_is_refused_with_400_and_changes_nothing(client, tamper):
    payment = pending_payment()
    event = succeeded(payment)
    body = stripe_stub.json_dumps(event)
    signature = {
        "no signature": "",
        "wrong secret": stripe_stub.sign(body, secret="whsec_someone_else"),
        "tampered body": stripe_stub.sign(body),
        "old timestamp": stripe_stub.sign(body, timestamp=int(time.time()) - 3600),
        "garbage header": "t=yesterday,v1=nothing",
    }[tamper]
    if tamper == "tampered body":
        body = body.replace('"amount_received": 2499', '"amount_received": 1')

    response = stripe_stub.post_webhook(client, event, signature=signature, body=body)

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_without_a_webhook_secret_every_event_is_refused(client, settings):
    payment = pending_payment()
    settings.STRIPE_WEBHOOK_SECRET = None

    assert stripe_stub.post_webhook(client, succeeded(payment)).status_code == 400
    assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_a_snapshot_of_a_renewal_before_confirmation_does_not_fail_it(client):
    payment = pending_payment()
    created = stripe_stub.payment_intent(
        payment, status="requires_payment_method", flow="off_session"
    )

    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.created", created))
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.PENDING

    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.payment_failed", created))
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.FAILED


@pytest.mark.django_db
def test_the_same_event_delivered_five_times_is_applied_once(client):
    payment = pending_payment()
    event = succeeded(payment)

    codes = [stripe_stub.post_webhook(client, event).status_code for _ in range(5)]

    assert codes == [200] * 5
    assert PaymentEvent.objects.count() == 1
    assert StatusHistory.objects.filter(entity_type="payment").count() == 1
    assert StatusHistory.objects.filter(entity_type="order").count() == 1


@pytest.mark.django_db
def test_checkout_completion_and_payment_intent_success_both_arriving_complete_it_once(client):
    payment = pending_payment()
    session = stripe_stub.checkout_session(payment, pi_id="pi_3Both")

    stripe_stub.post_webhook(client, stripe_stub.event("checkout.session.completed", session))
    stripe_stub.post_webhook(client, succeeded(payment, pi_id="pi_3Both"))

    payment.refresh_from_db()
    assert (payment.payment_status, payment.stripe_payment_id) == ("completed", "pi_3Both")
    assert StatusHistory.objects.filter(entity_type="payment").count() == 1


@pytest.mark.django_db
def test_an_event_with_the_wrong_amount_is_recorded_but_never_completes_the_payment(client):
    payment = pending_payment()
    intent = stripe_stub.payment_intent(payment, amount=100, amount_received=100)

    response = stripe_stub.post_webhook(
        client, stripe_stub.event("payment_intent.succeeded", intent)
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.PENDING


@pytest.mark.django_db
def test_a_declined_attempt_inside_checkout_is_not_final_but_the_expired_session_is(client):
    payment = pending_payment()
    declined = stripe_stub.payment_intent(payment, status="requires_payment_method")

    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.payment_failed", declined))
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.PENDING

    expired = stripe_stub.checkout_session(payment, status="expired", payment_status="unpaid")
    stripe_stub.post_webhook(client, stripe_stub.event("checkout.session.expired", expired))
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.FAILED


@pytest.mark.django_db
def test_a_failure_arriving_after_the_success_changes_nothing(client):
    payment = pending_payment()
    stripe_stub.post_webhook(client, succeeded(payment))
    expired = stripe_stub.checkout_session(payment, status="expired", payment_status="unpaid")

    response = stripe_stub.post_webhook(
        client, stripe_stub.event("checkout.session.expired", expired)
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.COMPLETED


@pytest.mark.django_db
def test_a_refund_overtaking_the_success_event_completes_then_refunds(client):
    payment = pending_payment()
    refunded = stripe_stub.charge(payment, pi_id="pi_3Early", amount_refunded=2499)

    stripe_stub.post_webhook(client, stripe_stub.event("charge.refunded", refunded))
    stripe_stub.post_webhook(client, succeeded(payment, pi_id="pi_3Early"))

    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))
    assert list(
        StatusHistory.objects.filter(entity_type="payment")
        .order_by("changed_at", "new_status")
        .values_list("new_status", flat=True)
    ) == ["completed", "refunded"]


@pytest.mark.django_db
def test_partial_refund_events_in_any_order_never_add_up_twice(client):
    payment = pending_payment()
    stripe_stub.post_webhook(client, succeeded(payment, pi_id="pi_3Parts"))
    first = stripe_stub.event(
        "charge.refunded", stripe_stub.charge(payment, pi_id="pi_3Parts", amount_refunded=1000)
    )
    second = stripe_stub.event(
        "charge.refunded", stripe_stub.charge(payment, pi_id="pi_3Parts", amount_refunded=1500)
    )

    stripe_stub.post_webhook(client, second)
    stripe_stub.post_webhook(client, first)
    stripe_stub.post_webhook(client, second)

    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("15.00"))

    full = stripe_stub.charge(payment, pi_id="pi_3Parts", amount_refunded=2499)
    stripe_stub.post_webhook(client, stripe_stub.event("charge.refunded", full))
    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))


@pytest.mark.django_db
def test_a_subscription_payment_event_saves_the_customer_and_card_for_renewals(client):
    subscription = CommunitySubscriptionFactory(joining=True)
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        stripe_payment_id=None,
        **SITE_PAYMENT_PENDING,
    )

    stripe_stub.post_webhook(client, succeeded(payment))

    saved = SavedPaymentMethod.objects.get(user=subscription.user)
    assert (saved.customer_ref, saved.method_ref) == ("cus_TestCustomer01", "pm_1TestCardVisa4242")
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.payment_id == payment.pk


@pytest.mark.django_db
def test_events_about_payments_we_do_not_know_are_acknowledged(client):
    obj = {"id": "pi_3Elsewhere", "object": "payment_intent", "metadata": {}, "status": "succeeded"}

    response = stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.succeeded", obj))

    assert response.status_code == 200
    assert PaymentEvent.objects.get().payment_id is None


@pytest.mark.django_db
def test_the_browser_return_page_changes_nothing(client):
    payment = pending_payment()
    client.force_login(payment.user)

    response = client.get(
        f"/payments/{payment.pk}/?session_id=cs_test_paid&redirect_status=succeeded"
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_different_refund_events_at_once_never_refund_more_than_the_payment():
    payment = pending_payment()
    stripe_stub.post_webhook(Client(), succeeded(payment, pi_id="pi_3Race"))
    events = [
        stripe_stub.event(
            "charge.refunded",
            stripe_stub.charge(payment, pi_id="pi_3Race", amount_refunded=cents),
        )
        for cents in (500, 1000, 1500, 2499, 2499)
    ]
    start = threading.Barrier(len(events))

    def deliver(event):
        try:
            start.wait()
            stripe_stub.post_webhook(Client(), event)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))
    assert StatusHistory.objects.filter(entity_type="payment", new_status="refunded").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_order_completing_at_once_take_the_money_once():
    order = OrderFactory(total_amount=Decimal("24.99"))
    payments = [
        PaymentFactory(
            order=order, stripe_payment_id=None, gateway="test", payment_status="pending"
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)

    def pay(payment):
        from payments.services import payment_test_checkout_submit

        try:
            start.wait()
            payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(payment,)) for payment in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    kept = Payment.objects.filter(order=order).values_list("payment_status", "refunded_amount")
    assert sorted(kept) == [("completed", Decimal("0.00")), ("refunded", Decimal("24.99"))]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
