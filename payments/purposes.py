"""What a payment pays for, told to the payment service by the app that owns it.

Each purpose (`PaymentPurpose`) has exactly one handler, registered once by the app that
owns the thing paid for, in its `AppConfig.ready()` (shop: orders and featured
placements; communities: subscriptions). The payment service looks the handler up by the
payment's purpose and calls it inside the transaction that moved the payment, with the
payment row locked; a handler locks what it changes after that (payment first, then the
order or subscription: one lock order everywhere). This app imports none of them, and
writes none of their rows: their handlers do (docs/payments.md, "Purposes").
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Payee:
    """An artist who earns from a payment (the ledger books their share)."""

    artist_id: UUID
    # The part of the payment's gross that pays for this artist's goods or community.
    amount: Decimal


class PurposeHandler(Protocol):
    """`by` is who made the outcome happen (staff refunding, say); None for the gateway's
    own news. Handlers record it in the status moves they make."""

    def completed(self, *, payment, by) -> None:
        """The payment went through: what it paid for is now paid."""

    def failed(self, *, payment, by) -> None:
        """The payment did not go through (the payer may try again)."""

    def refunded(self, *, payment, by) -> None:
        """Money was given back, in part or in full (`payment.payment_status` tells)."""

    def description(self, *, payment) -> str:
        """What the payer is paying for, in their words (the gateway's checkout page)."""

    def url(self, *, payment) -> str:
        """Where the payer sees what the payment was for."""

    def payees(self, *, payments) -> dict[UUID, list[Payee]]:
        """Who earns from each of these payments of this purpose, by payment id, in a
        fixed number of queries however many (generate_data books them in bulk); a
        payment no artist earns from (platform revenue) maps to an empty list."""


class PurposeNotRegistered(LookupError):
    """A payment whose purpose no app has registered a handler for: a wiring mistake."""


_handlers: dict[str, PurposeHandler] = {}


def purpose_register(*, purpose: str, handler: PurposeHandler) -> None:
    if purpose in _handlers:
        raise ImproperlyConfigured(
            f"Payments for {purpose!r} already have a handler ({_handlers[purpose]!r}); "
            "each purpose has exactly one."
        )
    _handlers[purpose] = handler


def purpose_handler(purpose: str) -> PurposeHandler:
    try:
        return _handlers[purpose]
    except KeyError:
        raise PurposeNotRegistered(
            f"No handler is registered for payments of purpose {purpose!r}; the app that "
            "owns it registers one in its AppConfig.ready() (payments.purposes)."
        ) from None
