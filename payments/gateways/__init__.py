"""The gateways money goes through: Stripe when STRIPE_SECRET_KEY is set, else our test one."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings

from payments.events import GatewayEvent
from payments.models import Payment, PaymentGateway, SavedPaymentMethod


class GatewayError(Exception):
    """The gateway could not be reached or refused the request; nothing was charged."""


@dataclass(frozen=True)
class CardSetup:
    """A card the payer saved on the billing page, as the gateway reports it."""

    user_id: str
    customer_ref: str | None
    method_ref: str
    label: str
    # The saved card (our id) the new one replaces, if the payer chose "Replace".
    replaces: str | None = None


class GatewayUnavailable(GatewayError):
    """The gateway did not answer, answered with its own error or asked us to slow down:
    nothing was decided about the request, and the same request may be made again."""


class Gateway(Protocol):
    # Read-only members: each gateway names itself with a PaymentGateway, and a gateway
    # may give a fixed lifetime (timedelta) or none.
    @property
    def name(self) -> str: ...

    @property
    def checkout_min_lifetime(self) -> timedelta | None:
        """The shortest life the gateway gives a checkout (None: it ends when we say)."""

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
        """Where to send the payer to pay; the checkout cannot be paid after `expires_at`."""

    def charge_saved(self, *, payment: Payment, method: SavedPaymentMethod) -> GatewayEvent:
        """Charge a saved method with the payer away; the outcome comes back at once."""

    def refund(self, *, payment: Payment, amount, refunded_total) -> GatewayEvent | None:
        """Give `amount` back; None when the gateway will tell us later that it is done."""

    def method_detach(self, *, method: SavedPaymentMethod) -> None:
        """Make a saved method unusable for any later charge (it is already if it is gone)."""

    def action_start(
        self, *, payment: Payment, method: SavedPaymentMethod | None, return_url: str
    ) -> tuple[str, GatewayEvent | None]:
        """Where the payer confirms a payment that requires their action, and the news
        the gateway gave meanwhile (None: it will come later)."""


def gateway_named(name: str) -> Gateway:
    from payments.gateways.stripe import StripeGateway
    from payments.gateways.test import TestGateway

    if name == PaymentGateway.STRIPE:
        if not settings.STRIPE_SECRET_KEY:
            raise GatewayError("Stripe is not configured (STRIPE_SECRET_KEY is unset).")
        return StripeGateway()
    if name == PaymentGateway.TEST:
        return TestGateway()
    raise GatewayError(f"Unknown payment gateway {name!r}.")


def active_gateway_name() -> str:
    return PaymentGateway.STRIPE if settings.STRIPE_SECRET_KEY else PaymentGateway.TEST
