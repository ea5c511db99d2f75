"""What was paid, through which gateway, and what the gateways told us (docs/payments.md).

The tables keep their names from when payments lived in the shop (moved by state-only
migrations, no row copied). What a payment pays for is named by lazy references
("shop.Order", "communities.CommunitySubscription"): this app imports no domain app.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from musicplatform.db import CurrentTimestamp, created_at, uuid_primary_key


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # An off-session charge (a renewal) the payer's bank wants them to confirm on-session
    # (3-D Secure / SCA); the payer was sent a link to do so (docs/payments.md).
    REQUIRES_ACTION = "requires_action", "Waiting for your confirmation"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"


# Every move a payment may make; status_change() enforces it.
PAYMENT_TRANSITIONS = {
    PaymentStatus.PENDING: (
        PaymentStatus.COMPLETED,
        PaymentStatus.FAILED,
        PaymentStatus.REQUIRES_ACTION,
    ),
    PaymentStatus.REQUIRES_ACTION: (PaymentStatus.COMPLETED, PaymentStatus.FAILED),
    PaymentStatus.COMPLETED: (PaymentStatus.REFUNDED,),
}


class PaymentGateway(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    TEST = "test", "Built-in test gateway"


class PaymentPurpose(models.TextChoices):
    """What a payment pays for; the payment service dispatches on it (docs/payments.md)."""

    ORDER = "order", "Order"
    SUBSCRIPTION = "subscription", "Community subscription"
    # The placement points at its payment (featured_items.payment_id), not the other way.
    FEATURED = "featured", "Featured placement"


class Payment(models.Model):
    id = uuid_primary_key("payment_id")
    # Nullable so that the payment survives the payer's account deletion (defect 3).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        db_index=False,
    )
    order = models.ForeignKey(
        "shop.Order",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        db_index=False,
    )
    subscription = models.ForeignKey(
        "communities.CommunitySubscription",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        db_index=False,
    )
    purpose = models.CharField(max_length=20, choices=PaymentPurpose.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # What has been given back so far; the status becomes `refunded` once it equals `amount`.
    refunded_amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    currency = models.CharField(max_length=3, default="USD", db_default="USD")
    # How the customer paid, as the design document means it ("Visa •••• 4242", "Apple Pay
    # (Visa •••• 4242)"): told by the gateway when the payment completes, empty before.
    payment_method = models.CharField(max_length=50, blank=True, default="", db_default="")
    # The gateway that took the payment; refunds and renewals go back through it.
    gateway = models.CharField(max_length=20, choices=PaymentGateway.choices)
    # Why the payment failed, in the customer's words ("Your card has expired."), shown on
    # the payment page beside "Try again with another card".
    failure_reason = models.CharField(max_length=255, blank=True, default="", db_default="")
    payment_status = models.CharField(
        max_length=50,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        db_default=PaymentStatus.PENDING,
    )
    # Stripe's PaymentIntent id; unique so that one Stripe payment can pay for one thing only.
    stripe_payment_id = models.CharField(max_length=255, null=True, blank=True)
    payment_date = models.DateTimeField(db_default=CurrentTimestamp())
    # When the payment's receipt went out: a task run twice finds it set and sends nothing,
    # and the sweep finds the receipts never sent.
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    # When the latest refund was recorded, and the refunded total that refund receipts
    # have covered: a refund receipt task run twice finds nothing left to send, and the
    # sweep finds the refunds whose receipt was never sent.
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_receipt_total = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )

    class Meta:
        db_table = "payments"
        constraints = [
            # The document's "an order or a subscription", made exact by the purpose, and
            # widened to featured placements, which have neither.
            models.CheckConstraint(
                condition=(
                    Q(purpose=PaymentPurpose.ORDER, order__isnull=False, subscription__isnull=True)
                    | Q(
                        purpose=PaymentPurpose.SUBSCRIPTION,
                        subscription__isnull=False,
                        order__isnull=True,
                    )
                    | Q(
                        purpose=PaymentPurpose.FEATURED,
                        order__isnull=True,
                        subscription__isnull=True,
                    )
                ),
                name="payments_check",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payments_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payments_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refund_receipt_total__gte=0)
                & Q(refund_receipt_total__lte=F("refunded_amount")),
                name="payments_refund_receipts_within_refunded",
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_id"], name="payments_stripe_payment_id_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_payments_user_id"),
            models.Index(fields=["order"], name="idx_payments_order_id"),
            models.Index(fields=["subscription"], name="idx_payments_subscription_id"),
            # The receipt sweep's few candidates, without reading every payment.
            models.Index(
                fields=["payment_date"],
                condition=Q(
                    receipt_sent_at__isnull=True,
                    payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
                ),
                name="payments_receipt_unsent_idx",
            ),
            models.Index(
                fields=["refunded_at"],
                condition=Q(refunded_amount__gt=F("refund_receipt_total")),
                name="payments_refund_unsent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.payment_status})"

    def get_absolute_url(self) -> str:
        """Where the payer sees what the payment was for (its purpose's handler knows)."""
        from payments.purposes import purpose_handler

        return purpose_handler(self.purpose).url(payment=self)


class PaymentEvent(models.Model):
    """One event a gateway told us about, kept once: its id is unique per gateway.

    Inserting the row and applying the event happen in one transaction, so a redelivered
    event (or the same event arriving twice at once) is applied exactly once.
    """

    id = uuid_primary_key("id")
    gateway = models.CharField(max_length=20, choices=PaymentGateway.choices)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,
    )
    payload = models.JSONField()
    received_at = created_at()

    class Meta:
        db_table = "payment_events"
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "event_id"], name="payment_events_gateway_event_id_key"
            ),
        ]
        indexes = [models.Index(fields=["payment"], name="idx_payment_events_payment")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.event_id}"


class SavedPaymentMethod(models.Model):
    """A card the payer let us keep for renewals: a gateway reference, never card data."""

    id = uuid_primary_key("id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="saved_payment_methods",
        db_index=False,
    )
    gateway = models.CharField(max_length=20, choices=PaymentGateway.choices)
    # Stripe's Customer (cus_…) the method is attached to; the test gateway has none.
    customer_ref = models.CharField(max_length=255, null=True, blank=True)
    method_ref = models.CharField(max_length=255)
    label = models.CharField(max_length=100)
    created_at = created_at()

    class Meta:
        db_table = "saved_payment_methods"
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "method_ref"],
                name="saved_payment_methods_gateway_method_ref_key",
            ),
        ]
        indexes = [models.Index(fields=["user"], name="idx_saved_methods_user_id")]

    def __str__(self) -> str:
        return self.label
