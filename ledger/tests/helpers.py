"""Earnings for payout tests: real completed payments, booked when they happened."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from ledger.services import ledger_payments_record_bulk
from shop.tests.factories import PaymentFactory


def earn(artist, amount: str, *, days_ago: int = 10):
    """A completed membership payment of `amount` to `artist`'s community, booked
    `days_ago` days ago (past the 7-day holding period by default)."""
    community = CommunityFactory(artist=artist, subscription_fee=Decimal(amount))
    subscription = CommunitySubscriptionFactory(community=community)
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        amount=Decimal(amount),
        payment_date=timezone.now() - timedelta(days=days_ago),
    )
    ledger_payments_record_bulk(payments=[payment])
    return payment
