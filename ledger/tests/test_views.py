"""The artist's Earnings page and statements: what they show, at a constant query count."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import sign_in_recently
from artists.tests.factories import ArtistFactory, ArtistPayoutMethodFactory
from ledger.payouts import payout_mark_failed, payouts_run
from payments.services import payment_refund

from .helpers import earn

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def plain_money(settings):
    settings.STRIPE_SECRET_KEY = None
    settings.PLATFORM_COMMISSION_PERCENT = D("10")
    settings.LEDGER_TEST_FEE_PERCENT = D("2")
    settings.LEDGER_TEST_FEE_FIXED = D("0")
    settings.PAYOUT_MINIMUM = D("20.00")


@pytest.fixture
def artist(client):
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(artist=artist)
    sign_in_recently(client, artist.user)
    return artist


def test_the_dashboard_links_to_earnings(client, artist):
    page = client.get(reverse("artists:dashboard", args=[artist.pk]))
    assert reverse("ledger:earnings", args=[artist.pk]) in page.text


def test_earnings_show_the_balance_each_month_and_each_payout(client, artist):
    payment = earn(artist, "100.00", days_ago=9)
    earn(artist, "50.00", days_ago=1)  # still pending
    (payout,) = payouts_run().created  # 100 - 10 - 2 = 88.00
    payment_refund(payment=payment, amount=D("10.00"))  # 9.00 owed back

    page = client.get(reverse("ledger:earnings", args=[artist.pk])).text

    assert "Available</dt><dd>-$9.00" in page
    assert "Pending</dt><dd>$44.00" in page  # 50 - 5 - 1
    for figure in ["$150.00", "$3.00", "$14.00", "$10.00", "$123.00"]:
        # gross, fees, commission (15 less 1 given back), refunds, net
        assert figure in page, figure
    assert "$88.00" in page and "Processing" in page
    payout_mark_failed(payout=payout, reason="Account closed.")
    assert (
        "Failed: Account closed." in client.get(reverse("ledger:earnings", args=[artist.pk])).text
    )


def test_the_csv_statement_has_each_month_and_each_payout(client, artist):
    earn(artist, "100.00")
    payouts_run()

    response = client.get(reverse("ledger:statement_csv", args=[artist.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "gross", "fees", "commission", "refunds", "net", "payouts"]
    total = rows.index([]) - 1
    assert rows[total] == ["total", "100.00", "2.00", "10.00", "0.00", "88.00", "88.00"]
    assert rows[total + 2] == ["payout", "created", "amount", "currency", "method", "status"]
    assert rows[total + 3][2:] == ["88.00", "USD", "SEPA credit transfer file", "Processing"]


def test_the_printable_statement_has_the_same_numbers(client, artist):
    earn(artist, "100.00")
    page = client.get(reverse("ledger:statement_print", args=[artist.pk])).text
    assert f"Earnings statement: {artist.artist_name}" in page
    assert "$88.00" in page


def test_another_artist_cannot_see_earnings(client):
    owner = ArtistFactory()
    earn(owner, "100.00")
    sign_in_recently(client, ArtistFactory().user)
    for name in ["ledger:earnings", "ledger:statement_csv", "ledger:statement_print"]:
        assert client.get(reverse(name, args=[owner.pk])).status_code == 404


@pytest.mark.parametrize("months", [1, 6])
def test_the_earnings_page_runs_the_same_queries_at_any_size(
    client, artist, django_assert_num_queries, months
):
    for month in range(months):
        for _ in range(months):
            earn(artist, "30.00", days_ago=10 + 31 * month)
    payouts_run()
    client.get(reverse("ledger:earnings", args=[artist.pk]))  # session warmed

    # The artist, the balance, the months, the payouts (the session, the user and the
    # header's unread count come from Redis).
    with django_assert_num_queries(EARNINGS_QUERIES):
        assert client.get(reverse("ledger:earnings", args=[artist.pk])).status_code == 200


EARNINGS_QUERIES = 4
