"""Reads about a payer's money: the billing page."""

from dataclasses import dataclass, field

from payments.gateways import active_gateway_name
from payments.models import Payment, SavedPaymentMethod
from payments.purposes import purpose_handlers

PAYMENT_HISTORY_SIZE = 50


@dataclass
class BillingCard:
    card: SavedPaymentMethod
    is_default: bool
    # The memberships its renewals charge (the default card pays them all).
    pays: list = field(default_factory=list)


@dataclass
class BillingOverview:
    cards: list[BillingCard]
    payments: list[Payment]
    memberships: list


def billing_overview(*, user) -> BillingOverview:
    """The saved cards, newest first, with what each pays; the latest payments. Three
    queries, whatever the numbers."""
    memberships = [
        renewing
        for handler in purpose_handlers()
        for renewing in handler.saved_card_pays(user=user)
    ]
    saved = SavedPaymentMethod.objects.filter(user=user).order_by("-created_at", "-pk")
    default = next((card for card in saved if card.gateway == active_gateway_name()), None)
    cards = [
        BillingCard(
            card=card, is_default=card == default, pays=memberships if card == default else []
        )
        for card in saved
    ]
    payments = list(
        Payment.objects.filter(user=user)
        .select_related("subscription__community")
        .order_by("-payment_date", "-pk")[:PAYMENT_HISTORY_SIZE]
    )
    return BillingOverview(cards=cards, payments=payments, memberships=memberships)
