"""The Stripe gateway against Stripe's HTTP API, stubbed with `responses` (no network)."""

from decimal import Decimal

import pytest
import responses

from communities.tests.factories import CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from payments.models import Payment, PaymentPurpose, PaymentStatus, SavedPaymentMethod
from payments.services import (
    PaymentError,
    payment_charge_saved,
    payment_refund,
    payment_renewal_create,
    payment_saved_charge_locked,
    payment_start,
)
from payments.tests import stripe_stub
from shop.models import Order, OrderStatus
from shop.tests.factories import OrderFactory, PaymentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_configured")]

SITE = "https://music.example"


def checkout_session_answer(request):
    body = stripe_stub.form_body_of(request)
    session = {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "amount_total": int(body["line_items[0][price_data][unit_amount]"][0]),
        "client_reference_id": body["client_reference_id"][0],
        "currency": body["line_items[0][price_data][currency]"][0],
        "metadata": {"payment_id": body["metadata[payment_id]"][0]},
        "mode": "payment",
        "payment_intent": None,
        "payment_status": "unpaid",
        "status": "open",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
    }
    return 200, {"Request-Id": "req_1"}, stripe_stub.json_dumps(session)


def test_an_order_is_paid_through_a_checkout_session_priced_in_cents_with_an_idempotency_key(
    stripe_api,
):
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/checkout/sessions", callback=checkout_session_answer
    )
    order = OrderFactory(total_amount=Decimal("24.99"))

    payment, url = payment_start(
        user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )

    assert url == "https://checkout.stripe.com/c/pay/cs_test_a1b2c3"
    request = stripe_api.calls[0].request
    sent = stripe_stub.form_body_of(request)
    assert request.headers["Idempotency-Key"] == f"checkout-{payment.pk}"
    assert request.headers["Authorization"] == "Bearer sk_test_suite"
    assert sent["mode"] == ["payment"]
    assert sent["line_items[0][price_data][unit_amount]"] == ["2499"]
    assert sent["line_items[0][price_data][currency]"] == ["usd"]
    assert sent["metadata[payment_id]"] == [str(payment.pk)]
    assert sent["payment_intent_data[metadata][payment_id]"] == [str(payment.pk)]
    assert sent["success_url"] == [f"{SITE}/payments/{payment.pk}/"]
    assert sent["customer_email"] == [order.contact_email]
    assert "payment_intent_data[setup_future_usage]" not in sent
    assert payment.gateway == "stripe"
    assert payment.payment_status == PaymentStatus.PENDING


def test_a_subscription_checkout_saves_the_card_for_off_session_renewals(stripe_api):
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/checkout/sessions", callback=checkout_session_answer
    )
    subscription = CommunitySubscriptionFactory(joining=True)

    payment_start(
        user=subscription.user,
        purpose=PaymentPurpose.SUBSCRIPTION,
        target_id=subscription.pk,
        site_url=SITE,
    )

    sent = stripe_stub.form_body_of(stripe_api.calls[0].request)
    assert sent["payment_intent_data[setup_future_usage]"] == ["off_session"]
    assert sent["customer_creation"] == ["always"]
    assert sent["line_items[0][price_data][unit_amount]"] == ["499"]


def test_a_stripe_outage_fails_the_new_payment_with_a_clear_message(stripe_api):
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/checkout/sessions",
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Invalid currency"}},
    )
    order = OrderFactory()

    with pytest.raises(PaymentError):
        payment_start(
            user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
        )

    assert order.payments.get().payment_status == PaymentStatus.FAILED
    # The order keeps its stock for the hold time: the buyer may try again.
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def saved_card(subscription):
    return SavedPaymentMethod.objects.create(
        user=subscription.user,
        gateway="stripe",
        customer_ref="cus_TestCustomer01",
        method_ref="pm_1TestCardVisa4242",
        label="Card saved with Stripe",
    )


def test_a_renewal_is_an_off_session_payment_intent_confirmed_at_once(stripe_api):
    subscription = CommunitySubscriptionFactory()
    saved_card(subscription)
    payment = payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    intent = stripe_stub.payment_intent(payment, pi_id="pi_3Renewal", flow="off_session")
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/payment_intents", json=intent)

    payment = payment_charge_saved(charge=payment_saved_charge_locked(payment_id=payment.pk))

    request = stripe_api.calls[0].request
    sent = stripe_stub.form_body_of(request)
    assert request.headers["Idempotency-Key"] == f"renewal-{payment.pk}"
    assert sent["amount"] == ["499"] and sent["currency"] == ["usd"]
    assert sent["off_session"] == ["true"] and sent["confirm"] == ["true"]
    assert sent["customer"] == ["cus_TestCustomer01"]
    assert sent["payment_method"] == ["pm_1TestCardVisa4242"]
    assert (payment.payment_status, payment.stripe_payment_id) == ("completed", "pi_3Renewal")


def test_a_declined_renewal_fails_the_payment(stripe_api):
    subscription = CommunitySubscriptionFactory()
    saved_card(subscription)
    payment = payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    failed = stripe_stub.payment_intent(
        payment, status="requires_payment_method", pi_id="pi_3Declined", flow="off_session"
    )
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/payment_intents",
        status=402,
        json={
            "error": {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
                "payment_intent": failed,
            }
        },
    )

    payment = payment_charge_saved(charge=payment_saved_charge_locked(payment_id=payment.pk))

    assert payment.payment_status == PaymentStatus.FAILED
    subscription.refresh_from_db()
    assert subscription.payment_id is None


def completed_stripe_payment(amount="24.99"):
    return PaymentFactory(
        amount=Decimal(amount),
        order__total_amount=Decimal(amount),
        gateway="stripe",
        stripe_payment_id="pi_3Paid",
    )


def refund_answer(amount_cents, status="succeeded"):
    return {
        "id": "re_3Refund",
        "object": "refund",
        "amount": amount_cents,
        "currency": "usd",
        "payment_intent": "pi_3Paid",
        "status": status,
    }


def test_a_partial_refund_is_sent_in_cents_with_a_key_of_the_new_running_total(stripe_api):
    payment = completed_stripe_payment()
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/refunds", json=refund_answer(1000))
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/refunds", json=refund_answer(1499))

    payment = payment_refund(payment=payment, amount=Decimal("10.00"))
    payment = payment_refund(payment=payment)

    first, second = (call.request for call in stripe_api.calls)
    assert stripe_stub.form_body_of(first)["amount"] == ["1000"]
    assert stripe_stub.form_body_of(first)["payment_intent"] == ["pi_3Paid"]
    assert first.headers["Idempotency-Key"] == f"refund-{payment.pk}-1000"
    assert stripe_stub.form_body_of(second)["amount"] == ["1499"]
    assert second.headers["Idempotency-Key"] == f"refund-{payment.pk}-2499"
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))


def test_a_pending_stripe_refund_is_recorded_only_when_stripe_reports_it(stripe_api):
    payment = completed_stripe_payment()
    stripe_api.add(
        responses.POST, f"{stripe_stub.API}/v1/refunds", json=refund_answer(2499, "pending")
    )

    payment = payment_refund(payment=payment)

    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("0.00"))


def test_a_refund_stripe_refuses_changes_nothing(stripe_api):
    payment = completed_stripe_payment()
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/refunds",
        status=400,
        json={
            "error": {
                "type": "invalid_request_error",
                "code": "charge_already_refunded",
                "message": "Charge has already been refunded.",
            }
        },
    )

    with pytest.raises(PaymentError, match="already been refunded"):
        payment_refund(payment=payment)

    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("0.00"))


def test_a_whole_stripe_purchase_with_a_refund_never_counts_money_twice(stripe_api, client):
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/checkout/sessions", callback=checkout_session_answer
    )
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/refunds", json=refund_answer(2499))
    order = OrderFactory(total_amount=Decimal("24.99"))
    payment, _ = payment_start(
        user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )
    intent = stripe_stub.payment_intent(payment, pi_id="pi_3Paid")
    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.succeeded", intent))

    payment = payment_refund(payment=Payment.objects.get(pk=payment.pk))
    refunded = stripe_stub.charge(payment, pi_id="pi_3Paid", amount_refunded=2499)
    response = stripe_stub.post_webhook(client, stripe_stub.event("charge.refunded", refunded))
    assert response.status_code == 200

    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))
    # Refunded in full: the order is cancelled (payments.hooks.order_refunded).
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    # One move each (rows of one test transaction share their timestamp, so no order).
    assert sorted(
        StatusHistory.objects.filter(entity_type="payment").values_list("new_status", flat=True)
    ) == ["completed", "refunded"]
