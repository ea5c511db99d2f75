"""Writes to the books: each money movement as one balanced transaction, written once.

A payment (gross in, commission, each artist's share), its processor fee, each refund.
Payouts are in ledger/payouts.py. Entries are signed, debit positive; every transaction
sums to zero per currency (checked by the database at commit) and is keyed by what it
records, so a movement reported twice is booked once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ledger.models import Account, EntryKind, LedgerEntry, LedgerTransaction, TransactionKind
from ledger.payees import Payee, payees_of, payees_of_many
from payments.events import CENT

logger = logging.getLogger(__name__)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def commission_percent(purpose: str) -> Decimal:
    """The platform's cut of an artist's sale, per purpose if configured."""
    by_purpose = settings.PLATFORM_COMMISSION_PERCENT_BY_PURPOSE
    return Decimal(str(by_purpose.get(purpose, settings.PLATFORM_COMMISSION_PERCENT)))


def fee_of_test_gateway(amount: Decimal) -> Decimal:
    """The test gateway's fee model, shaped like a card processor's (percent + fixed)."""
    fee = amount * Decimal(settings.LEDGER_TEST_FEE_PERCENT) / 100
    return min(amount, cents(fee + Decimal(settings.LEDGER_TEST_FEE_FIXED)))


def holding_ends(at: datetime) -> datetime:
    return at + timedelta(days=settings.LEDGER_HOLDING_DAYS)


@dataclass
class Line:
    account: str
    kind: str
    amount: Decimal
    artist_id: object = None
    available_at: datetime | None = None


@dataclass
class Booking:
    """One transaction to write: its key, what it records and its lines."""

    kind: str
    key: str
    lines: list[Line]
    currency: str
    at: datetime
    payment_id: UUID | None = None
    payout_id: UUID | None = None
    description: str = ""


# The transactions and their entries in one statement: a key booked before (a retried
# event, a concurrent delivery: ON CONFLICT waits for it) writes neither its transaction
# nor its entries, and no savepoint is needed to survive the unique key's error.
_WRITE = """
WITH written AS (
    INSERT INTO ledger_transactions
        (transaction_id, kind, idempotency_key, payment_id, payout_id, description)
    SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::uuid[], %s::uuid[], %s::text[])
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING transaction_id
), entries AS (
    INSERT INTO ledger_entries (entry_id, transaction_id, account, kind, artist_id, amount,
                                currency, booked_at, available_at)
    SELECT gen_random_uuid(), e.* FROM unnest(
        %s::uuid[], %s::text[], %s::text[], %s::uuid[], %s::numeric[], %s::text[],
        %s::timestamptz[], %s::timestamptz[]
    ) AS e(transaction_id, account, kind, artist_id, amount, currency, booked_at, available_at)
    WHERE e.transaction_id IN (SELECT transaction_id FROM written)
)
SELECT transaction_id FROM written
"""


def _write(bookings: list[Booking]) -> list[LedgerTransaction | None]:
    """Each booking's transaction as written, None when its key was booked before."""
    txs = [
        LedgerTransaction(
            kind=b.kind,
            idempotency_key=b.key,
            payment_id=b.payment_id,
            payout_id=b.payout_id,
            description=b.description[:255],
        )
        for b in bookings
    ]
    lines = [
        (tx.pk, line, b)
        for b, tx in zip(bookings, txs, strict=True)
        for line in b.lines
        if line.amount
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _WRITE,
            [
                [tx.pk for tx in txs],
                [tx.kind for tx in txs],
                [tx.idempotency_key for tx in txs],
                [tx.payment_id for tx in txs],
                [tx.payout_id for tx in txs],
                [tx.description for tx in txs],
                [tx_id for tx_id, _, _ in lines],
                [line.account for _, line, _ in lines],
                [line.kind for _, line, _ in lines],
                [line.artist_id for _, line, _ in lines],
                [line.amount for _, line, _ in lines],
                [b.currency for _, _, b in lines],
                [b.at for _, _, b in lines],
                [line.available_at or b.at for _, line, b in lines],
            ],
        )
        written = {row[0] for row in cursor.fetchall()}
    return [tx if tx.pk in written else None for tx in txs]


def book(booking: Booking) -> LedgerTransaction | None:
    """Write one transaction and its entries; None when its key is already booked."""
    return _write([booking])[0]


def book_together(bookings: list[Booking]) -> list[LedgerTransaction | None]:
    """Write transactions that are news of one moment (a payment and its processor fee)
    in one statement; each is None when its key was already booked."""
    for booking, tx in zip(bookings, written := _write(bookings), strict=True):
        if tx is None:
            logger.info("Ledger transaction %s is already booked.", booking.key)
    return written


BOOK_MANY_BATCH = 2000


def book_many(bookings: list[Booking]) -> int:
    """Write many transactions (generate_data), a statement per BOOK_MANY_BATCH, together;
    keys already booked are skipped. Returns how many were written."""
    with transaction.atomic():
        return sum(
            tx is not None
            for start in range(0, len(bookings), BOOK_MANY_BATCH)
            for tx in _write(bookings[start : start + BOOK_MANY_BATCH])
        )


def payment_booking(*, payment, payees: list[Payee], at: datetime) -> Booking:
    """A completed payment: the gross lands at the processor; each artist earns their part
    less the platform's commission (available after the holding period); what no artist
    earns (a featured placement) is platform revenue."""
    gross = payment.amount
    percent = commission_percent(payment.purpose)
    available_at = holding_ends(at)
    lines = [Line(Account.PROCESSOR_CASH, EntryKind.GROSS, gross)]
    for payee in payees:
        commission = cents(payee.amount * percent / 100)
        lines += [
            Line(
                Account.ARTIST_PAYABLE,
                EntryKind.GROSS,
                -payee.amount,
                payee.artist_id,
                available_at,
            ),
            Line(
                Account.ARTIST_PAYABLE,
                EntryKind.COMMISSION,
                commission,
                payee.artist_id,
                available_at,
            ),
            Line(Account.PLATFORM_REVENUE, EntryKind.COMMISSION, -commission),
        ]
    lines.append(
        Line(Account.PLATFORM_REVENUE, EntryKind.GROSS, -(gross - sum(p.amount for p in payees)))
    )
    return Booking(
        kind=TransactionKind.PAYMENT,
        key=f"payment:{payment.pk}",
        lines=lines,
        currency=payment.currency,
        at=at,
        payment_id=payment.pk,
        description=f"{payment.get_purpose_display()} payment",
    )


def fee_booking(*, payment, payees: list[Payee], fee: Decimal, at: datetime) -> Booking:
    """What the processor kept of a payment: out of the cash, charged to each artist in
    proportion to their part (the platform bears the rest, e.g. a featured placement's)."""
    lines = [
        Line(Account.PROCESSOR_CASH, EntryKind.FEE, -fee),
        Line(Account.PROCESSOR_FEES, EntryKind.FEE, fee),
    ]
    available_at = holding_ends(at)
    for payee in payees:
        share = cents(fee * payee.amount / payment.amount)
        lines += [
            Line(Account.ARTIST_PAYABLE, EntryKind.FEE, share, payee.artist_id, available_at),
            Line(Account.PROCESSOR_FEES, EntryKind.FEE, -share),
        ]
    return Booking(
        kind=TransactionKind.FEE,
        key=f"fee:{payment.pk}",
        lines=lines,
        currency=payment.currency,
        at=at,
        payment_id=payment.pk,
        description="Processor fee",
    )


def ledger_payment_record(
    *, payment, fee: Decimal | None = None, payees: list[Payee] | None = None
) -> LedgerTransaction | None:
    """Book a completed payment once (and its fee, when known now); None if booked before.
    `payees`: who earns from it, when whoever completed it knew; else its purpose's
    handler is asked."""
    if payees is None:
        payees = payees_of(payment=payment)
    now = timezone.now()
    bookings = [payment_booking(payment=payment, payees=payees, at=now)]
    if fee is not None:
        bookings.append(fee_booking(payment=payment, payees=payees, fee=fee, at=now))
    return book_together(bookings)[0]


def ledger_fee_record(*, payment, fee: Decimal) -> LedgerTransaction | None:
    """Book a payment's processor fee once (Stripe's, read later from its balance
    transaction); None if booked before."""
    return book(
        fee_booking(payment=payment, payees=payees_of(payment=payment), fee=fee, at=timezone.now())
    )


def _earned(rows) -> dict:
    """Each artist's gross and commission from a payment's booking, as (artist_id, kind,
    amount) rows of its ARTIST_PAYABLE lines: what they earned then, whatever the
    commission is today."""
    earned: dict = {}
    for artist_id, kind, amount in rows:
        gross, commission = earned.get(artist_id, (Decimal(0), Decimal(0)))
        if kind == EntryKind.GROSS:
            gross -= amount
        else:
            commission += amount
        earned[artist_id] = (gross, commission)
    return earned


def refund_booking(
    *,
    payment,
    earned: dict,
    refunded_before: Decimal,
    refunded_total: Decimal,
    at: datetime,
    kind: str = TransactionKind.REFUND,
    key: str | None = None,
) -> Booking:
    """Money given back to the fan (a refund, or a chargeback: `kind`): out of the cash,
    reversed from each artist's part and the platform's commission in proportion.
    Computed from running totals, so partial refunds add up exactly to the whole once
    everything is refunded. The processor's fee is not given back (Stripe keeps it), so
    it stays charged."""

    def part(value: Decimal, total: Decimal) -> Decimal:
        return cents(value * total / payment.amount)

    amount = refunded_total - refunded_before
    lines = [Line(Account.PROCESSOR_CASH, EntryKind.REFUND, -amount)]
    artists_part = Decimal(0)
    for artist_id, (gross, commission) in sorted(earned.items(), key=lambda i: str(i[0])):
        given_back = part(gross, refunded_total) - part(gross, refunded_before)
        commission_back = part(commission, refunded_total) - part(commission, refunded_before)
        artists_part += given_back
        lines += [
            Line(Account.ARTIST_PAYABLE, EntryKind.REFUND, given_back, artist_id, at),
            Line(Account.ARTIST_PAYABLE, EntryKind.COMMISSION, -commission_back, artist_id, at),
            Line(Account.PLATFORM_REVENUE, EntryKind.COMMISSION, commission_back),
        ]
    lines.append(Line(Account.PLATFORM_REVENUE, EntryKind.REFUND, amount - artists_part))
    return Booking(
        kind=kind,
        key=key or f"refund:{payment.pk}:{int(refunded_total / CENT)}",
        lines=lines,
        currency=payment.currency,
        at=at,
        payment_id=payment.pk,
        description=TransactionKind(kind).label,
    )


def _booked_earnings(payment) -> dict:
    return _earned(
        LedgerEntry.objects.filter(
            transaction__idempotency_key=f"payment:{payment.pk}",
            account=Account.ARTIST_PAYABLE,
        ).values_list("artist_id", "kind", "amount")
    )


def ledger_refund_record(
    *, payment, amount: Decimal, refunded_total: Decimal
) -> LedgerTransaction | None:
    """Book a refund once, keyed by the payment's new running total of refunds. A payment
    never booked (completed before the ledger) is booked first."""
    ledger_payment_record(payment=payment)
    return book(
        refund_booking(
            payment=payment,
            earned=_booked_earnings(payment),
            refunded_before=refunded_total - amount,
            refunded_total=refunded_total,
            at=timezone.now(),
        )
    )


def ledger_dispute_record(
    *, payment, amount: Decimal, dispute_ref: str
) -> LedgerTransaction | None:
    """Book a chargeback once (keyed by the gateway's dispute): the disputed amount leaves
    the cash and is taken back from the artists in proportion, like a refund, at once."""
    ledger_payment_record(payment=payment)
    return book(
        refund_booking(
            payment=payment,
            earned=_booked_earnings(payment),
            refunded_before=Decimal(0),
            refunded_total=min(amount, payment.amount),
            at=timezone.now(),
            kind=TransactionKind.DISPUTE,
            key=f"dispute:{dispute_ref}",
        )
    )


def ledger_dispute_won_record(*, payment, dispute_ref: str) -> LedgerTransaction | None:
    """A chargeback we won: the money came back, so the dispute's booking is reversed
    line for line, once. A lost one changes nothing more."""
    now = timezone.now()
    lines = [
        Line(entry.account, entry.kind, -entry.amount, entry.artist_id, now)
        for entry in LedgerEntry.objects.filter(
            transaction__idempotency_key=f"dispute:{dispute_ref}"
        )
    ]
    if not lines:
        logger.warning("Dispute %s was won but never booked.", dispute_ref)
        return None
    return book(
        Booking(
            kind=TransactionKind.DISPUTE_WON,
            key=f"dispute_won:{dispute_ref}",
            lines=lines,
            currency=payment.currency,
            at=now,
            payment_id=payment.pk,
            description=TransactionKind.DISPUTE_WON.label,
        )
    )


def ledger_payments_record_bulk(*, payments) -> int:
    """Book many completed payments (and refunds so far) at the time they happened, in a
    few INSERTs: for generate_data. Fees follow the test gateway's model. Returns how many
    transactions were written."""
    payments = list(payments)
    bookings = []
    payees_by_payment = payees_of_many(payments=payments)
    for payment in payments:
        payees = payees_by_payment[payment.pk]
        at = payment.payment_date
        booking = payment_booking(payment=payment, payees=payees, at=at)
        bookings.append(booking)
        bookings.append(
            fee_booking(
                payment=payment, payees=payees, fee=fee_of_test_gateway(payment.amount), at=at
            )
        )
        if payment.refunded_amount:
            earned = _earned(
                (line.artist_id, line.kind, line.amount)
                for line in booking.lines
                if line.account == Account.ARTIST_PAYABLE
            )
            bookings.append(
                refund_booking(
                    payment=payment,
                    earned=earned,
                    refunded_before=Decimal(0),
                    refunded_total=payment.refunded_amount,
                    at=payment.refunded_at or at,
                )
            )
    return book_many(bookings)
