"""Stripe at its HTTP boundary: API answers shaped like Stripe's, and webhooks signed as
Stripe signs them (`t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">`)."""

import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import parse_qs

WEBHOOK_SECRET = "whsec_test_secret_for_the_suite"
API = "https://api.stripe.com"


def sign(body: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def post_webhook(client, event: dict, *, signature: str | None = None, body: str | None = None):
    body = json.dumps(event) if body is None else body
    headers = {} if signature == "" else {"Stripe-Signature": signature or sign(body)}
    return client.post(
        "/payments/webhooks/stripe/", data=body, content_type="application/json", headers=headers
    )


def event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def payment_intent(payment, *, status="succeeded", pi_id=None, flow="checkout", **extra) -> dict:
    cents = int(payment.amount * 100)
    return {
        "id": pi_id or f"pi_{uuid.uuid4().hex[:24]}",
        "object": "payment_intent",
        "amount": cents,
        "amount_received": cents if status == "succeeded" else 0,
        "currency": payment.currency.lower(),
        "customer": "cus_TestCustomer01",
        "last_payment_error": None,
        "livemode": False,
        "metadata": {"payment_id": str(payment.pk), "purpose": payment.purpose, "flow": flow},
        "payment_method": "pm_1TestCardVisa4242",
        "setup_future_usage": "off_session" if payment.purpose == "subscription" else None,
        "status": status,
        **extra,
    }


def checkout_session(payment, *, pi_id=None, status="complete", payment_status="paid") -> dict:
    return {
        "id": f"cs_test_{uuid.uuid4().hex[:24]}",
        "object": "checkout.session",
        "amount_total": int(payment.amount * 100),
        "client_reference_id": str(payment.pk),
        "currency": payment.currency.lower(),
        "customer": "cus_TestCustomer01",
        "metadata": {"payment_id": str(payment.pk), "purpose": payment.purpose, "flow": "checkout"},
        "mode": "payment",
        "payment_intent": pi_id,
        "payment_status": payment_status,
        "status": status,
        "url": None,
    }


def charge(payment, *, pi_id: str, amount_refunded: int) -> dict:
    cents = int(payment.amount * 100)
    return {
        "id": f"ch_{uuid.uuid4().hex[:24]}",
        "object": "charge",
        "amount": cents,
        "amount_captured": cents,
        "amount_refunded": amount_refunded,
        "currency": payment.currency.lower(),
        "metadata": {"payment_id": str(payment.pk)},
        "paid": True,
        "payment_intent": pi_id,
        "refunded": amount_refunded == cents,
        "status": "succeeded",
    }


def form_body_of(request) -> dict[str, list[str]]:
    """What we sent Stripe, decoded from its form encoding (`a[b][0][c]=…`)."""
    body = request.body or ""
    return parse_qs(body if isinstance(body, str) else body.decode())


def json_dumps(obj: dict) -> str:
    return json.dumps(obj)
