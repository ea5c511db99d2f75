"""How a payout reaches the artist, behind one interface (`send`), and the files staff upload.

- Stripe Connect (Express): a transfer to the artist's connected account, at once;
  Stripe's answer (or a later `transfer.reversed`) decides paid or failed.
- SEPA credit transfer (IBAN methods) and PayPal Payouts (PayPal methods): nothing is sent
  by us; staff gather the waiting payouts into a batch in the admin, download its file
  (pain.001 XML or the Payouts CSV), upload it to the bank or PayPal, and mark the batch
  paid. Decrypted details exist only inside those files, never in logs or pages.
"""

import csv
import io
import json
import logging
import uuid
from datetime import date
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from sepaxml import SepaTransfer

from artists.crypto import decrypt_details
from ledger.models import (
    ConnectAccount,
    LedgerTransaction,
    Payout,
    PayoutBackend,
    PayoutBatch,
    PayoutStatus,
    TransactionKind,
)
from ledger.payouts import payout_mark_failed, payout_mark_paid
from ledger.services import ledger_fee_record
from musicplatform.db import well_formed_uuids
from notifications.models import Notification, NotificationType
from notifications.services import notifications_create
from payments.gateways.stripe import WEBHOOK_TOLERANCE_SECONDS, stripe_client
from payments.models import PaymentGateway

logger = logging.getLogger(__name__)

SEPA_SCHEMA = "pain.001.001.03"


class PayoutError(Exception):
    """A payout request we refuse; the message is meant for the person who made it."""


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_exact())


class StripeConnectBackend:
    name = PayoutBackend.STRIPE_CONNECT

    def send(self, *, payout: Payout) -> Payout:
        """Transfer the payout to the artist's connected account. The idempotency key is
        the payout, so a retried call (ours or the SDK's) is the same transfer."""
        account = ConnectAccount.objects.get(artist_id=payout.artist_id)
        try:
            transfer = stripe_client().v1.transfers.create(
                params={
                    "amount": to_cents(payout.amount),
                    "currency": payout.currency.lower(),
                    "destination": account.stripe_account_id,
                    "metadata": {"payout_id": str(payout.pk)},
                },
                options={"idempotency_key": f"payout-{payout.pk}"},
            )
        except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError):
            # Not decided: it stays processing, and `payouts_retry_transfers` tries the
            # same transfer (same key) again.
            logger.warning("Stripe did not answer the transfer of payout %s.", payout.pk)
            return payout
        except stripe.StripeError as error:
            return payout_mark_failed(payout=payout, reason=error.user_message or str(error))
        return payout_mark_paid(payout=payout, gateway_ref=transfer.id)


class FileBackend:
    """SEPA and PayPal payouts wait for staff's batch file."""

    def __init__(self, name: str):
        self.name = name

    def send(self, *, payout: Payout) -> Payout:
        return payout


def backend_named(name: str):
    if name == PayoutBackend.STRIPE_CONNECT:
        return StripeConnectBackend()
    return FileBackend(name)


def payouts_retry_transfers() -> int:
    """Connect payouts still processing (Stripe did not answer): sent again under the same
    idempotency key, so none is ever transferred twice. How many were sent."""
    waiting = Payout.objects.filter(
        backend=PayoutBackend.STRIPE_CONNECT, status=PayoutStatus.PROCESSING
    ).order_by("pk")
    for payout in waiting:
        StripeConnectBackend().send(payout=payout)
    return len(waiting)


def payout_batch_create(*, backend: str) -> PayoutBatch | None:
    """A batch of every file payout of `backend` waiting for one (locked in id order, so
    two staff members at once never put a payout in two batches); None if none waits."""
    if backend not in {PayoutBackend.SEPA, PayoutBackend.PAYPAL}:
        raise PayoutError("Only SEPA and PayPal payouts are sent as files.")
    with transaction.atomic():
        waiting = list(
            Payout.objects.select_for_update()
            .filter(backend=backend, status=PayoutStatus.PROCESSING, batch__isnull=True)
            .order_by("pk")
        )
        if not waiting:
            return None
        batch = PayoutBatch.objects.create(backend=backend)
        Payout.objects.filter(pk__in=[p.pk for p in waiting]).update(batch=batch)
    return batch


def _batch_payouts(batch: PayoutBatch) -> list[Payout]:
    return list(
        batch.payouts.filter(status=PayoutStatus.PROCESSING)
        .select_related("payout_method", "artist")
        .order_by("pk")
    )


def _details(payout: Payout) -> dict:
    if payout.payout_method is None:
        raise PayoutError(
            f"The payout method of {payout.artist.artist_name} was removed; mark that payout "
            "failed and it is paid by their new method next week."
        )
    return decrypt_details(payout.payout_method.account_details)


def sepa_file(*, batch: PayoutBatch, execution_date: date | None = None) -> bytes:
    """The batch as a SEPA credit-transfer initiation (pain.001.001.03), validated against
    the schema sepaxml ships before it is handed out."""
    transfer = SepaTransfer(
        {
            "name": settings.PAYOUT_SEPA_DEBTOR_NAME,
            "IBAN": settings.PAYOUT_SEPA_DEBTOR_IBAN,
            "BIC": settings.PAYOUT_SEPA_DEBTOR_BIC,
            "batch": True,
            "currency": settings.PAYMENTS_CURRENCY,
        },
        schema=SEPA_SCHEMA,
    )
    for payout in _batch_payouts(batch):
        details = _details(payout)
        transfer.add_payment(
            {
                "name": details.get("account_holder") or payout.artist.artist_name,
                "IBAN": details["iban"].replace(" ", "").upper(),
                "amount": to_cents(payout.amount),
                "execution_date": execution_date or timezone.localdate(),
                "description": f"Music Platform payout {payout.period:%Y-%m-%d}",
                "endtoend_id": payout.pk.hex[:35],
            }
        )
    _stamp_exported(batch)
    return transfer.export(validate=True)


PAYPAL_COLUMNS = ["Recipient", "Amount", "Currency", "Sender item ID", "Note"]


def paypal_csv(*, batch: PayoutBatch) -> str:
    """The batch as PayPal Payouts' upload file: one row per payout, by email."""
    out = io.StringIO()
    writer = csv.writer(out)
    for payout in _batch_payouts(batch):
        writer.writerow(
            [
                _details(payout)["paypal_email"],
                f"{payout.amount:.2f}",
                payout.currency,
                str(payout.pk),
                f"Music Platform payout {payout.period:%Y-%m-%d}",
            ]
        )
    _stamp_exported(batch)
    return out.getvalue()


def _stamp_exported(batch: PayoutBatch) -> None:
    PayoutBatch.objects.filter(pk=batch.pk, exported_at__isnull=True).update(
        exported_at=timezone.now()
    )


def payout_batch_mark_paid(*, batch: PayoutBatch, by) -> int:
    """Staff uploaded the batch's file and the bank or PayPal paid it: each payout still
    processing in it moves to paid (once). How many moved."""
    batch = PayoutBatch.objects.get(pk=batch.pk)
    if batch.exported_at is None:
        raise PayoutError("Download the batch's file and send it before marking it paid.")
    payouts = _batch_payouts(batch)
    with transaction.atomic():
        for payout in payouts:
            payout_mark_paid(payout=payout, by=by)
        PayoutBatch.objects.filter(pk=batch.pk).update(paid_at=timezone.now())
    return len(payouts)


def connect_onboarding_link(*, artist, refresh_url: str, return_url: str) -> str:
    """Where the artist sets up (or finishes) their Stripe Express account. The account is
    created once (idempotency key per artist) and kept."""
    if not settings.STRIPE_SECRET_KEY:
        raise PayoutError("Stripe is not configured: payouts go by bank transfer or PayPal.")
    client = stripe_client()
    try:
        with transaction.atomic():
            account = ConnectAccount.objects.select_for_update().filter(artist=artist).first()
            if account is None:
                created = client.v1.accounts.create(
                    params={
                        "type": "express",
                        "capabilities": {"transfers": {"requested": True}},
                        "metadata": {"artist_id": str(artist.pk)},
                    },
                    options={"idempotency_key": f"connect-account-{artist.pk}"},
                )
                account = ConnectAccount.objects.create(artist=artist, stripe_account_id=created.id)
        link = client.v1.account_links.create(
            params={
                "account": account.stripe_account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise PayoutError(
            "Stripe is not answering right now; please try again in a few minutes."
        ) from error
    return link.url


def stripe_fee_of(*, stripe_payment_id: str) -> Decimal | None:
    """Stripe's fee on a PaymentIntent, from its charge's balance transaction; None while
    Stripe has not settled it yet."""
    intent = (
        stripe_client()
        .v1.payment_intents.retrieve(
            stripe_payment_id, params={"expand": ["latest_charge.balance_transaction"]}
        )
        .to_dict()
    )
    charge = intent.get("latest_charge")
    balance_transaction = charge.get("balance_transaction") if charge else None
    if not balance_transaction or isinstance(balance_transaction, str):
        return None
    return (Decimal(balance_transaction["fee"]) / 100).quantize(Decimal("0.01"))


def stripe_fees_record() -> int:
    """Book Stripe's fee of each booked Stripe payment that has none yet (its balance
    transaction settles after the payment); payments Stripe has not settled wait for the
    next run. How many were booked."""
    booked = LedgerTransaction.objects.filter(
        kind=TransactionKind.FEE, payment_id=OuterRef("payment_id")
    )
    waiting = (
        LedgerTransaction.objects.filter(
            kind=TransactionKind.PAYMENT,
            payment__gateway=PaymentGateway.STRIPE,
            payment__stripe_payment_id__isnull=False,
        )
        .exclude(Exists(booked))
        .select_related("payment")
        .order_by("created_at")
    )
    recorded = 0
    for tx in waiting:
        try:
            fee = stripe_fee_of(stripe_payment_id=tx.payment.stripe_payment_id)
        except stripe.StripeError:
            logger.warning("Stripe fee of payment %s not read yet.", tx.payment_id)
            continue
        if fee is not None:
            recorded += ledger_fee_record(payment=tx.payment, fee=fee) is not None
    return recorded


def connect_webhook_verify(*, body: bytes, signature: str | None) -> dict:
    """The event in `body` if `signature` proves it is Stripe's and recent; else raises.
    Connect events come to their own endpoint, signed with its own secret."""
    stripe.WebhookSignature.verify_header(
        body.decode("utf-8"),
        signature,
        settings.STRIPE_CONNECT_WEBHOOK_SECRET or settings.STRIPE_WEBHOOK_SECRET,
        tolerance=WEBHOOK_TOLERANCE_SECONDS,
    )
    return json.loads(body)


def _payout_of(obj: dict) -> Payout | None:
    payout_id = (obj.get("metadata") or {}).get("payout_id")
    ids = well_formed_uuids([payout_id]) if isinstance(payout_id, str) else []
    return Payout.objects.filter(pk=ids[0]).first() if ids else None


def connect_event_handle(*, payload: dict) -> None:
    """Apply one verified Connect event; each effect happens once however often it is told
    (status moves are idempotent). Unknown accounts, payouts and types change nothing."""
    event_type, obj = payload["type"], payload["data"]["object"]
    if not isinstance(event_type, str) or not isinstance(obj, dict):
        raise ValueError("the event has no type or no object")
    if event_type == "account.updated":
        ConnectAccount.objects.filter(stripe_account_id=obj.get("id")).update(
            payouts_enabled=obj.get("payouts_enabled") is True
        )
    elif event_type in {"transfer.created", "transfer.updated"}:
        # The answer to our transfer was lost (a timeout): Stripe's news settles it.
        payout = _payout_of(obj)
        if payout is not None and payout.status == PayoutStatus.PROCESSING:
            payout_mark_paid(payout=payout, gateway_ref=str(obj.get("id", ""))[:255])
    elif event_type == "transfer.reversed":
        payout = _payout_of(obj)
        if payout is not None:
            payout_mark_failed(payout=payout, reason="Stripe reversed the transfer.")
    elif event_type == "payout.failed":
        # The artist's own Stripe balance could not reach their bank: the money is theirs
        # at Stripe already (no booking); they are told to fix their bank details there.
        account = (
            ConnectAccount.objects.filter(stripe_account_id=payload.get("account"))
            .select_related("artist")
            .first()
        )
        # Told once per Stripe event, however often Stripe delivers it.
        told = uuid.uuid5(uuid.NAMESPACE_URL, f"stripe-event:{payload.get('id')}")
        if (
            account is not None
            and account.artist.user_id
            and not Notification.objects.filter(
                related_resource_type="stripe_event", related_resource_id=told
            ).exists()
        ):
            notifications_create(
                recipient_ids=[account.artist.user_id],
                notification_type=NotificationType.PAYOUT,
                title="Stripe could not pay your bank",
                message="Check your bank details in your Stripe account; Stripe will try again.",
                resource_type="stripe_event",
                resource_id=told,
            )
