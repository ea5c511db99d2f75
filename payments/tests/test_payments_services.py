"""The payment service end to end through the built-in test gateway (no Stripe key)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from musicplatform.tests.outages import broker_down
from notifications.models import Notification
from payments.models import Payment, PaymentEvent, PaymentPurpose, PaymentStatus, SavedPaymentMethod
from payments.services import (
    PaymentError,
    payment_charge_saved,
    payment_confirm,
    payment_refund,
    payment_renewal_create,
    payment_saved_charge_locked,
    payment_start,
    payment_test_checkout_submit,
)
from payments.tasks import payment_receipt_send, payment_receipts_sweep
from shop.models import Order, OrderStatus
from shop.tests.factories import FeaturedItemFactory, OrderFactory, PaymentFactory

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
PAYS, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"


@pytest.fixture(autouse=True)
def _no_stripe(settings):
    settings.STRIPE_SECRET_KEY = None


def start_order_payment(order=None):
    order = order or OrderFactory(total_amount=Decimal("24.99"))
    return payment_start(
        user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
    )


def test_starting_a_payment_takes_the_amount_from_the_order_and_points_to_our_checkout():
    payment, url = start_order_payment()

    assert url == f"/payments/{payment.pk}/test-checkout/"
    assert payment.amount == Decimal("24.99")
    assert (payment.purpose, payment.payment_status) == (PaymentPurpose.ORDER, "pending")
    assert (payment.gateway, payment.currency) == ("test", "USD")


def test_a_good_test_card_completes_the_payment_and_marks_the_order_paid_with_history(
    django_capture_on_commit_callbacks,
):
    payment, _ = start_order_payment()

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_test_checkout_submit(payment=payment, card_number=PAYS)

    assert payment.payment_status == PaymentStatus.COMPLETED
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PAID
    moves = set(StatusHistory.objects.values_list("entity_type", "old_status", "new_status"))
    assert moves == {("payment", "pending", "completed"), ("order", "pending", "paid")}
    assert PaymentEvent.objects.get().event_type == "payment_intent.succeeded"
    assert Notification.objects.get(user=payment.user, notification_type="payment").title == (
        "Payment received"
    )
    (receipt,) = [m for m in mail.outbox if m.subject.startswith("Your payment receipt")]
    assert receipt.subject == "Your payment receipt: 24.99 USD"
    assert receipt.to == [payment.user.email]
    assert f"order {payment.order_id}" in receipt.body
    assert "Amount:    24.99 USD" in receipt.body


def test_a_receipt_task_run_twice_sends_one_receipt(django_capture_on_commit_callbacks):
    payment, _ = start_order_payment()
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=payment, card_number=PAYS)

    # A worker that died after sending but before acknowledging gets the task again.
    assert payment_receipt_send.delay(str(payment.pk), "payment").get() is False

    assert [m.to for m in mail.outbox if m.subject.startswith("Your payment receipt")] == [
        [payment.user.email]
    ]
    assert Payment.objects.get(pk=payment.pk).receipt_sent_at is not None


@pytest.mark.parametrize(
    ("card", "reason"),
    [(DECLINED, "declined"), (NO_FUNDS, "insufficient funds")],
)
def test_a_declining_test_card_fails_the_payment_and_leaves_the_order_waiting(card, reason):
    payment, _ = start_order_payment()

    payment = payment_test_checkout_submit(payment=payment, card_number=card)

    assert payment.payment_status == PaymentStatus.FAILED
    # The buyer may try another card; the stock stays held until the order's hold ends.
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PENDING
    assert (
        reason in Notification.objects.get(user=payment.user, notification_type="payment").message
    )


def test_a_payment_is_never_completed_twice():
    payment, _ = start_order_payment()
    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    again = payment_test_checkout_submit(payment=payment, card_number=PAYS)

    assert again.payment_status == PaymentStatus.COMPLETED
    assert StatusHistory.objects.filter(entity_type="payment").count() == 1
    assert Notification.objects.filter(user=payment.user, notification_type="payment").count() == 1


def test_a_failed_payment_cannot_be_completed_afterwards():
    payment, _ = start_order_payment()
    payment_test_checkout_submit(payment=payment, card_number=DECLINED)

    payment = payment_test_checkout_submit(payment=payment, card_number=PAYS)

    assert payment.payment_status == PaymentStatus.FAILED
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.PENDING


def test_only_a_pending_order_of_ones_own_can_be_paid():
    order = OrderFactory(status=OrderStatus.PAID)
    with pytest.raises(PaymentError, match="not waiting"):
        payment_start(
            user=order.user, purpose=PaymentPurpose.ORDER, target_id=order.pk, site_url=SITE
        )
    other = OrderFactory()
    with pytest.raises(PaymentError, match="not yours"):
        payment_start(
            user=order.user, purpose=PaymentPurpose.ORDER, target_id=other.pk, site_url=SITE
        )
    assert not Payment.objects.exists()


def test_a_second_payment_completing_for_a_paid_order_is_given_back(
    django_capture_on_commit_callbacks,
):
    order = OrderFactory()
    first, _ = start_order_payment(order)
    second, _ = start_order_payment(order)

    payment_test_checkout_submit(payment=first, card_number=PAYS)
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=second, card_number=PAYS)

    second.refresh_from_db()
    assert (second.payment_status, second.refunded_amount) == ("refunded", Decimal("24.99"))
    assert Payment.objects.get(pk=first.pk).payment_status == PaymentStatus.COMPLETED


def test_partial_refunds_are_recorded_and_the_last_one_makes_the_payment_refunded(
    django_capture_on_commit_callbacks,
):
    payment, _ = start_order_payment()
    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_refund(payment=payment, amount=Decimal("10.00"))
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("10.00"))

    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_refund(payment=payment)
    assert (payment.payment_status, payment.refunded_amount) == ("refunded", Decimal("24.99"))
    assert list(
        StatusHistory.objects.filter(entity_type="payment").values_list("new_status", flat=True)
    ) == ["completed", "refunded"]
    refund_mails = sorted(m.subject for m in mail.outbox if m.subject.startswith("Your refund"))
    assert refund_mails == ["Your refund: 10.00 USD", "Your refund: 14.99 USD"]


def refund_receipts() -> list[str]:
    return [m.subject for m in mail.outbox if m.subject.startswith("Your refund")]


def paid_payment(django_capture_on_commit_callbacks) -> Payment:
    """A completed payment whose own receipt went out."""
    payment, _ = start_order_payment()
    with django_capture_on_commit_callbacks(execute=True):
        return payment_test_checkout_submit(payment=payment, card_number=PAYS)


def test_a_refund_receipt_task_run_twice_sends_one_receipt(django_capture_on_commit_callbacks):
    payment = paid_payment(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, amount=Decimal("10.00"))

    # A worker that died after sending but before acknowledging gets the task again.
    assert payment_receipt_send.delay(str(payment.pk), "refund").get() is False

    assert refund_receipts() == ["Your refund: 10.00 USD"]
    assert Payment.objects.get(pk=payment.pk).refund_receipt_total == Decimal("10.00")


def test_a_refund_receipt_lost_to_a_broker_outage_is_sent_once_by_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch
):
    payment = paid_payment(django_capture_on_commit_callbacks)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, amount=Decimal("10.00"))
    assert refund_receipts() == []
    # Younger than the grace, the receipt is left to its task, which may be on its way.
    assert payment_receipts_sweep.delay().get() == 0

    later = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert payment_receipts_sweep.delay().get() == 1
    assert payment_receipts_sweep.delay().get() == 0
    assert refund_receipts() == ["Your refund: 10.00 USD"]
    # The next refund's receipt is for that refund alone.
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment)
    assert refund_receipts() == ["Your refund: 10.00 USD", "Your refund: 14.99 USD"]
    assert payment_receipts_sweep.delay().get() == 0


@pytest.mark.parametrize(
    "amount", [Decimal("25.00"), Decimal("0"), Decimal("-1"), Decimal("1.001")]
)
def test_a_refund_beyond_what_is_left_or_not_a_positive_cent_amount_is_refused(amount):
    payment, _ = start_order_payment()
    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    with pytest.raises(PaymentError):
        payment_refund(payment=payment, amount=amount)

    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_a_payment_cannot_be_refunded_before_it_completes_or_after_it_is_fully_refunded():
    payment, _ = start_order_payment()
    with pytest.raises(PaymentError, match="completed"):
        payment_refund(payment=payment)
    payment_test_checkout_submit(payment=payment, card_number=PAYS)
    payment_refund(payment=payment)
    with pytest.raises(PaymentError, match="already fully refunded"):
        payment_refund(payment=payment)


def test_the_database_refuses_a_refunded_amount_beyond_the_payment():
    payment = PaymentFactory(amount=Decimal("5.00"))
    with (
        pytest.raises(IntegrityError, match="payments_refunded_within_amount"),
        transaction.atomic(),
    ):
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=Decimal("5.01"))


def test_a_subscription_payment_activates_the_subscription_and_saves_the_card_for_renewals():
    community = CommunityFactory(subscription_fee=Decimal("4.99"))
    subscription = CommunitySubscriptionFactory(
        community=community, joining=True, end_date=timezone.now() - timedelta(days=3)
    )
    payment, _ = payment_start(
        user=subscription.user,
        purpose=PaymentPurpose.SUBSCRIPTION,
        target_id=subscription.pk,
        site_url=SITE,
    )

    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    subscription.refresh_from_db()
    assert subscription.is_active and subscription.payment_id == payment.pk
    assert subscription.end_date > timezone.now() + timedelta(days=29)
    saved = SavedPaymentMethod.objects.get(user=subscription.user)
    assert (saved.gateway, saved.method_ref) == ("test", f"testcard_{subscription.user_id}_4242")


def charge_saved(payment):
    """A renewal's charge of its pending payment, locked in a statement of its own."""
    return payment_charge_saved(charge=payment_saved_charge_locked(payment_id=payment.pk))


def test_a_renewal_charges_the_saved_card_off_session_and_extends_the_period():
    subscription = CommunitySubscriptionFactory()
    end = subscription.end_date
    SavedPaymentMethod.objects.create(
        user=subscription.user, gateway="test", method_ref="testcard_4242", label="Test card"
    )

    payment = charge_saved(
        payment_renewal_create(
            user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
        )
    )

    assert payment.payment_status == PaymentStatus.COMPLETED
    assert payment.amount == subscription.community.subscription_fee
    subscription.refresh_from_db()
    assert subscription.end_date == end + timedelta(days=30)
    # Running the renewal again (a retried task) charges nothing more.
    assert charge_saved(payment) is None
    subscription.refresh_from_db()
    assert subscription.end_date == end + timedelta(days=30)


def test_a_renewal_without_a_saved_card_or_with_a_declining_one_fails():
    subscription = CommunitySubscriptionFactory()
    assert (
        charge_saved(
            payment_renewal_create(
                user_id=subscription.user_id,
                subscription_id=subscription.pk,
                amount=subscription.price,
            )
        ).payment_status
        == PaymentStatus.FAILED
    )
    SavedPaymentMethod.objects.create(
        user=subscription.user, gateway="test", method_ref="testcard_0002", label="Test card"
    )
    assert (
        charge_saved(
            payment_renewal_create(
                user_id=subscription.user_id,
                subscription_id=subscription.pk,
                amount=subscription.price,
            )
        ).payment_status
        == PaymentStatus.FAILED
    )


class _RolledBack(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_saved_charge_is_made_only_while_its_lock_is_held():
    # The lock is taken by the caller's statement, so the charge cannot take it again: a
    # locked charge kept past the transaction (or savepoint) that locked it is refused,
    # before anything is charged.
    subscription = CommunitySubscriptionFactory()
    SavedPaymentMethod.objects.create(
        user=subscription.user, gateway="test", method_ref="testcard_4242", label="Test card"
    )
    payment = payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    with pytest.raises(TransactionManagementError):
        payment_saved_charge_locked(payment_id=payment.pk)  # no transaction: no lock to hold
    with transaction.atomic():
        committed = payment_saved_charge_locked(payment_id=payment.pk)
    with transaction.atomic():
        try:
            with transaction.atomic():
                rolled_back = payment_saved_charge_locked(payment_id=payment.pk)
                raise _RolledBack
        except _RolledBack:
            pass
        with transaction.atomic():
            released = payment_saved_charge_locked(payment_id=payment.pk)
        for stale in (committed, rolled_back):
            with pytest.raises(TransactionManagementError):
                payment_charge_saved(charge=stale)
        assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.PENDING
        # A savepoint released keeps its locks in the transaction, and the charge is made.
        assert payment_charge_saved(charge=released).payment_status == PaymentStatus.COMPLETED
    with pytest.raises(TransactionManagementError):
        payment_charge_saved(charge=released)  # outside any transaction


def test_a_fully_refunded_subscription_payment_ends_access():
    subscription = CommunitySubscriptionFactory(joining=True)
    payment, _ = payment_start(
        user=subscription.user,
        purpose=PaymentPurpose.SUBSCRIPTION,
        target_id=subscription.pk,
        site_url=SITE,
    )
    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    payment_refund(payment=payment)

    subscription.refresh_from_db()
    assert not subscription.is_active


def test_a_featured_placement_is_priced_per_day_on_the_server_and_linked_to_its_payment(settings):
    settings.FEATURED_PLACEMENT_DAILY_PRICE = "2.50"
    now = timezone.now()
    artist = ArtistFactory()
    item = FeaturedItemFactory(artist=artist, start_date=now, end_date=now + timedelta(days=7))

    payment, _ = payment_start(
        user=artist.user, purpose=PaymentPurpose.FEATURED, target_id=item.pk, site_url=SITE
    )
    payment_test_checkout_submit(payment=payment, card_number=PAYS)

    item.refresh_from_db()
    assert item.payment_id == payment.pk
    assert payment.amount == Decimal("17.50")
    assert (payment.order_id, payment.subscription_id) == (None, None)
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.COMPLETED
    with pytest.raises(PaymentError, match="already paid"):
        payment_start(
            user=artist.user, purpose=PaymentPurpose.FEATURED, target_id=item.pk, site_url=SITE
        )


def test_confirming_is_idempotent_when_called_directly():
    payment, _ = start_order_payment()
    payment_confirm(payment=payment)
    payment_confirm(payment=payment)
    assert StatusHistory.objects.filter(entity_type="payment").count() == 1
