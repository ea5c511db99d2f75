"""What a payment pays for, told to the payment service by the app that owns it.

Each purpose (`PaymentPurpose`) has exactly one handler, registered once by the app that
owns the thing paid for, in its `AppConfig.ready()` (shop: orders and featured
placements; communities: subscriptions). The payment service looks the handler up by the
payment's purpose and calls it inside the transaction that moved the payment, with the
payment row locked; a handler locks what it changes after that (payment first, then the
order or subscription: one lock order everywhere). This app imports none of them, and
writes none of their rows: their handlers do (docs/payments.md, "Purposes").
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from notifications.services import Notice


@dataclass(frozen=True)
class Payee:
    """An artist who earns from a payment (the ledger books their share)."""

    artist_id: UUID
    # The part of the payment's gross that pays for this artist's goods or community.
    amount: Decimal


@dataclass(frozen=True)
class Completed:
    """What the caller of a charge did when its payment completed (`payment_charge_saved`'s
    `on_completed`, called instead of the purpose handler's `completed`: the caller knows
    what it charged for, the handler would have to look it up)."""

    # Who earns from the payment: the ledger books them without asking the handler.
    payees: list[Payee]
    # Sent to their recipients with the payment's own "Payment received", in one statement.
    notices: tuple[Notice, ...] = ()


class CompletionHook(Protocol):
    def __call__(self, *, payment) -> Completed:
        """The payment (locked, completed in this transaction) paid for what the caller
        charged: act on it. Never refuses: anything it raises fails the caller's
        transaction, charge included."""
        ...


@dataclass(frozen=True)
class Checkout:
    """What a handler's `checkout` tells the payment service about a (locked, checked)
    target: the payment service creates the pending payment from it, in the same
    transaction."""

    # From the domain's own rows, never from the request.
    amount: Decimal
    # The payment's foreign key to the target, when it has one: {"order_id": …} or
    # {"subscription_id": …}; empty when the target points at the payment instead.
    target: dict = field(default_factory=dict)
    # Who gets the gateway's receipt; None: the payer's account email.
    customer_email: str | None = None
    # When the target stops being payable (an order's stock hold); None: never.
    payable_until: datetime | None = None


class PurposeHandler(Protocol):
    """`by` is who made the outcome happen (staff refunding, say); None for the gateway's
    own news. Handlers record it in the status moves they make."""

    def payable_by(self, *, user, target_id) -> bool:
        """Whether `user` may open the pay page for this target at all (False: a 404)."""

    def checkout(self, *, user, target_id, amount: Decimal | None) -> Checkout:
        """Lock the target and check it may be paid now (`payments.services.PaymentError`
        with the payer's message if not); `amount` is what the owning app already computed
        from its own rows and the payer confirmed (a tier upgrade), None for the usual
        price."""

    def checkout_started(self, *, payment, target_id, expires_at: datetime | None) -> None:
        """The pending payment exists (same transaction, target still locked): the owning
        app links it or holds the target until `expires_at` (the gateway's checkout end)."""

    def checkout_refused_url(self, *, target_id) -> str:
        """Where to send a payer whose checkout was refused."""

    def payer_returned(self, *, request, payment) -> None:
        """The payer is back from the gateway (the payment page): e.g. empty the cart a
        paid order was checked out from."""

    def retry_target_id(self, *, payment) -> UUID | None:
        """What "Try again" pays for after this payment failed, None if nothing."""

    def saved_card_pays(self, *, user) -> list:
        """What the payer's default saved card pays for by renewing, in a fixed number of
        queries (the billing page lists each: `get_absolute_url`, `community.name`,
        `end_date`); empty for a purpose that never renews."""

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


def purpose_handlers() -> list[PurposeHandler]:
    return list(_handlers.values())


def purpose_handler(purpose: str) -> PurposeHandler:
    try:
        return _handlers[purpose]
    except KeyError:
        raise PurposeNotRegistered(
            f"No handler is registered for payments of purpose {purpose!r}; the app that "
            "owns it registers one in its AppConfig.ready() (payments.purposes)."
        ) from None
