"""Reads of the books: balances, monthly statements, payouts, staff totals.

An artist's balance is what the platform owes them: minus the sum of their entries on
ARTIST_PAYABLE (credits are negative). Each read is one query whatever the data size.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, DecimalField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from ledger.models import Account, EntryKind, LedgerEntry, Payout

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _owed(condition: Q | None = None):
    """What the platform owes, over the artist's entries matching `condition`."""
    amount = Sum("amount", filter=condition) if condition is not None else Sum("amount")
    return Coalesce(-amount, Value(ZERO), output_field=MONEY)


@dataclass(frozen=True)
class Balance:
    pending: Decimal
    available: Decimal
    currency: str

    @property
    def total(self) -> Decimal:
        return self.pending + self.available


def artist_balance(*, artist_id, now: datetime | None = None) -> Balance:
    """Pending (earnings still in their holding period) and available (everything else:
    earnings past it, refunds and payouts at once, so a refund after a payout makes the
    available balance negative until later earnings cover it)."""
    now = now or timezone.now()
    totals = LedgerEntry.objects.filter(
        account=Account.ARTIST_PAYABLE, artist_id=artist_id
    ).aggregate(pending=_owed(Q(available_at__gt=now)), available=_owed(Q(available_at__lte=now)))
    return Balance(currency=settings.PAYMENTS_CURRENCY, **totals)


def available_balances(*, now: datetime | None = None, minimum: Decimal) -> QuerySet:
    """(artist_id, available) of every artist whose available balance is at least
    `minimum`, in artist order: the payout run's candidates, in one query."""
    now = now or timezone.now()
    return (
        LedgerEntry.objects.filter(account=Account.ARTIST_PAYABLE, available_at__lte=now)
        .values("artist_id")
        .annotate(available=_owed())
        .filter(available__gte=minimum)
        .order_by("artist_id")
        .values_list("artist_id", "available")
    )


@dataclass(frozen=True)
class StatementMonth:
    month: date | None  # None: the total of all months
    gross: Decimal
    fees: Decimal
    commission: Decimal
    refunds: Decimal
    payouts: Decimal

    @property
    def net(self) -> Decimal:
        """What the month earned: gross less fees, commission and refunds (payouts move
        the balance, not the earnings)."""
        return self.gross - self.fees - self.commission - self.refunds


def _kind_total(kind: str):
    # Earnings are credits (negative); fees, commission, refunds and payouts debits.
    sign = -1 if kind == EntryKind.GROSS else 1
    return Coalesce(
        Sum(Case(When(kind=kind, then="amount"), default=Value(ZERO), output_field=MONEY) * sign),
        Value(ZERO),
        output_field=MONEY,
    )


@dataclass(frozen=True)
class Statement:
    months: list[StatementMonth]

    @property
    def total(self) -> StatementMonth:
        return StatementMonth(
            month=None,
            **{
                name: sum((getattr(m, name) for m in self.months), ZERO)
                for name in ("gross", "fees", "commission", "refunds", "payouts")
            },
        )


def artist_statement(*, artist_id, since: date | None = None) -> Statement:
    """The artist's months, newest first (gross, fees, commission, refunds, payouts, net),
    and their total."""
    entries = LedgerEntry.objects.filter(account=Account.ARTIST_PAYABLE, artist_id=artist_id)
    if since is not None:
        entries = entries.filter(booked_at__date__gte=since)
    rows = (
        entries.annotate(month=TruncMonth("booked_at"))
        .values("month")
        .annotate(
            gross=_kind_total(EntryKind.GROSS),
            fees=_kind_total(EntryKind.FEE),
            commission=_kind_total(EntryKind.COMMISSION),
            refunds=_kind_total(EntryKind.REFUND),
            payouts=_kind_total(EntryKind.PAYOUT),
        )
        .order_by("-month")
    )
    return Statement([StatementMonth(**{**row, "month": row["month"].date()}) for row in rows])


def artist_payouts(*, artist_id, limit: int = 50) -> list[Payout]:
    return list(Payout.objects.filter(artist_id=artist_id).order_by("-created_at")[:limit])


@dataclass(frozen=True)
class PeriodTotals:
    month: date
    gross: Decimal
    fees: Decimal
    platform_revenue: Decimal
    refunds: Decimal
    payouts_paid: Decimal


def platform_totals() -> list[PeriodTotals]:
    """Staff's totals per month over the whole ledger, newest first (the admin)."""

    def total(condition: Q, sign: int = 1):
        return Coalesce(Sum("amount", filter=condition) * sign, Value(ZERO), output_field=MONEY)

    cash = Q(account=Account.PROCESSOR_CASH)
    rows = (
        LedgerEntry.objects.annotate(month=TruncMonth("booked_at"))
        .values("month")
        .annotate(
            gross=total(cash & Q(kind=EntryKind.GROSS)),
            fees=total(cash & Q(kind=EntryKind.FEE), -1),
            platform_revenue=total(Q(account=Account.PLATFORM_REVENUE), -1),
            refunds=total(cash & Q(kind=EntryKind.REFUND), -1),
            payouts_paid=total(cash & Q(kind=EntryKind.PAYOUT), -1),
        )
        .order_by("-month")
    )
    return [PeriodTotals(**{**row, "month": row["month"].date()}) for row in rows]
