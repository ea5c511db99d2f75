"""The built-in test gateway: our own checkout page, where test card numbers decide.

It produces the same events a Stripe webhook would (same event types, same internal
shape) and hands them to the same `payment_event_handle`, so a local purchase runs the
code a real one runs after the gateway.
"""

import time
import uuid

from django.conf import settings
from django.urls import reverse

from payments.events import (
    GatewayEvent,
    Outcome,
    card_description,
    decline_message,
    to_cents,
)
from payments.gateways import CardSetup
from payments.models import Payment, PaymentGateway, SavedPaymentMethod

SUCCEEDS = "4242424242424242"
# Card number → Stripe's decline code for it; Stripe's own test numbers, so people
# recognise them, and the same words for the customer as Stripe's declines get.
DECLINES = {
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
}
# Pays on the checkout page (the payer is there to confirm), but a charge of the saved
# card with the payer away (a renewal) needs them to confirm it: 3-D Secure, like Stripe's.
REQUIRES_ACTION = "4000002500003155"
TEST_CARDS = {SUCCEEDS, REQUIRES_ACTION, *DECLINES}


def card_brand(card_number: str) -> str:
    """The brand a card number's first digits name (the test numbers are all Visa)."""
    return "visa" if card_number.startswith("4") else "card"


METHOD_PREFIX = "testcard_"


def _event_id() -> str:
    return f"evt_test_{uuid.uuid4().hex}"


class TestGateway:
    __test__ = False  # not a pytest test class
    name = PaymentGateway.TEST
    # Our checkout page refuses a payment whose order is no longer pending; no session.
    checkout_min_lifetime = None

    def checkout_start(self, *, payment: Payment, **_) -> str:
        return reverse("payments:test_checkout", args=[payment.pk])

    def card_event(self, *, payment: Payment, card_number: str, save_method: bool) -> GatewayEvent:
        """The event our checkout page emits when the payer submits `card_number`."""
        last4 = card_number[-4:]
        reason = decline_message(DECLINES[card_number]) if card_number in DECLINES else ""
        return GatewayEvent(
            gateway=self.name,
            event_id=_event_id(),
            event_type="payment_intent.payment_failed" if reason else "payment_intent.succeeded",
            outcome=Outcome.FAILED if reason else Outcome.SUCCEEDED,
            payload={"payment_id": str(payment.pk), "card_last4": last4},
            payment_id=str(payment.pk),
            amount_cents=to_cents(payment.amount),
            currency=payment.currency,
            # One saved card per payer, as Stripe gives each customer its own method id.
            method_ref=(
                f"{METHOD_PREFIX}{payment.user_id}_{last4}" if save_method and not reason else None
            ),
            method_label=f"Test card •••• {last4}",
            failure_reason=reason,
            paid_with=""
            if reason
            else card_description(brand=card_brand(card_number), last4=last4),
        )

    def charge_saved(self, *, payment: Payment, method: SavedPaymentMethod) -> GatewayEvent:
        if settings.PAYMENTS_TEST_GATEWAY_LATENCY_MS:
            time.sleep(settings.PAYMENTS_TEST_GATEWAY_LATENCY_MS / 1000)
        last4 = method.method_ref.rsplit("_", 1)[-1]
        card_number = next(card for card in TEST_CARDS if card.endswith(last4))
        if card_number == REQUIRES_ACTION:
            return GatewayEvent(
                gateway=self.name,
                event_id=_event_id(),
                event_type="payment_intent.requires_action",
                outcome=Outcome.REQUIRES_ACTION,
                payload={"payment_id": str(payment.pk), "card_last4": last4},
                payment_id=str(payment.pk),
            )
        return self.card_event(payment=payment, card_number=card_number, save_method=False)

    def action_start(self, *, payment: Payment, **_) -> tuple[str, None]:
        return reverse("payments:test_confirm", args=[payment.pk]), None

    def confirmed_event(self, *, payment: Payment) -> GatewayEvent:
        """The payer completed the authentication on our confirmation page."""
        return self.card_event(payment=payment, card_number=REQUIRES_ACTION, save_method=False)

    def card_setup(self, *, user_id, card_number: str) -> CardSetup:
        """A card added on the billing page's test form: each addition its own reference,
        so the newest is the one renewals charge."""
        last4 = card_number[-4:]
        return CardSetup(
            user_id=str(user_id),
            customer_ref=None,
            method_ref=f"{METHOD_PREFIX}{uuid.uuid4().hex}_{last4}",
            label=card_description(brand=card_brand(card_number), last4=last4),
        )

    def refund(self, *, payment: Payment, amount, refunded_total) -> GatewayEvent:
        return GatewayEvent(
            gateway=self.name,
            event_id=_event_id(),
            event_type="charge.refunded",
            outcome=Outcome.REFUNDED,
            payload={"payment_id": str(payment.pk), "amount_refunded": to_cents(refunded_total)},
            payment_id=str(payment.pk),
            refunded_total_cents=to_cents(refunded_total),
        )

    def method_detach(self, *, method: SavedPaymentMethod) -> None:
        # The test gateway keeps no cards of its own: forgetting our row is detaching it.
        return None
