"""Two payout runs at the same moment, on their own connections: each artist paid once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from artists.tests.factories import ArtistFactory, ArtistPayoutMethodFactory
from ledger.models import Account, LedgerEntry, Payout
from ledger.payouts import payouts_run

from .helpers import earn

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as error:  # the test inspects every outcome
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_runs_at_once_pay_each_artist_exactly_once(settings):
    settings.STRIPE_SECRET_KEY = None
    settings.PAYOUT_MINIMUM = Decimal("20.00")
    artists = ArtistFactory.create_batch(8)
    for artist in artists:
        ArtistPayoutMethodFactory(artist=artist)
        earn(artist, "100.00")

    runs = run_together(2, payouts_run)

    assert not [r for r in runs if isinstance(r, Exception)], runs
    assert sum(len(r.created) for r in runs) == len(artists)
    assert Payout.objects.count() == len(artists)
    for artist in artists:
        paid_out = LedgerEntry.objects.filter(
            account=Account.ARTIST_PAYABLE, artist=artist, kind="payout"
        ).aggregate(total=Sum("amount"))["total"]
        assert paid_out == Payout.objects.get(artist=artist).amount
