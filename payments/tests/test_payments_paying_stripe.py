"""docs/payments.md "Promises: paying", with Stripe stubbed at its HTTP boundary."""

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.utils import timezone

from communities.tests.factories import CommunitySubscriptionFactory
from payments.models import Payment, PaymentPurpose, PaymentStatus, SavedPaymentMethod
from payments.services import (
    PaymentError,
    payment_charge_saved,
    payment_renewal_create,
    payment_saved_charge_locked,
    payment_start,
)
from payments.tests import stripe_stub
from payments.tests.test_payments_stripe import checkout_session_answer
from shop.models import Order, OrderStatus
from shop.services.orders import orders_release_abandoned
from shop.tests.factories import OrderFactory, PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_configured")]

SITE = "https://music.example"


def placed_minutes_ago(minutes: float) -> Order:
    order = OrderFactory(total_amount=Decimal("24.99"))
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    return Order.objects.get(pk=order.pk)


def start_checkout(stripe_api, order) -> tuple[Payment, dict]:
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/checkout/sessions", callback=checkout_session_answer
    )
    payment, _ = payment_start(
        user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    return payment, stripe_stub.form_body_of(stripe_api.calls[-1].request)


# --- 14. A Checkout session never outlives the order's hold -----------------------------


def test_a_checkout_session_expires_with_the_orders_hold(stripe_api, settings):
    settings.SHOP_ORDER_HOLD_MINUTES = 120
    order = placed_minutes_ago(10)

    _, sent = start_checkout(stripe_api, order)

    hold_ends = order.created_at + timedelta(minutes=120)
    assert int(sent["expires_at"][0]) == int(hold_ends.timestamp())
    assert Order.objects.get(pk=order.pk).reserved_until is None


def test_a_hold_shorter_than_stripes_30_minutes_is_extended_to_the_session(stripe_api):
    # The default hold is 30 minutes: never enough for Stripe's shortest session.
    order = placed_minutes_ago(5)
    before = timezone.now()

    _, sent = start_checkout(stripe_api, order)

    expires_at = int(sent["expires_at"][0])
    assert before.timestamp() + 30 * 60 < expires_at <= timezone.now().timestamp() + 31 * 60
    reserved_until = Order.objects.get(pk=order.pk).reserved_until
    assert int(reserved_until.timestamp()) == expires_at
    # The sweep leaves the order (and its stock) alone while the session can be paid...
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(minutes=45))
    assert orders_release_abandoned() == 0
    # ...and releases it once the session has expired.
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert orders_release_abandoned() == 1
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_no_checkout_starts_once_the_orders_first_hold_is_over(stripe_api):
    order = placed_minutes_ago(31)

    with pytest.raises(PaymentError, match="reservation of this order has ended"):
        payment_start(
            user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
        )

    assert not stripe_api.calls
    assert not Payment.objects.exists()


# --- 11. A refused renewal says why, in the customer's words ----------------------------


def _renewal_with_saved_card():
    subscription = CommunitySubscriptionFactory()
    SavedPaymentMethod.objects.create(
        user=subscription.user,
        gateway="stripe",
        customer_ref="cus_TestCustomer01",
        method_ref="pm_1TestCardVisa4242",
        label="Visa •••• 4242",
    )
    return payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )


def test_a_renewal_declined_for_an_expired_card_says_so(stripe_api):
    payment = _renewal_with_saved_card()
    failed = stripe_stub.payment_intent(
        payment, status="requires_payment_method", pi_id="pi_3Expired", flow="off_session"
    )
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/payment_intents",
        status=402,
        json={
            "error": {
                "type": "card_error",
                "code": "expired_card",
                "message": "Your card has expired.",
                "payment_intent": failed,
            }
        },
    )

    payment = payment_charge_saved(charge=payment_saved_charge_locked(payment_id=payment.pk))

    assert payment.payment_status == PaymentStatus.FAILED
    assert payment.failure_reason == "Your card has expired."


# --- 11b. payment_method says which card paid -------------------------------------------


def charge_of(payment, *, pi_id: str, wallet: str | None = None) -> dict:
    charge = stripe_stub.charge(payment, pi_id=pi_id, amount_refunded=0)
    charge["payment_method_details"] = {
        "type": "card",
        "card": {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2030,
            "wallet": {"type": wallet} if wallet else None,
        },
    }
    return charge


def test_a_renewal_records_the_card_that_paid(stripe_api):
    payment = _renewal_with_saved_card()
    intent = stripe_stub.payment_intent(payment, pi_id="pi_3Renewal", flow="off_session")
    intent["latest_charge"] = charge_of(payment, pi_id="pi_3Renewal")
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/payment_intents", json=intent)

    payment = payment_charge_saved(charge=payment_saved_charge_locked(payment_id=payment.pk))

    sent = stripe_stub.form_body_of(stripe_api.calls[0].request)
    assert sent["expand[0]"] == ["latest_charge"]
    assert (payment.gateway, payment.payment_method) == ("stripe", "Visa •••• 4242")


def test_a_checkout_payment_records_the_wallet_and_card_from_its_charge(client, stripe_api):
    order = placed_minutes_ago(1)
    payment, _ = start_checkout(stripe_api, order)
    intent = stripe_stub.payment_intent(payment, pi_id="pi_3Wallet")

    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.succeeded", intent))
    response = stripe_stub.post_webhook(
        client,
        stripe_stub.event(
            "charge.succeeded", charge_of(payment, pi_id="pi_3Wallet", wallet="apple_pay")
        ),
    )

    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.payment_status == PaymentStatus.COMPLETED
    assert payment.payment_method == "Apple Pay (Visa •••• 4242)"


@pytest.mark.parametrize("charge_first", [False, True])
def test_a_card_saved_at_a_subscription_checkout_is_named_by_its_brand_and_last_four(
    client, charge_first
):
    payment = PaymentFactory(
        for_subscription=True,
        gateway="stripe",
        payment_status=PaymentStatus.PENDING,
        stripe_payment_id=None,
    )
    intent = stripe_stub.payment_intent(payment, pi_id="pi_3Member")
    charge = charge_of(payment, pi_id="pi_3Member")
    charge["payment_method"] = intent["payment_method"]
    news = [
        stripe_stub.event("payment_intent.succeeded", intent),
        stripe_stub.event("charge.succeeded", charge),
    ]

    for event in reversed(news) if charge_first else news:
        assert stripe_stub.post_webhook(client, event).status_code == 200

    card = SavedPaymentMethod.objects.get(user=payment.user)
    assert (card.method_ref, card.label) == ("pm_1TestCardVisa4242", "Visa •••• 4242")
