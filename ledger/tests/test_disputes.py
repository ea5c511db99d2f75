"""Chargebacks from Stripe's signed webhooks: booked like a refund, once; reversed if won."""

from decimal import Decimal

import pytest

from ledger.models import LedgerTransaction
from ledger.selectors import artist_balance
from ledger.services import ledger_payment_record
from payments.models import PaymentGateway, PaymentStatus
from payments.tests import stripe_stub
from shop.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _stripe(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = stripe_stub.WEBHOOK_SECRET
    settings.PLATFORM_COMMISSION_PERCENT = D("10")


@pytest.fixture
def paid():
    """A 50.00 membership paid through Stripe and booked: the artist is owed 45.00."""
    payment = PaymentFactory(
        for_subscription=True,
        amount=D("50.00"),
        gateway=PaymentGateway.STRIPE,
        stripe_payment_id="pi_1Disputed",
    )
    ledger_payment_record(payment=payment)
    return payment


def owed(payment) -> Decimal:
    balance = artist_balance(artist_id=payment.subscription.community.artist_id)
    return balance.pending + balance.available


def dispute(event_type: str, *, status: str, amount: int = 5000) -> dict:
    return stripe_stub.event(
        event_type,
        {
            "id": "dp_1Chargeback",
            "object": "dispute",
            "amount": amount,
            "currency": "usd",
            "charge": "ch_1Disputed",
            "payment_intent": "pi_1Disputed",
            "reason": "fraudulent",
            "status": status,
        },
    )


def test_a_chargeback_takes_the_artists_share_back_once(client, paid):
    opened = dispute("charge.dispute.created", status="needs_response")

    assert stripe_stub.post_webhook(client, opened).status_code == 200
    assert stripe_stub.post_webhook(client, opened).status_code == 200
    again = dispute("charge.dispute.created", status="needs_response")  # a new event id
    assert stripe_stub.post_webhook(client, again).status_code == 200

    assert owed(paid) == D("0.00")
    assert LedgerTransaction.objects.filter(payment=paid, kind="dispute").count() == 1
    paid.refresh_from_db()
    assert paid.payment_status == PaymentStatus.COMPLETED


def test_a_won_chargeback_gives_the_money_back_and_a_lost_one_changes_nothing(client, paid):
    stripe_stub.post_webhook(client, dispute("charge.dispute.created", status="needs_response"))
    stripe_stub.post_webhook(client, dispute("charge.dispute.closed", status="lost"))
    assert owed(paid) == D("0.00")

    stripe_stub.post_webhook(client, dispute("charge.dispute.closed", status="won"))
    stripe_stub.post_webhook(client, dispute("charge.dispute.closed", status="won"))

    assert owed(paid) == D("45.00")
    assert LedgerTransaction.objects.filter(payment=paid, kind="dispute_won").count() == 1


def test_a_partial_chargeback_takes_back_its_part(client, paid):
    stripe_stub.post_webhook(
        client, dispute("charge.dispute.created", status="needs_response", amount=2000)
    )
    assert owed(paid) == D("27.00")  # 45.00 less 20.00 and its 2.00 commission given back
