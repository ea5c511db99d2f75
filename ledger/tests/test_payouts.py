"""The payout run: every artist with enough available is paid once per week, by their
default method; refunds after a payout are recovered from later earnings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from artists.models import PayoutMethodType
from artists.tests.factories import ArtistFactory, ArtistPayoutMethodFactory
from ledger.models import Account, LedgerEntry, Payout, PayoutBackend, PayoutStatus
from ledger.payouts import payout_mark_failed, payouts_run
from ledger.selectors import artist_balance
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification
from payments.services import payment_refund

from .helpers import earn

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def plain_money(settings):
    """10 % commission, no processor fee, payouts from 20.00: sums a reader can check."""
    settings.PLATFORM_COMMISSION_PERCENT = D("10")
    settings.LEDGER_TEST_FEE_PERCENT = D("0")
    settings.LEDGER_TEST_FEE_FIXED = D("0")
    settings.PAYOUT_MINIMUM = D("20.00")
    settings.STRIPE_SECRET_KEY = None


def artist_with_method(method_type=PayoutMethodType.BANK_TRANSFER):
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(artist=artist, method_type=method_type)
    return artist


def test_the_run_pays_each_artist_their_available_balance_by_their_default_method():
    bank, paypal = artist_with_method(), artist_with_method(PayoutMethodType.PAYPAL)
    earn(bank, "100.00")
    earn(paypal, "50.00")
    earn(paypal, "30.00", days_ago=2)  # still held: not paid this week

    run = payouts_run()

    payouts = {p.artist_id: p for p in Payout.objects.all()}
    assert len(run.created) == 2
    assert (payouts[bank.pk].amount, payouts[bank.pk].backend) == (D("90.00"), PayoutBackend.SEPA)
    assert (payouts[paypal.pk].amount, payouts[paypal.pk].backend) == (
        D("45.00"),
        PayoutBackend.PAYPAL,
    )
    assert all(p.status == PayoutStatus.PROCESSING for p in payouts.values())
    assert artist_balance(artist_id=bank.pk).available == D("0.00")
    assert artist_balance(artist_id=paypal.pk) == type(artist_balance(artist_id=paypal.pk))(
        pending=D("27.00"), available=D("0.00"), currency="USD"
    )


def test_a_second_run_in_the_same_week_pays_nobody_again():
    artist = artist_with_method()
    earn(artist, "100.00")
    payouts_run()
    earn(artist, "40.00")  # more available now, but this week's payout is made

    again = payouts_run()

    assert again.created == []
    assert Payout.objects.filter(artist=artist).count() == 1
    next_week = payouts_run(now=timezone.now() + timedelta(days=7))
    assert [p.amount for p in next_week.created] == [D("36.00")]


def test_artists_under_the_minimum_or_without_a_method_are_not_paid():
    small = artist_with_method()
    earn(small, "20.00")  # 18.00 after commission
    no_method = ArtistFactory()
    earn(no_method, "100.00")

    assert payouts_run().created == []
    assert artist_balance(artist_id=no_method.pk).available == D("90.00")


def test_payouts_move_through_status_change_with_history_and_the_artist_is_told():
    artist = artist_with_method()
    earn(artist, "100.00")

    (payout,) = payouts_run().created

    history = StatusHistory.objects.filter(entity_type="payout", entity_id=payout.pk)
    assert list(history.values_list("old_status", "new_status")) == [("pending", "processing")]
    notification = Notification.objects.get(user=artist.user, notification_type="payout")
    assert "90.00" in notification.message


def test_a_failed_payout_puts_the_money_back_for_the_next_run():
    artist = artist_with_method()
    earn(artist, "100.00")
    (payout,) = payouts_run().created

    payout_mark_failed(payout=payout, reason="The bank refused the account.")
    payout_mark_failed(payout=payout, reason="Told twice.")

    assert artist_balance(artist_id=artist.pk).available == D("90.00")
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "The bank refused the account.")
    assert LedgerEntry.objects.filter(transaction__payout=payout).count() == 4


def test_a_refund_after_the_payout_leaves_a_negative_balance_recovered_from_later_earnings():
    artist = artist_with_method()
    payment = earn(artist, "100.00")
    payouts_run()

    payment_refund(payment=payment, amount=D("50.00"))

    # 50.00 given back to the fan: the artist's 45.00 share of it is owed back.
    assert artist_balance(artist_id=artist.pk).available == D("-45.00")
    assert payouts_run(now=timezone.now() + timedelta(days=7)).created == []
    earn(artist, "100.00", days_ago=8)
    (recovered,) = payouts_run(now=timezone.now() + timedelta(days=7)).created
    assert recovered.amount == D("45.00")  # 90.00 earned less the 45.00 owed


def test_the_ledger_holds_the_payout_in_transit_until_it_is_paid():
    from ledger.payouts import payout_mark_paid

    artist = artist_with_method()
    earn(artist, "100.00")
    (payout,) = payouts_run().created

    def in_transit():
        entries = LedgerEntry.objects.filter(account=Account.PAYOUTS_IN_TRANSIT)
        return sum((e.amount for e in entries), D("0.00"))

    assert in_transit() == D("-90.00")
    payout_mark_paid(payout=payout)
    assert in_transit() == D("0.00")


def test_the_management_command_runs_the_same_payouts(capsys):
    artist = artist_with_method()
    earn(artist, "100.00")

    call_command("payouts_run")
    call_command("payouts_run")

    assert Payout.objects.filter(artist=artist).count() == 1
    out = capsys.readouterr().out
    assert "1 payouts, 90.00 in all" in out
    assert "0 payouts" in out


def test_beats_task_runs_the_payouts(settings):
    from ledger.tasks import payouts_run as payouts_run_task

    assert settings.CELERY_BEAT_SCHEDULE["ledger-payouts-run"]["task"] == payouts_run_task.name
    artist = artist_with_method()
    earn(artist, "100.00")

    assert payouts_run_task.delay().get() == 1
    assert payouts_run_task.delay().get() == 0
