"""The books: double-entry transactions, and the payouts that pay artists from them.

Every entry is signed (debit positive, credit negative); a transaction's entries sum to
zero per currency, which a deferred constraint trigger checks at commit (migration 0001).
Entries are never edited or deleted: a refund or a failed payout is a new, reversing
transaction.
"""

from django.db import models
from django.db.models import Q

from musicplatform.db import CurrentTimestamp, created_at, updated_at, uuid_primary_key


class Account(models.TextChoices):
    # Fans' money at the payment processor: gross payments in; fees, refunds and payouts out.
    PROCESSOR_CASH = "processor_cash", "Fan payments (cash at processor)"
    # What the processor kept and the platform bears (fees on artists' sales are charged
    # to the artists' shares).
    PROCESSOR_FEES = "processor_fees", "Processor fees"
    # Commission on artists' sales, and whole payments that earn no artist (featured).
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    # What the platform owes one artist (entries carry the artist).
    ARTIST_PAYABLE = "artist_payable", "Payable to artist"
    # Payouts sent and not yet confirmed paid.
    PAYOUTS_IN_TRANSIT = "payouts_in_transit", "Payouts in transit"


class EntryKind(models.TextChoices):
    """What an entry is, for statements: an artist's month reads gross, fees, commission,
    refunds and payouts straight from these."""

    GROSS = "gross", "Gross"
    FEE = "fee", "Processor fee"
    COMMISSION = "commission", "Platform commission"
    REFUND = "refund", "Refund"
    PAYOUT = "payout", "Payout"


class TransactionKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    FEE = "fee", "Processor fee"
    REFUND = "refund", "Refund"
    # A chargeback: booked like a refund of the disputed amount; reversed if we win it.
    DISPUTE = "dispute", "Dispute (chargeback)"
    DISPUTE_WON = "dispute_won", "Dispute won"
    PAYOUT = "payout", "Payout sent"
    PAYOUT_PAID = "payout_paid", "Payout paid"
    PAYOUT_FAILED = "payout_failed", "Payout failed"


class LedgerTransaction(models.Model):
    id = uuid_primary_key("transaction_id")
    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    # What makes this transaction once: "payment:<id>", "fee:<id>", "refund:<id>:<cents>",
    # "dispute:<dp_…>", "payout:<id>", …; a second report of the same movement finds it and writes nothing.
    idempotency_key = models.CharField(max_length=200, unique=True)
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    payout = models.ForeignKey(
        "ledger.Payout",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )
    description = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_at = created_at()

    class Meta:
        db_table = "ledger_transactions"
        indexes = [
            models.Index(fields=["payment"], name="idx_ledger_tx_payment_id"),
            models.Index(fields=["payout"], name="idx_ledger_tx_payout_id"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


# Books outlive everything they name: the foreign keys are plain (NO ACTION, deferred), so
# deleting an artist, payment or payout with entries is refused by the database.
class LedgerEntry(models.Model):
    id = uuid_primary_key("entry_id")
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.DO_NOTHING, related_name="entries", db_index=False
    )
    account = models.CharField(max_length=30, choices=Account.choices)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    artist = models.ForeignKey(
        "artists.Artist",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Debit positive, credit negative: an artist's earnings are negative entries on
    # ARTIST_PAYABLE (the platform's debt grows).
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    # When the money moved (a payment's completion, a refund): statements group by it.
    booked_at = models.DateTimeField(db_default=CurrentTimestamp())
    # When the entry counts towards an artist's available balance: earnings after the
    # holding period (LEDGER_HOLDING_DAYS), refunds and payouts at once.
    available_at = models.DateTimeField()
    created_at = created_at()

    class Meta:
        db_table = "ledger_entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(account=Account.ARTIST_PAYABLE, artist__isnull=False)
                | (~Q(account=Account.ARTIST_PAYABLE) & Q(artist__isnull=True)),
                name="ledger_entries_artist_iff_payable",
            ),
        ]
        indexes = [
            models.Index(fields=["transaction"], name="idx_ledger_entries_tx_id"),
            # Balances and statements of one artist.
            models.Index(fields=["artist", "available_at"], name="idx_ledger_entries_artist"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


# Every move a payout may make; status_change() enforces it.
PAYOUT_TRANSITIONS = {
    PayoutStatus.PENDING: (PayoutStatus.PROCESSING, PayoutStatus.FAILED),
    PayoutStatus.PROCESSING: (PayoutStatus.PAID, PayoutStatus.FAILED),
    # Stripe reversed a transfer it had made (transfer.reversed): the money came back.
    PayoutStatus.PAID: (PayoutStatus.FAILED,),
}


class PayoutBackend(models.TextChoices):
    STRIPE_CONNECT = "stripe_connect", "Stripe Connect transfer"
    SEPA = "sepa", "SEPA credit transfer file"
    PAYPAL = "paypal", "PayPal Payouts file"


class PayoutBatch(models.Model):
    """Payouts staff send together by uploading one file (SEPA or PayPal) and then mark paid."""

    id = uuid_primary_key("batch_id")
    backend = models.CharField(max_length=20, choices=PayoutBackend.choices)
    exported_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "payout_batches"
        verbose_name_plural = "payout batches"

    def __str__(self) -> str:
        return f"{self.get_backend_display()} batch of {self.created_at:%Y-%m-%d}"


class Payout(models.Model):
    id = uuid_primary_key("payout_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DO_NOTHING, related_name="payouts", db_index=False
    )
    # The run's period (the Monday of its week): one payout per artist and period, so
    # repeated or concurrent runs never pay twice.
    period = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    backend = models.CharField(max_length=20, choices=PayoutBackend.choices)
    payout_method = models.ForeignKey(
        "artists.ArtistPayoutMethod",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    batch = models.ForeignKey(
        PayoutBatch,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="payouts",
        db_index=False,
    )
    status = models.CharField(
        max_length=20,
        choices=PayoutStatus.choices,
        default=PayoutStatus.PENDING,
        db_default=PayoutStatus.PENDING,
    )
    # Stripe's transfer id (tr_…) for Connect payouts.
    gateway_ref = models.CharField(max_length=255, blank=True, default="", db_default="")
    failure_reason = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "payouts"
        constraints = [
            models.UniqueConstraint(fields=["artist", "period"], name="payouts_artist_period_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payouts_amount_positive"),
        ]
        indexes = [models.Index(fields=["batch"], name="idx_payouts_batch_id")]

    def __str__(self) -> str:
        return f"Payout of {self.amount} {self.currency} to {self.artist_id}"


class ConnectAccount(models.Model):
    """An artist's Stripe Connect (Express) account, paid by transfers when Stripe is on."""

    id = uuid_primary_key("connect_account_id")
    artist = models.OneToOneField(
        "artists.Artist", on_delete=models.DB_CASCADE, related_name="connect_account"
    )
    stripe_account_id = models.CharField(max_length=255, unique=True)
    # Stripe's `payouts_enabled` from `account.updated`: only then are transfers made.
    payouts_enabled = models.BooleanField(default=False, db_default=False)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "stripe_connect_accounts"

    def __str__(self) -> str:
        return self.stripe_account_id
