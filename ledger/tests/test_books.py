"""The books: each money movement as balanced entries, written once, never edited."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from ledger.models import Account, LedgerEntry, LedgerTransaction
from ledger.selectors import artist_balance
from ledger.services import ledger_payment_record
from payments.models import PaymentPurpose, PaymentStatus
from payments.services import payment_confirm, payment_refund
from shop.tests.factories import (
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


def pending_payment(**kwargs):
    return PaymentFactory(payment_status=PaymentStatus.PENDING, stripe_payment_id=None, **kwargs)


def two_artist_order():
    """A 30.00 download of one artist and a 20.00 shirt (+ 5.00 shipping) of another."""
    download = ProductFactory(download=True, price=D("30.00"))
    shirt = ProductFactory(price=D("20.00"))
    order = OrderFactory(total_amount=D("55.00"), shipping_amount=D("5.00"))
    OrderItemFactory(order=order, product=download)
    OrderItemFactory(order=order, product=shirt)
    return order, download.artist, shirt.artist


def owed(artist) -> Decimal:
    balance = artist_balance(artist_id=artist.pk)
    return balance.pending + balance.available


def assert_balanced():
    """Every transaction, and so the whole ledger, sums to zero per currency."""
    unbalanced = (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    assert list(unbalanced) == []


@override_settings(
    PLATFORM_COMMISSION_PERCENT=D("10"),
    LEDGER_TEST_FEE_PERCENT=D("2.9"),
    LEDGER_TEST_FEE_FIXED=D("0.30"),
)
def test_a_completed_order_pays_each_artist_their_items_and_shipping_less_commission_and_fee():
    order, download_artist, shirt_artist = two_artist_order()
    payment = pending_payment(order=order, amount=D("55.00"))

    payment_confirm(payment=payment)

    # Fee 55.00 * 2.9 % + 0.30 = 1.90, shared 30/55 and 25/55.
    assert owed(download_artist) == D("30.00") - D("3.00") - D("1.04")
    assert owed(shirt_artist) == D("25.00") - D("2.50") - D("0.86")
    cash = LedgerEntry.objects.filter(account=Account.PROCESSOR_CASH).aggregate(s=Sum("amount"))
    assert cash["s"] == D("55.00") - D("1.90")
    assert_balanced()


def test_a_payment_reported_twice_is_booked_once():
    order, _, _ = two_artist_order()
    payment = pending_payment(order=order, amount=D("55.00"))
    payment_confirm(payment=payment)
    before = LedgerEntry.objects.count()

    assert ledger_payment_record(payment=payment) is None
    payment_confirm(payment=payment)

    assert LedgerEntry.objects.count() == before
    assert LedgerTransaction.objects.filter(payment=payment).count() == 2  # payment and fee


def test_a_membership_pays_its_communitys_artist_and_a_placement_pays_none():
    community = CommunityFactory(subscription_fee=D("10.00"))
    subscription = CommunitySubscriptionFactory(community=community, price=D("10.00"))
    payment_confirm(
        payment=pending_payment(for_subscription=True, subscription=subscription, amount=D("10.00"))
    )
    featured = pending_payment(
        order=None, user=UserFactory(), purpose=PaymentPurpose.FEATURED, amount=D("14.00")
    )
    payment_confirm(payment=featured)

    assert owed(community.artist) == D("10.00") - D("1.00") - D("0.59")
    revenue = LedgerEntry.objects.filter(
        account=Account.PLATFORM_REVENUE, transaction__payment=featured
    ).aggregate(s=Sum("amount"))
    assert revenue["s"] == D("-14.00")
    assert not LedgerEntry.objects.filter(transaction__payment=featured, artist__isnull=False)
    assert_balanced()


def test_refunds_reverse_in_proportion_with_new_entries_and_never_edit_old_ones():
    order, download_artist, shirt_artist = two_artist_order()
    payment = pending_payment(order=order, amount=D("55.00"))
    payment_confirm(payment=payment)
    first_entries = set(LedgerEntry.objects.values_list("pk", "amount"))

    payment_refund(payment=payment, amount=D("11.00"))
    payment_refund(payment=payment, amount=D("13.33"))
    payment_refund(payment=payment)  # the rest

    assert first_entries <= set(LedgerEntry.objects.values_list("pk", "amount"))
    # Everything given back: each artist's gross and commission are reversed exactly;
    # only their share of the processor's fee (which the processor keeps) stays charged.
    assert owed(download_artist) == D("-1.04")
    assert owed(shirt_artist) == D("-0.86")
    assert LedgerTransaction.objects.filter(payment=payment, kind="refund").count() == 3
    assert_balanced()


def test_the_database_refuses_a_transaction_that_does_not_sum_to_zero():
    artist = ArtistFactory()
    now = timezone.now()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        tx = LedgerTransaction.objects.create(kind="payment", idempotency_key="broken")
        entry = dict(transaction=tx, kind="gross", currency="USD", available_at=now, booked_at=now)
        LedgerEntry.objects.create(account=Account.PROCESSOR_CASH, amount=D("10.00"), **entry)
        LedgerEntry.objects.create(
            account=Account.ARTIST_PAYABLE, artist=artist, amount=D("-9.99"), **entry
        )
        with connection.cursor() as cursor:
            # What COMMIT does: run the deferred check now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_balanced_transaction_passes_the_databases_check():
    tx = LedgerTransaction.objects.create(kind="payment", idempotency_key="fine")
    now = timezone.now()
    entry = dict(transaction=tx, kind="gross", currency="USD", available_at=now, booked_at=now)
    LedgerEntry.objects.create(account=Account.PROCESSOR_CASH, amount=D("10.00"), **entry)
    LedgerEntry.objects.create(account=Account.PLATFORM_REVENUE, amount=D("-10.00"), **entry)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_entries_are_never_changed_or_deleted():
    order, _, _ = two_artist_order()
    payment_confirm(payment=pending_payment(order=order, amount=D("55.00")))
    entry = LedgerEntry.objects.first()

    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("0.00"))
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


@override_settings(LEDGER_HOLDING_DAYS=7)
def test_earnings_are_pending_for_the_holding_period_then_available():
    order, artist, _ = two_artist_order()
    payment_confirm(payment=pending_payment(order=order, amount=D("55.00")))
    earned = owed(artist)

    today = artist_balance(artist_id=artist.pk)
    in_six_days = artist_balance(artist_id=artist.pk, now=timezone.now() + timedelta(days=6))
    in_eight_days = artist_balance(artist_id=artist.pk, now=timezone.now() + timedelta(days=8))

    assert (today.pending, today.available) == (earned, D("0.00"))
    assert (in_six_days.pending, in_six_days.available) == (earned, D("0.00"))
    assert (in_eight_days.pending, in_eight_days.available) == (D("0.00"), earned)


@override_settings(PLATFORM_COMMISSION_PERCENT_BY_PURPOSE={"subscription": D("5")})
def test_the_commission_can_differ_by_purpose():
    community = CommunityFactory(subscription_fee=D("10.00"))
    subscription = CommunitySubscriptionFactory(community=community, price=D("10.00"))
    payment_confirm(
        payment=pending_payment(for_subscription=True, subscription=subscription, amount=D("10.00"))
    )
    assert owed(community.artist) == D("10.00") - D("0.50") - D("0.59")
