"""Stripe: Checkout Sessions for first payments, off-session PaymentIntents for renewals.

Every call that creates something carries an idempotency key derived from our own row,
so a retried request (ours or the SDK's) can never charge or refund twice. Webhook
payloads are turned into `GatewayEvent`s by `event_from_stripe`.
"""

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import stripe
from django.conf import settings

from payments.events import (
    GatewayEvent,
    MalformedEvent,
    Outcome,
    card_description,
    decline_message,
    event_checked,
    to_cents,
)
from payments.gateways import CardSetup, GatewayError, GatewayUnavailable
from payments.models import Payment, PaymentGateway, SavedPaymentMethod

if TYPE_CHECKING:
    # Only local variables' annotations name them: nothing is imported at run time.
    from stripe.params import PaymentIntentConfirmParams, PaymentIntentCreateParams
    from stripe.params.checkout import (
        SessionCreateParams,
        SessionCreateParamsPaymentIntentData,
    )

logger = logging.getLogger(__name__)

# How old a signed webhook may be before we refuse it as a possible replay (Stripe's own).
WEBHOOK_TOLERANCE_SECONDS = 300


# Checkout is started inside the buyer's request: three attempts (the SDK retries network
# errors and 5xx answers under the same idempotency key) must end within the web server's
# 30-second worker timeout, so that the buyer sees our message rather than a 502.
STRIPE_TIMEOUT_SECONDS = 8


def stripe_client() -> stripe.StripeClient:
    # An explicit requests-based client: the SDK's HTTP boundary, where tests stub Stripe.
    return stripe.StripeClient(
        # Only called once gateway_named found the key set (the setting's type allows None).
        cast(str, settings.STRIPE_SECRET_KEY),
        http_client=stripe.RequestsClient(timeout=STRIPE_TIMEOUT_SECONDS),
        max_network_retries=2,
    )


# Stripe did not answer (timeout, network), failed itself (5xx) or asked us to slow down.
STRIPE_UNAVAILABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


def _metadata(payment: Payment, flow: str) -> dict[str, str]:
    return {"payment_id": str(payment.pk), "purpose": payment.purpose, "flow": flow}


class StripeGateway:
    name = PaymentGateway.STRIPE
    # Stripe refuses a Checkout Session's `expires_at` less than 30 minutes away; one more
    # minute covers the request's own time and the clocks' difference.
    checkout_min_lifetime = timedelta(minutes=31)

    def checkout_start(
        self,
        *,
        payment: Payment,
        description: str,
        save_method: bool,
        customer_email: str | None,
        success_url: str,
        cancel_url: str,
        expires_at: datetime | None = None,
    ) -> str:
        intent_data: SessionCreateParamsPaymentIntentData = {
            "metadata": _metadata(payment, "checkout")
        }
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": to_cents(payment.amount),
                        "product_data": {"name": description},
                    },
                }
            ],
            "client_reference_id": str(payment.pk),
            "metadata": _metadata(payment, "checkout"),
            "payment_intent_data": intent_data,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if expires_at is not None:
            params["expires_at"] = int(expires_at.timestamp())
        customer = None
        if save_method:
            intent_data["setup_future_usage"] = "off_session"
            # A payment whose payer was deleted (user_id NULL) has no saved Customer.
            if payment.user_id is not None:
                customer = (
                    SavedPaymentMethod.objects.filter(
                        user_id=payment.user_id, gateway=self.name, customer_ref__isnull=False
                    )
                    .order_by("-created_at")
                    .values_list("customer_ref", flat=True)
                    .first()
                )
        if customer:
            params["customer"] = customer
        else:
            if save_method:
                params["customer_creation"] = "always"
            if customer_email:
                params["customer_email"] = customer_email
        try:
            session = stripe_client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{payment.pk}"}
            )
        except STRIPE_UNAVAILABLE as error:
            logger.warning("Stripe unavailable for a Checkout Session of %s: %s", payment.pk, error)
            raise GatewayUnavailable("The payment provider is not answering right now.") from error
        except stripe.StripeError as error:
            logger.warning("Stripe refused a Checkout Session for %s: %s", payment.pk, error)
            raise GatewayError(
                error.user_message or "The payment provider is unavailable."
            ) from error
        # A hosted session Stripe has just created always has its page's url.
        return cast(str, session.url)

    def charge_saved(self, *, payment: Payment, method: SavedPaymentMethod) -> GatewayEvent:
        params: PaymentIntentCreateParams = {
            "amount": to_cents(payment.amount),
            "currency": payment.currency.lower(),
            # A None customer is left out of the request by the SDK (its types want a str).
            "customer": method.customer_ref,  # type: ignore[typeddict-item]
            "payment_method": method.method_ref,
            "off_session": True,
            "confirm": True,
            "metadata": _metadata(payment, "off_session"),
            # The charge's card details say how the customer paid (payments.payment_method).
            "expand": ["latest_charge"],
        }
        try:
            intent = stripe_client().v1.payment_intents.create(
                params=params, options={"idempotency_key": f"renewal-{payment.pk}"}
            )
        except stripe.CardError as error:
            # A decline answers 402 with the PaymentIntent inside the error; so does a
            # charge the bank wants the customer to confirm (`authentication_required`).
            # The SDK's parsed JSON error body (typed `object`): a dict, or None.
            details = cast(dict[str, Any], error.json_body or {}).get("error", {})
            failed_intent = details.get("payment_intent") or {}
            needs_customer = error.code == AUTHENTICATION_REQUIRED
            return GatewayEvent(
                gateway=self.name,
                event_type="payment_intent.payment_failed",
                outcome=Outcome.REQUIRES_ACTION if needs_customer else Outcome.FAILED,
                payment_id=str(payment.pk),
                gateway_payment_id=failed_intent.get("id"),
                failure_reason=decline_message(details.get("decline_code") or details.get("code")),
            )
        except stripe.StripeError as error:
            raise GatewayError(
                error.user_message or "The payment provider is unavailable."
            ) from error
        return _event_from_payment_intent(intent.to_dict(), event_type=CONFIRMED_NOW, event_id=None)

    def action_start(
        self, *, payment: Payment, method: SavedPaymentMethod | None, return_url: str
    ) -> tuple[str, GatewayEvent | None]:
        """Stripe's own page for the customer's confirmation: the PaymentIntent's
        `next_action.redirect_to_url` when it has one, else the one Stripe gives when we
        confirm it again with a return URL. Confirming again never charges twice: a
        PaymentIntent succeeds at most once."""
        if not payment.stripe_payment_id:
            raise GatewayError("This payment has no Stripe PaymentIntent to confirm.")
        client = stripe_client()
        try:
            intent = client.v1.payment_intents.retrieve(payment.stripe_payment_id).to_dict()
            if intent.get("status") not in {"succeeded", "processing"} and not _redirect_of(intent):
                params: PaymentIntentConfirmParams = {"return_url": return_url}
                if method is not None:
                    params["payment_method"] = method.method_ref
                intent = client.v1.payment_intents.confirm(
                    payment.stripe_payment_id, params=params
                ).to_dict()
        except stripe.StripeError as error:
            logger.warning("Stripe refused to confirm %s: %s", payment.pk, error)
            raise GatewayError(
                error.user_message or "The payment provider is unavailable; try again soon."
            ) from error
        if intent.get("status") == "succeeded":
            return return_url, _event_from_payment_intent(
                intent, event_type=CONFIRMED_NOW, event_id=None
            )
        url = _redirect_of(intent)
        if url is None:
            raise GatewayError("Your bank did not ask for a confirmation we can show; try again.")
        return url, None

    def card_setup_start(
        self, *, user, customer_ref: str | None, replaces: str, success_url: str, cancel_url: str
    ) -> str:
        """A Checkout Session in `mode=setup` (a SetupIntent on Stripe's hosted page) that
        saves a card on the payer's Customer, created first when they have none."""
        client = stripe_client()
        try:
            if not customer_ref:
                customer_ref = client.v1.customers.create(
                    params={"email": user.email, "metadata": {"user_id": str(user.pk)}},
                    # Two clicks within Stripe's 24 hours make one Customer.
                    options={"idempotency_key": f"customer-{user.pk}"},
                ).id
            session = client.v1.checkout.sessions.create(
                params={
                    "mode": "setup",
                    "currency": settings.PAYMENTS_CURRENCY.lower(),
                    "customer": customer_ref,
                    "client_reference_id": str(user.pk),
                    "metadata": {"user_id": str(user.pk), "replaces": replaces},
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                }
            )
        except STRIPE_UNAVAILABLE as error:
            raise GatewayUnavailable("The payment provider is not answering right now.") from error
        except stripe.StripeError as error:
            raise GatewayError(error.user_message or "The payment provider refused.") from error
        # A hosted session Stripe has just created always has its page's url.
        return cast(str, session.url)

    def card_setup_result(self, *, session_id: str) -> CardSetup | None:
        """The card a completed setup session saved (None: not complete, not a setup)."""
        try:
            session = (
                stripe_client()
                .v1.checkout.sessions.retrieve(
                    session_id, params={"expand": ["setup_intent.payment_method"]}
                )
                .to_dict()
            )
        except stripe.InvalidRequestError:
            return None
        except stripe.StripeError as error:
            raise GatewayUnavailable("The payment provider is not answering right now.") from error
        method = (session.get("setup_intent") or {}).get("payment_method") or {}
        if session.get("mode") != "setup" or session.get("status") != "complete" or not method:
            return None
        card = method.get("card") or {}
        metadata = session.get("metadata") or {}
        return CardSetup(
            user_id=metadata.get("user_id") or session.get("client_reference_id") or "",
            customer_ref=session.get("customer"),
            method_ref=method["id"],
            label=card_description(
                brand=card.get("brand"),
                last4=card.get("last4"),
                wallet=(card.get("wallet") or {}).get("type"),
            ),
            replaces=metadata.get("replaces") or None,
        )

    def refund(self, *, payment: Payment, amount, refunded_total) -> GatewayEvent | None:
        if not payment.stripe_payment_id:
            raise GatewayError("This payment has no Stripe PaymentIntent to refund.")
        try:
            refund = stripe_client().v1.refunds.create(
                params={
                    "payment_intent": payment.stripe_payment_id,
                    "amount": to_cents(amount),
                    "metadata": {"payment_id": str(payment.pk)},
                },
                # The running total makes the key: a retry of this refund is the same
                # refund; a later, second partial refund is a new one.
                options={"idempotency_key": f"refund-{payment.pk}-{to_cents(refunded_total)}"},
            )
        except stripe.StripeError as error:
            raise GatewayError(error.user_message or str(error)) from error
        if refund.status != "succeeded":
            # Pending refunds are recorded when `charge.refunded` arrives.
            return None
        return GatewayEvent(
            gateway=self.name,
            event_type="refund.created",
            outcome=Outcome.REFUNDED,
            payment_id=str(payment.pk),
            gateway_payment_id=payment.stripe_payment_id,
            refunded_total_cents=to_cents(refunded_total),
        )

    def method_detach(self, *, method: SavedPaymentMethod) -> None:
        try:
            stripe_client().v1.payment_methods.detach(
                method.method_ref, options={"idempotency_key": f"detach-{method.pk}"}
            )
        except stripe.InvalidRequestError as error:
            # Already detached, or unknown to Stripe: it can charge nothing either way.
            logger.info("Stripe did not detach %s: %s", method.method_ref, error)
        except stripe.StripeError as error:
            raise GatewayUnavailable("The payment provider is not answering right now.") from error


# Stripe's code for an off-session charge the bank wants the customer to confirm.
AUTHENTICATION_REQUIRED = "authentication_required"


def _redirect_of(intent: dict) -> str | None:
    next_action = intent.get("next_action") or {}
    return (next_action.get("redirect_to_url") or {}).get("url")


def _event_from_payment_intent(intent: dict, *, event_type: str, event_id: str | None):
    metadata = intent.get("metadata") or {}
    error = intent.get("last_payment_error") or {}
    return GatewayEvent(
        gateway=PaymentGateway.STRIPE,
        event_id=event_id,
        event_type=event_type,
        outcome=_payment_intent_outcome(intent, event_type=event_type),
        payment_id=metadata.get("payment_id"),
        gateway_payment_id=intent.get("id"),
        amount_cents=intent.get("amount_received") or intent.get("amount"),
        currency=intent.get("currency"),
        customer_ref=intent.get("customer"),
        method_ref=intent.get("payment_method") if intent.get("setup_future_usage") else None,
        method_label="Card saved with Stripe",
        failure_reason=decline_message(error.get("decline_code") or error.get("code"))
        if error
        else "",
        paid_with=_paid_with(intent.get("latest_charge")),
    )


def _paid_with(charge) -> str:
    """How the customer paid, from a charge's `payment_method_details` ("" when unknown:
    an unexpanded charge id, or no card)."""
    details = charge.get("payment_method_details") if isinstance(charge, dict) else None
    card = details.get("card") if isinstance(details, dict) else None
    if not isinstance(card, dict):
        return ""
    wallet = card.get("wallet")
    wallet_type = wallet.get("type") if isinstance(wallet, dict) else None
    brand, last4 = card.get("brand"), card.get("last4")
    # Odd values in a signed payload say nothing about the card: unknown rather than a 500.
    return card_description(
        brand=brand if isinstance(brand, str) else None,
        last4=last4 if isinstance(last4, str) else None,
        wallet=wallet_type if isinstance(wallet_type, str) else None,
    )


# Our own off-session call: its answer is the PaymentIntent after confirmation.
CONFIRMED_NOW = "payment_intent.confirmed"


def _payment_intent_outcome(intent: dict, *, event_type: str) -> Outcome:
    status = intent.get("status")
    in_checkout = (intent.get("metadata") or {}).get("flow") == "checkout"
    if event_type in {"payment_intent.succeeded", CONFIRMED_NOW} and status == "succeeded":
        return Outcome.SUCCEEDED
    if in_checkout:
        # Checkout lets the payer try another card after a decline: only the session's
        # expiry is final there.
        return Outcome.IGNORED
    needs_customer = (intent.get("last_payment_error") or {}).get("code") == AUTHENTICATION_REQUIRED
    if event_type == "payment_intent.payment_failed" and needs_customer:
        # The webhook of the 402 `authentication_required` answer: the payer confirms it.
        return Outcome.REQUIRES_ACTION
    if event_type in {"payment_intent.payment_failed", "payment_intent.canceled"}:
        return Outcome.FAILED
    if event_type == CONFIRMED_NOW and status == "requires_action":
        return Outcome.REQUIRES_ACTION
    if event_type == CONFIRMED_NOW and status == "requires_payment_method":
        return Outcome.FAILED
    # `created`, `processing`, …: snapshots of a moment, settled by a later event.
    return Outcome.IGNORED


def event_from_stripe(payload: dict) -> GatewayEvent:
    """A verified webhook body as a `GatewayEvent`; its state comes from the event's object.

    Raises MalformedEvent (or KeyError) for a body not shaped like Stripe's."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise MalformedEvent("the event is not an object with data")
    event_id, event_type = payload["id"], payload["type"]
    obj = payload["data"]["object"]
    if not isinstance(event_type, str) or not isinstance(obj, dict):
        raise MalformedEvent("the event has no type or no object")
    if not isinstance(obj.get("metadata") or {}, dict) or not isinstance(
        obj.get("last_payment_error") or {}, dict
    ):
        raise MalformedEvent("the object's metadata or error is not an object")
    base = {"gateway": PaymentGateway.STRIPE, "event_id": event_id, "event_type": event_type}
    metadata = obj.get("metadata") or {}
    if event_type.startswith("payment_intent."):
        event = _event_from_payment_intent(obj, event_type=event_type, event_id=event_id)
    elif event_type in {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    }:
        paid = obj.get("payment_status") == "paid"
        event = GatewayEvent(
            **base,
            outcome=Outcome.SUCCEEDED if paid else Outcome.IGNORED,
            payment_id=metadata.get("payment_id") or obj.get("client_reference_id"),
            gateway_payment_id=obj.get("payment_intent"),
            amount_cents=obj.get("amount_total"),
            currency=obj.get("currency"),
            customer_ref=obj.get("customer"),
        )
    elif event_type in {"checkout.session.expired", "checkout.session.async_payment_failed"}:
        event = GatewayEvent(
            **base,
            outcome=Outcome.FAILED,
            payment_id=metadata.get("payment_id") or obj.get("client_reference_id"),
            gateway_payment_id=obj.get("payment_intent"),
            failure_reason="The checkout was not completed.",
        )
    elif event_type == "charge.succeeded":
        # Says which card (or wallet) paid: recorded as the payment's `payment_method`; it
        # also completes a payment whose own success event is late.
        event = GatewayEvent(
            **base,
            outcome=Outcome.SUCCEEDED if obj.get("status") == "succeeded" else Outcome.IGNORED,
            payment_id=metadata.get("payment_id"),
            gateway_payment_id=obj.get("payment_intent"),
            amount_cents=obj.get("amount_captured") or obj.get("amount"),
            currency=obj.get("currency"),
            paid_with=_paid_with(obj),
            paid_with_ref=obj.get("payment_method"),
        )
    elif event_type == "charge.refunded":
        event = GatewayEvent(
            **base,
            outcome=Outcome.REFUNDED,
            payment_id=metadata.get("payment_id"),
            gateway_payment_id=obj.get("payment_intent"),
            amount_cents=obj.get("amount_captured") or obj.get("amount"),
            currency=obj.get("currency"),
            refunded_total_cents=obj.get("amount_refunded"),
        )
    elif event_type in {"charge.dispute.created", "charge.dispute.closed"}:
        # ledger: a chargeback; its object is the dispute, naming the PaymentIntent.
        closed = event_type == "charge.dispute.closed"
        event = GatewayEvent(
            **base,
            outcome=Outcome.DISPUTE_CLOSED if closed else Outcome.DISPUTED,
            gateway_payment_id=obj.get("payment_intent"),
            amount_cents=obj.get("amount"),
            currency=obj.get("currency"),
            dispute_ref=obj.get("id"),
            dispute_won=obj.get("status") == "won" if closed else None,
        )
    else:
        event = GatewayEvent(**base, outcome=Outcome.IGNORED, payment_id=metadata.get("payment_id"))
    return event_checked(replace(event, payload=payload))


def webhook_verify(*, body: bytes, signature: str | None) -> dict:
    """The event in `body` if `signature` proves it is Stripe's and recent; else raises."""
    stripe.WebhookSignature.verify_header(
        body.decode("utf-8"),
        signature,
        settings.STRIPE_WEBHOOK_SECRET,
        tolerance=WEBHOOK_TOLERANCE_SECONDS,
    )
    return json.loads(body)
