"""Bank-transfer and PayPal payouts: staff gather them into a batch in the admin, download
its SEPA (pain.001) or PayPal Payouts file, and mark it paid. Decrypted details appear in
those files only."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.urls import reverse

from accounts.tests.factories import UserFactory
from artists.crypto import encrypt_details
from artists.models import PayoutMethodType
from artists.tests.factories import PAYOUT_IBAN, ArtistFactory, ArtistPayoutMethodFactory
from ledger.backends import PayoutError, payout_batch_create, payout_batch_mark_paid, sepa_file
from ledger.models import PayoutBackend, PayoutBatch, PayoutStatus
from ledger.payouts import payouts_run
from ledger.selectors import artist_balance

from .helpers import earn

pytestmark = pytest.mark.django_db

D = Decimal
PAIN_001_XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture(autouse=True)
def plain_money(settings):
    settings.STRIPE_SECRET_KEY = None
    settings.PLATFORM_COMMISSION_PERCENT = D("10")
    settings.LEDGER_TEST_FEE_PERCENT = D("0")
    settings.LEDGER_TEST_FEE_FIXED = D("0")
    settings.PAYOUT_MINIMUM = D("20.00")
    settings.PAYMENTS_CURRENCY = "EUR"


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def paypal_artist(email: str):
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(
        artist=artist,
        method_type=PayoutMethodType.PAYPAL,
        account_details=encrypt_details({"paypal_email": email}),
    )
    return artist


def test_staff_download_a_sepa_file_that_validates_against_pain_001(staff_client):
    artists = [ArtistFactory(), ArtistFactory()]
    for artist, amount in zip(artists, ["100.00", "50.00"], strict=True):
        ArtistPayoutMethodFactory(artist=artist)
        earn(artist, amount)
    payouts_run()
    changelist = reverse("admin:ledger_payoutbatch_changelist")

    staff_client.post(reverse("admin:ledger_payoutbatch_gather"), {"backend": "sepa"})
    batch = PayoutBatch.objects.get()
    response = staff_client.post(
        changelist, {"action": "download_file", "_selected_action": [batch.pk]}
    )

    assert response["Content-Type"] == "application/xml"
    xml = response.content
    xmlschema.XMLSchema(PAIN_001_XSD).validate(xml.decode())
    assert PAYOUT_IBAN.encode() in xml
    assert b"<CtrlSum>135.00</CtrlSum>" in xml  # 90.00 + 45.00
    assert b"<NbOfTxs>2</NbOfTxs>" in xml


def test_bank_details_never_show_in_the_admins_lists_or_pages(staff_client):
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(artist=artist)
    earn(artist, "100.00")
    (payout,) = payouts_run().created
    payout_batch_create(backend=PayoutBackend.SEPA)

    pages = [
        reverse("admin:ledger_payout_changelist"),
        reverse("admin:ledger_payout_change", args=[payout.pk]),
        reverse("admin:ledger_payoutbatch_changelist"),
        reverse("admin:ledger_ledgertransaction_changelist"),
    ]
    for page in pages:
        response = staff_client.get(page)
        assert response.status_code == 200
        assert PAYOUT_IBAN not in response.text


def test_staff_download_a_paypal_payouts_csv(staff_client):
    artist = paypal_artist("echoes@example.com")
    earn(artist, "100.00")
    (payout,) = payouts_run().created

    staff_client.post(reverse("admin:ledger_payoutbatch_gather"), {"backend": "paypal"})
    batch = PayoutBatch.objects.get()
    response = staff_client.post(
        reverse("admin:ledger_payoutbatch_changelist"),
        {"action": "download_file", "_selected_action": [batch.pk]},
    )

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
            "echoes@example.com",
            "90.00",
            "EUR",
            str(payout.pk),
            f"Music Platform payout {payout.period}",
        ]
    ]


def test_a_batch_is_marked_paid_only_after_its_file_was_downloaded(staff_client):
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(artist=artist)
    earn(artist, "100.00")
    (payout,) = payouts_run().created
    batch = payout_batch_create(backend=PayoutBackend.SEPA)

    with pytest.raises(PayoutError, match="Download"):
        payout_batch_mark_paid(batch=batch, by=None)
    sepa_file(batch=batch)
    staff_client.post(
        reverse("admin:ledger_payoutbatch_changelist"),
        {"action": "mark_paid", "_selected_action": [batch.pk]},
    )

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert artist_balance(artist_id=artist.pk).available == D("0.00")


def test_a_payout_is_gathered_into_one_batch_only():
    artist = ArtistFactory()
    ArtistPayoutMethodFactory(artist=artist)
    earn(artist, "100.00")
    payouts_run()

    assert payout_batch_create(backend=PayoutBackend.SEPA) is not None
    assert payout_batch_create(backend=PayoutBackend.SEPA) is None


def test_staff_see_totals_per_month(staff_client):
    artist = ArtistFactory()
    earn(artist, "100.00")

    response = staff_client.get(reverse("admin:ledger_ledgertransaction_totals"))

    assert response.status_code == 200
    assert "€100.00" in response.text  # fans paid
    assert "€10.00" in response.text  # the platform's commission
