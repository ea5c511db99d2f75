"""What a gateway tells us, in one shape whichever gateway it is, and money in cents."""

from dataclasses import dataclass, field
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
