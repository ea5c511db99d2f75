"""Stripe Connect payouts against Stripe's HTTP API (stubbed with `responses`) and its
genuinely signed Connect webhooks; Stripe's fee read from the balance transaction."""

import json
from decimal import Decimal

import pytest
import responses
from django.urls import reverse

from accounts.tests.factories import sign_in_recently
from artists.tests.factories import ArtistFactory
from ledger.backends import payouts_retry_transfers, stripe_fees_record
from ledger.models import ConnectAccount, LedgerTransaction, Payout, PayoutStatus
from ledger.payouts import payouts_run
from ledger.selectors import artist_balance
from ledger.services import ledger_payment_record
from notifications.models import Notification
from payments.models import PaymentGateway
from payments.tests import stripe_stub
from shop.tests.factories import PaymentFactory

from .helpers import earn

pytestmark = pytest.mark.django_db

D = Decimal
WEBHOOK = "/payouts/webhooks/stripe/"


@pytest.fixture(autouse=True)
def _stripe(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = stripe_stub.WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = None
    settings.PLATFORM_COMMISSION_PERCENT = D("10")
    settings.LEDGER_TEST_FEE_PERCENT = D("0")
    settings.LEDGER_TEST_FEE_FIXED = D("0")
    settings.PAYOUT_MINIMUM = D("20.00")


@pytest.fixture
def stripe_api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def connected_artist(*, enabled=True):
    artist = ArtistFactory()
    ConnectAccount.objects.create(
        artist=artist, stripe_account_id=f"acct_{artist.pk.hex[:16]}", payouts_enabled=enabled
    )
    return artist


def transfer_answer(request):
    body = stripe_stub.form_body_of(request)
    transfer = {
        "id": "tr_1TestTransfer",
        "object": "transfer",
        "amount": int(body["amount"][0]),
        "currency": body["currency"][0],
        "destination": body["destination"][0],
        "metadata": {"payout_id": body["metadata[payout_id]"][0]},
        "reversed": False,
    }
    return 200, {"Request-Id": "req_1"}, json.dumps(transfer)


def post_connect_webhook(client, event: dict, *, signature: str | None = None):
    body = json.dumps(event)
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature or stripe_stub.sign(body)},
    )


def test_a_connected_artist_is_paid_by_a_transfer_keyed_by_the_payout(stripe_api):
    artist = connected_artist()
    earn(artist, "100.00")
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/transfers", callback=transfer_answer
    )

    (payout,) = payouts_run().created

    payout.refresh_from_db()
    assert (payout.status, payout.gateway_ref) == (PayoutStatus.PAID, "tr_1TestTransfer")
    sent = stripe_api.calls[0].request
    assert stripe_stub.form_body_of(sent)["amount"] == ["9000"]
    assert stripe_stub.form_body_of(sent)["destination"] == [f"acct_{artist.pk.hex[:16]}"]
    assert sent.headers["Idempotency-Key"] == f"payout-{payout.pk}"


def test_an_artist_whose_stripe_account_is_not_ready_is_not_transferred_to(stripe_api):
    artist = connected_artist(enabled=False)
    earn(artist, "100.00")

    assert payouts_run().created == []


def test_a_refused_transfer_fails_the_payout_and_keeps_the_money_for_the_artist(stripe_api):
    artist = connected_artist()
    earn(artist, "100.00")
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/transfers",
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Insufficient funds."}},
    )

    (payout,) = payouts_run().created

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert artist_balance(artist_id=artist.pk).available == D("90.00")


def test_a_transfer_stripe_did_not_answer_is_sent_again_under_the_same_key(stripe_api):
    artist = connected_artist()
    earn(artist, "100.00")
    stripe_api.add(responses.POST, f"{stripe_stub.API}/v1/transfers", status=503, json={})

    (payout,) = payouts_run().created
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PROCESSING

    stripe_api.remove(responses.POST, f"{stripe_stub.API}/v1/transfers")
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/transfers", callback=transfer_answer
    )
    payouts_retry_transfers()

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert keys == {f"payout-{payout.pk}"}


def test_the_artist_starts_stripe_onboarding_from_their_payouts_page(client, stripe_api):
    artist = ArtistFactory()
    sign_in_recently(client, artist.user)
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/accounts",
        json={"id": "acct_1NewExpress", "object": "account", "payouts_enabled": False},
    )
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/account_links",
        json={
            "object": "account_link",
            "url": "https://connect.stripe.com/setup/e/acct_1NewExpress/x",
        },
    )
    page = client.get(reverse("artists:payouts", args=[artist.pk]))
    assert reverse("ledger:connect", args=[artist.pk]) in page.text

    response = client.post(reverse("ledger:connect_start", args=[artist.pk]))

    assert response.status_code == 302
    assert response["Location"] == "https://connect.stripe.com/setup/e/acct_1NewExpress/x"
    assert ConnectAccount.objects.get(artist=artist).stripe_account_id == "acct_1NewExpress"
    assert stripe_stub.form_body_of(stripe_api.calls[0].request)["type"] == ["express"]


def test_someone_else_cannot_onboard_an_artist(client):
    artist = ArtistFactory()
    other = ArtistFactory()
    sign_in_recently(client, other.user)

    assert client.post(reverse("ledger:connect_start", args=[artist.pk])).status_code == 404
    assert not ConnectAccount.objects.exists()


def test_account_updated_enables_payouts_once_signed_by_stripe(client):
    artist = connected_artist(enabled=False)
    account_id = artist.connect_account.stripe_account_id
    event = stripe_stub.event(
        "account.updated", {"id": account_id, "object": "account", "payouts_enabled": True}
    )

    forged = post_connect_webhook(client, event, signature="t=1,v1=forged")
    assert forged.status_code == 400
    assert not ConnectAccount.objects.get(artist=artist).payouts_enabled

    assert post_connect_webhook(client, event).status_code == 200
    assert ConnectAccount.objects.get(artist=artist).payouts_enabled


def test_a_reversed_transfer_fails_the_paid_payout_and_gives_the_balance_back(client, stripe_api):
    artist = connected_artist()
    earn(artist, "100.00")
    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/transfers", callback=transfer_answer
    )
    (payout,) = payouts_run().created
    event = stripe_stub.event(
        "transfer.reversed",
        {"id": "tr_1TestTransfer", "object": "transfer", "metadata": {"payout_id": str(payout.pk)}},
    )

    assert post_connect_webhook(client, event).status_code == 200
    assert post_connect_webhook(client, event).status_code == 200  # told twice

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.FAILED
    assert artist_balance(artist_id=artist.pk).available == D("90.00")
    assert LedgerTransaction.objects.filter(payout=payout, kind="payout_failed").count() == 1


def test_a_malformed_connect_event_is_refused(client):
    body = json.dumps({"id": "evt_1", "type": "account.updated"})
    response = client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": stripe_stub.sign(body)},
    )
    assert response.status_code == 400


def test_stripes_fee_is_read_from_the_balance_transaction_and_booked_once(stripe_api):
    payment = PaymentFactory(
        for_subscription=True, gateway=PaymentGateway.STRIPE, stripe_payment_id="pi_1Fee"
    )
    ledger_payment_record(payment=payment)
    stripe_api.add(
        responses.GET,
        f"{stripe_stub.API}/v1/payment_intents/pi_1Fee",
        json={
            "id": "pi_1Fee",
            "object": "payment_intent",
            "latest_charge": {
                "id": "ch_1",
                "object": "charge",
                "balance_transaction": {"id": "txn_1", "object": "balance_transaction", "fee": 102},
            },
        },
    )

    assert stripe_fees_record() == 1
    assert stripe_fees_record() == 0

    fee = LedgerTransaction.objects.get(payment=payment, kind="fee")
    assert sorted(fee.entries.values_list("account", "amount"))[0] == ("artist_payable", D("1.02"))
    assert "expand[0]=latest_charge.balance_transaction" in stripe_api.calls[0].request.url.replace(
        "%5B", "["
    ).replace("%5D", "]")
    assert Payout.objects.count() == 0


def test_a_failed_bank_payout_at_stripe_is_told_to_the_artist_once(client):
    artist = connected_artist()
    event = stripe_stub.event(
        "payout.failed", {"id": "po_1Failed", "object": "payout", "status": "failed"}
    )
    event["account"] = artist.connect_account.stripe_account_id

    post_connect_webhook(client, event)
    post_connect_webhook(client, event)

    told = Notification.objects.filter(user=artist.user, notification_type="payout")
    assert [n.title for n in told] == ["Stripe could not pay your bank"]
