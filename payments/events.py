"""What a gateway tells us, in one shape whichever gateway it is, and money in cents."""

import uuid
from dataclasses import dataclass, field, fields
from decimal import Decimal
from enum import StrEnum

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    """Gateways count in the currency's smallest unit; ours has two decimal places."""
    return int((amount / CENT).to_integral_exact())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # The payer's bank wants them to confirm the payment themselves (3-D Secure / SCA):
    # an off-session charge waits for the payer to come back on-session.
    REQUIRES_ACTION = "requires_action"
    # The payment's refunded total is now `refunded_total_cents` (a running total, not a
    # delta, so that repeated or late news can never add a refund twice).
    REFUNDED = "refunded"
    # ledger: a chargeback opened (`amount_cents` withdrawn) or closed (`dispute_won`); the
    # payment's status stays, the ledger hears of it (payments/signals.py).
    DISPUTED = "disputed"
    DISPUTE_CLOSED = "dispute_closed"
    # Recorded for the audit trail, changes nothing.
    IGNORED = "ignored"


@dataclass(frozen=True, kw_only=True)
class GatewayEvent:
    """One piece of news about a payment, from a webhook or from a gateway's answer.

    `event_id` is set for news that can arrive again (webhooks, the test gateway's
    events): it is recorded in `payment_events` and applied once. Answers to our own API
    calls carry no id; applying them twice changes nothing either.
    """

    gateway: str
    event_type: str
    outcome: Outcome
    event_id: str | None = None
    payload: dict = field(default_factory=dict)
    payment_id: str | None = None
    gateway_payment_id: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    refunded_total_cents: int | None = None
    customer_ref: str | None = None
    method_ref: str | None = None
    method_label: str = ""
    failure_reason: str = ""
    # How the customer paid, as `payments.payment_method` keeps it ("Visa •••• 4242"), and
    # the gateway's reference of that card (Stripe's pm_…), which names a saved card by it.
    paid_with: str = ""
    paid_with_ref: str | None = None
    # ledger: Stripe's dispute (dp_…) and, when it closed, whether we won it.
    dispute_ref: str | None = None
    dispute_won: bool | None = None


class MalformedEvent(ValueError):
    """News whose shape we cannot trust (a signed webhook with odd values); refused whole."""


# Far above any real payment, far below what a bigint column or Decimal arithmetic minds.
MAX_CENTS = 10**12
_TEXT_FIELDS = {
    "event_id": 255,
    "event_type": 100,
    "gateway_payment_id": 255,
    "currency": 3,
    "customer_ref": 255,
    "method_ref": 255,
    "method_label": 255,
    "failure_reason": 1000,
    # A saved card's label takes what a payment says it was paid with.
    "paid_with": 100,
    "paid_with_ref": 255,
    "dispute_ref": 255,
}


def _holds_nul(value) -> bool:
    """PostgreSQL stores no NUL in text or jsonb: anywhere in the payload, it would fail."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def event_checked(event: GatewayEvent) -> GatewayEvent:
    """The event when every value has the type and size its column takes; MalformedEvent
    saying which one otherwise (amounts as strings, ids that are lists, a NUL anywhere)."""
    for name, longest in _TEXT_FIELDS.items():
        value = getattr(event, name)
        if value is not None and not (isinstance(value, str) and len(value) <= longest):
            raise MalformedEvent(f"{name} is not a text of at most {longest} characters")
    for name in ("amount_cents", "refunded_total_cents"):
        value = getattr(event, name)
        if value is not None and not (
            type(value) is int and 0 <= value <= MAX_CENTS  # bool is not an amount
        ):
            raise MalformedEvent(f"{name} is not a whole number of cents")
    if event.payment_id is not None:
        try:
            uuid.UUID(str(event.payment_id))
        except ValueError:
            raise MalformedEvent("payment_id is not one of our payment ids") from None
    if any(_holds_nul(getattr(event, f.name)) for f in fields(event)):
        raise MalformedEvent("a value holds a NUL character")
    return event


# Why a card was refused, in the customer's words, by Stripe's `decline_code` (or `code`
# for the errors that have none). Unlisted codes (lost or stolen cards, fraud suspicion,
# …) are a plain decline on purpose: telling a thief why helps nobody.
DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "The card's security code (CVC) is incorrect.",
    "invalid_cvc": "The card's security code (CVC) is incorrect.",
    "incorrect_number": "The card number is incorrect.",
    "invalid_expiry_month": "The card's expiry date is incorrect.",
    "invalid_expiry_year": "The card's expiry date is incorrect.",
    "card_velocity_exceeded": "Your card's limit was reached; try another card.",
    "processing_error": "The card could not be charged because of a processing error; try again.",
}
DECLINED = "Your card was declined."


def decline_message(code: str | None) -> str:
    return DECLINE_MESSAGES.get(code or "", DECLINED)


BRANDS = {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}
WALLETS = {"apple_pay": "Apple Pay", "google_pay": "Google Pay", "samsung_pay": "Samsung Pay"}


def card_description(*, brand: str | None, last4: str | None, wallet: str | None = None) -> str:
    """How a card payment reads on the payer's pages: "Visa •••• 4242", or with a wallet
    "Apple Pay (Visa •••• 4242)" (Stripe's `payment_method_details.card`)."""
    name = BRANDS.get(brand or "", (brand or "card").capitalize())
    card = f"{name} •••• {last4}" if last4 else name
    if not wallet:
        return card
    return f"{WALLETS.get(wallet, wallet.replace('_', ' ').title())} ({card})"
