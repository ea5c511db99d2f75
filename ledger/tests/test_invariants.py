"""The ledger's invariants over `generate_data`'s payments (committed, so the database's
deferred balance check really ran at each batch's commit) and over generated refunds."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artists.tests.factories import ArtistFactory
from ledger.models import LedgerEntry
from ledger.selectors import artist_balance
from ledger.services import ledger_refund_record
from payments.models import Payment, PaymentStatus

from .helpers import earn

SCALE = 0.003


def rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture
def generated(transactional_db):
    call_command("generate_data", scale=SCALE, batch_size=150, stdout=StringIO())


def test_the_generated_ledger_sums_to_zero_overall_and_per_transaction(generated):
    assert LedgerEntry.objects.exists()
    assert rows("SELECT currency, SUM(amount) FROM ledger_entries GROUP BY currency") == [
        ("USD", Decimal("0.00"))
    ]
    assert (
        rows(
            "SELECT transaction_id FROM ledger_entries GROUP BY transaction_id, currency "
            "HAVING SUM(amount) <> 0"
        )
        == []
    )


def test_every_completed_payment_is_booked_once_with_its_gross(generated):
    completed = Payment.objects.filter(payment_status=PaymentStatus.COMPLETED)
    assert rows(
        "SELECT COUNT(*), COALESCE(SUM(e.amount), 0) FROM ledger_entries e "
        "JOIN ledger_transactions t USING (transaction_id) "
        "WHERE t.kind = 'payment' AND e.account = 'processor_cash'"
    ) == [(completed.count(), sum(p.amount for p in completed))]


def test_each_artist_earns_exactly_their_items_and_memberships(generated):
    """Per artist, the gross booked to them equals what fans paid for their order items
    and their communities' memberships (completed payments, from the sales tables)."""
    booked = dict(
        rows(
            "SELECT artist_id, -SUM(amount) FROM ledger_entries "
            "WHERE account = 'artist_payable' AND kind = 'gross' GROUP BY artist_id"
        )
    )
    sold = dict(
        rows(
            """
            SELECT artist_id, SUM(amount) FROM (
                SELECT p.artist_id, i.subtotal AS amount
                FROM payments pay JOIN order_items i ON i.order_id = pay.order_id
                JOIN products p ON p.product_id = i.product_id
                WHERE pay.payment_status = 'completed'
                UNION ALL
                SELECT c.artist_id, pay.amount
                FROM payments pay
                JOIN community_subscriptions s ON s.subscription_id = pay.subscription_id
                JOIN communities c ON c.community_id = s.community_id
                WHERE pay.payment_status = 'completed'
            ) sales GROUP BY artist_id
            """
        )
    )
    assert booked == sold
    assert booked


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amounts=st.lists(
        st.decimals(min_value="1.00", max_value="500.00", places=2), min_size=1, max_size=4
    ),
    refund_parts=st.lists(st.integers(min_value=1, max_value=100), max_size=4),
)
def test_any_payments_and_partial_refunds_keep_every_transaction_balanced(amounts, refund_parts):
    artist = ArtistFactory()
    payments = [earn(artist, str(amount)) for amount in amounts]
    payment = payments[0]
    refunded = Decimal("0.00")
    for part in refund_parts:
        step = (payment.amount * part / 400).quantize(Decimal("0.01"))
        if step <= 0 or refunded + step > payment.amount:
            continue
        refunded += step
        ledger_refund_record(payment=payment, amount=step, refunded_total=refunded)
    if refunded < payment.amount:
        ledger_refund_record(
            payment=payment, amount=payment.amount - refunded, refunded_total=payment.amount
        )

    assert (
        rows(
            "SELECT transaction_id FROM ledger_entries GROUP BY transaction_id, currency "
            "HAVING SUM(amount) <> 0"
        )
        == []
    )
    # The whole first payment given back: the artist keeps exactly the others' net and
    # carries the first one's processor fee share (the processor keeps its fee).
    entries = LedgerEntry.objects.filter(artist=artist)
    first_fee = sum(e.amount for e in entries.filter(transaction__payment=payment, kind="fee"))
    others = sum(-e.amount for e in entries.exclude(transaction__payment=payment)) or Decimal(
        "0.00"
    )
    balance = artist_balance(artist_id=artist.pk)
    assert balance.pending + balance.available == others - first_fee
