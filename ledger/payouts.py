"""Payouts: the weekly run that pays artists their available balance, once, and the moves
of each payout (pending → processing → paid / failed) with their bookings.

Once per artist and period: each artist is handled in a transaction of its own that locks
the artist row (artists in id order, so concurrent runs queue in the same order), finds
no payout for the period (the unique key `payouts_artist_period_key` backs this up) and
recomputes the balance under the lock before it books the payout.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from artists.models import Artist, ArtistPayoutMethod, PayoutMethodType
from ledger.models import (
    PAYOUT_TRANSITIONS,
    Account,
    ConnectAccount,
    EntryKind,
    Payout,
    PayoutBackend,
    PayoutStatus,
    TransactionKind,
)
from ledger.selectors import artist_balance, available_balances
from ledger.services import Booking, Line, book
from musicplatform.audit.services import status_change
from notifications.models import NotificationType
from notifications.services import notifications_create

logger = logging.getLogger(__name__)

METHOD_BACKENDS = {
    PayoutMethodType.BANK_TRANSFER: PayoutBackend.SEPA,
    PayoutMethodType.PAYPAL: PayoutBackend.PAYPAL,
}


def payout_period(now: datetime) -> date:
    """The Monday of the run's week: a run repeated in the same week is the same period."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday())


def _backend_of(artist_id) -> tuple[str, ArtistPayoutMethod | None] | None:
    """How this artist is paid: Stripe Connect when Stripe is on and their connected
    account may receive payouts; else their default payout method's file; None when they
    have neither (they are paid once they add one)."""
    if (
        settings.STRIPE_SECRET_KEY
        and ConnectAccount.objects.filter(artist_id=artist_id, payouts_enabled=True).exists()
    ):
        return PayoutBackend.STRIPE_CONNECT, None
    method = ArtistPayoutMethod.objects.filter(artist_id=artist_id, is_default=True).first()
    if method is None:
        return None
    return METHOD_BACKENDS[method.method_type], method


def _notify(payout: Payout, *, title: str, message: str) -> None:
    user_id = Artist.objects.values_list("user_id", flat=True).get(pk=payout.artist_id)
    if user_id:
        notifications_create(
            recipient_ids=[user_id],
            notification_type=NotificationType.PAYOUT,
            title=title,
            message=message,
            resource_type="payout",
            resource_id=payout.pk,
        )


def _payout_booking(payout: Payout, *, kind: str, lines: list[Line]) -> Booking:
    return Booking(
        kind=kind,
        key=f"{kind}:{payout.pk}",
        lines=lines,
        currency=payout.currency,
        at=timezone.now(),
        payout_id=payout.pk,
        description=f"Payout for the week of {payout.period:%Y-%m-%d}",
    )


def payout_create(*, artist_id, period: date, now: datetime) -> Payout | None:
    """The artist's payout of the period, pending → processing, with its amount moved from
    what the platform owes them to payouts in transit; None when they already have one for
    the period, their balance is under the minimum, or they have no way to be paid."""
    with transaction.atomic():
        Artist.objects.select_for_update().get(pk=artist_id)
        if Payout.objects.filter(artist_id=artist_id, period=period).exists():
            return None
        available = artist_balance(artist_id=artist_id, now=now).available
        backend = _backend_of(artist_id)
        if available < settings.PAYOUT_MINIMUM or backend is None:
            return None
        payout = Payout.objects.create(
            artist_id=artist_id,
            period=period,
            amount=available,
            currency=settings.PAYMENTS_CURRENCY,
            backend=backend[0],
            payout_method=backend[1],
        )
        book(
            _payout_booking(
                payout,
                kind=TransactionKind.PAYOUT,
                lines=[
                    Line(Account.ARTIST_PAYABLE, EntryKind.PAYOUT, available, artist_id),
                    Line(Account.PAYOUTS_IN_TRANSIT, EntryKind.PAYOUT, -available),
                ],
            )
        )
        payout, _ = status_change(
            instance=payout,
            new_status=PayoutStatus.PROCESSING,
            transitions=PAYOUT_TRANSITIONS,
            entity_type="payout",
        )
        _notify(
            payout,
            title="Payout on its way",
            message=f"We are paying you {payout.amount} {payout.currency} "
            f"({payout.get_backend_display()}).",
        )
    return payout


def payout_mark_paid(*, payout: Payout, by=None, gateway_ref: str = "") -> Payout:
    """processing → paid, once: the money left the platform's cash."""
    with transaction.atomic():
        locked, changed = status_change(
            instance=payout,
            new_status=PayoutStatus.PAID,
            by=by,
            transitions=PAYOUT_TRANSITIONS,
            entity_type="payout",
        )
        if changed:
            if gateway_ref:
                locked.gateway_ref = gateway_ref
                locked.save(update_fields=["gateway_ref"])
            book(
                _payout_booking(
                    locked,
                    kind=TransactionKind.PAYOUT_PAID,
                    lines=[
                        Line(Account.PAYOUTS_IN_TRANSIT, EntryKind.PAYOUT, locked.amount),
                        Line(Account.PROCESSOR_CASH, EntryKind.PAYOUT, -locked.amount),
                    ],
                )
            )
            _notify(locked, title="Payout paid", message=f"{locked.amount} {locked.currency} paid.")
    return locked


def payout_mark_failed(*, payout: Payout, reason: str = "", by=None) -> Payout:
    """→ failed, once: the amount goes back to what the platform owes the artist (from
    payouts in transit, or from the cash when a paid transfer was reversed), so the next
    run pays it again."""
    with transaction.atomic():
        was = Payout.objects.select_for_update().values_list("status", flat=True).get(pk=payout.pk)
        locked, changed = status_change(
            instance=payout,
            new_status=PayoutStatus.FAILED,
            by=by,
            transitions=PAYOUT_TRANSITIONS,
            entity_type="payout",
            with_fields={"failure_reason": reason[:255]},
        )
        if changed:
            back_from = (
                Account.PROCESSOR_CASH if was == PayoutStatus.PAID else Account.PAYOUTS_IN_TRANSIT
            )
            book(
                _payout_booking(
                    locked,
                    kind=TransactionKind.PAYOUT_FAILED,
                    lines=[
                        Line(back_from, EntryKind.PAYOUT, locked.amount),
                        Line(
                            Account.ARTIST_PAYABLE,
                            EntryKind.PAYOUT,
                            -locked.amount,
                            locked.artist_id,
                        ),
                    ],
                )
            )
            _notify(
                locked,
                title="Payout failed",
                message=f"Your payout of {locked.amount} {locked.currency} failed"
                f"{': ' + reason if reason else ''}. It stays in your balance for the next run.",
            )
    return locked


@dataclass
class PayoutRun:
    period: date
    created: list[Payout] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.created), Decimal("0.00"))


def payouts_run(*, now: datetime | None = None) -> PayoutRun:
    """Pay every artist whose available balance reaches PAYOUT_MINIMUM, once per period.
    Safe to run again or at the same moment as another run: see the module's docstring.
    Connect payouts are transferred at once; file payouts wait for staff's batch."""
    # Imported here: the backends settle payouts through this module's status moves.
    from ledger.backends import backend_named

    now = now or timezone.now()
    run = PayoutRun(period=payout_period(now))
    for artist_id, _ in available_balances(now=now, minimum=settings.PAYOUT_MINIMUM):
        payout = payout_create(artist_id=artist_id, period=run.period, now=now)
        if payout is not None:
            run.created.append(payout)
            backend_named(payout.backend).send(payout=payout)
    return run
