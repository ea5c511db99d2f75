"""What one renewal costs the database, and that it stays once-only when it is cheap and
when workers overlap a slow gateway (docs/performance.md, "Community renewals")."""

import dataclasses
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import CommunitySubscription
from communities.services import renewals
from communities.tests.conftest import due_subscription, save_card
from ledger.models import LedgerTransaction
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification
from payments.models import Payment, PaymentEvent, PaymentStatus
from payments.services import payment_renewal_create, payment_saved_charge_lock
from shop.tests.test_concurrency import run_together

# Statements of one successful renewal, BEGIN/COMMIT (here: the test's savepoints)
# included: two transactions (the period's payment is committed before it is charged),
# each opened by one statement that locks the due subscription and holds the member and
# the artist FOR SHARE. The first reads the period's renewal row and payment after the
# lock (so that it sees what the run before committed: see `_PERIOD`) and writes the
# payment with the period's row (one statement: payments' `PaymentInsert` in a CTE); in
# the second, that locking statement also locks the payment and reads the saved card
# (payments' `SavedChargeLock`, its clause after the subscription's), then it completes
# the payment with its history and the gateway's event (one statement: `status_change`
# with `rows_with_move`), writes the membership's new period (one UPDATE, which returns
# the tiers whose cache to drop), the books (one statement) and both notifications (one
# statement). Was 57, then 35, then 26, then 16, then 13 (docs/performance.md,
# "Community renewals").
RENEWAL_QUERIES = 12
# A second run finds the subscription no longer due: one locking read in a transaction.
REPEATED_RENEWAL_QUERIES = 3


@pytest.mark.django_db
def test_one_renewal_costs_a_fixed_number_of_queries_and_a_second_run_charges_nothing():
    subscription = due_subscription()
    save_card(subscription.user)

    with CaptureQueriesContext(connection) as first:
        assert renewals.subscription_renew(subscription_id=subscription.pk) == "renewed"
    with CaptureQueriesContext(connection) as second:
        assert renewals.subscription_renew(subscription_id=subscription.pk) == "skipped"

    assert len(first) <= RENEWAL_QUERIES, "\n".join(q["sql"][:120] for q in first)
    assert len(second) <= REPEATED_RENEWAL_QUERIES
    payment = Payment.objects.get(subscription=subscription)
    assert payment.payment_status == PaymentStatus.COMPLETED
    assert payment.payment_method  # how it was paid, written with the status
    assert PaymentEvent.objects.filter(payment=payment).count() == 1  # the news, with it too
    assert LedgerTransaction.objects.filter(payment=payment, kind="payment").count() == 1
    assert LedgerTransaction.objects.filter(payment=payment, kind="fee").count() == 1
    assert StatusHistory.objects.filter(entity_id=payment.pk, new_status="completed").count() == 1
    # What the member sees: one more month, and the renewal named by its community.
    renewed = CommunitySubscription.objects.get(pk=subscription.pk)
    assert renewed.end_date == subscription.end_date + timedelta(days=30)
    assert renewed.payment_id == payment.pk
    assert sorted(
        Notification.objects.filter(user=subscription.user).values_list("title", flat=True)
    ) == [f"Membership of {subscription.community.name} renewed", "Payment received"]


@pytest.mark.django_db
def test_a_charge_whose_news_is_refused_writes_nothing_but_the_news(monkeypatch):
    # The renewal's charge applies the gateway's answer without a savepoint: what may
    # refuse it (the amount, the status move) does so before anything is written.
    from payments.gateways.test import TestGateway

    charge_saved = TestGateway.charge_saved

    def charged_a_cent_more(self, *, payment, method):
        event = charge_saved(self, payment=payment, method=method)
        return dataclasses.replace(event, amount_cents=event.amount_cents + 1)

    monkeypatch.setattr(TestGateway, "charge_saved", charged_a_cent_more)
    subscription = due_subscription()
    save_card(subscription.user)

    assert renewals.subscription_renew(subscription_id=subscription.pk) == "failed"

    payment = Payment.objects.get(subscription=subscription)
    assert payment.payment_status == PaymentStatus.PENDING
    assert PaymentEvent.objects.filter(payment=payment).count() == 1  # the news is kept
    assert not LedgerTransaction.objects.filter(payment=payment).exists()
    assert not StatusHistory.objects.filter(entity_id=payment.pk).exists()
    renewed = CommunitySubscription.objects.get(pk=subscription.pk)
    assert renewed.end_date == subscription.end_date and renewed.payment_id != payment.pk
    assert not Notification.objects.filter(user=subscription.user, title="Payment received")


@pytest.mark.django_db(transaction=True)
def test_workers_overlapping_a_slow_gateway_charge_each_period_once(settings):
    # The test gateway answers like a real one: the charge holds the subscription's lock
    # for that long, and the other workers must skip it, not charge it again.
    settings.PAYMENTS_TEST_GATEWAY_LATENCY_MS = 200
    subscription = due_subscription()
    save_card(subscription.user)
    started = time.perf_counter()
    outcomes = run_together(
        4, lambda _: renewals.subscription_renew(subscription_id=subscription.pk)
    )

    assert time.perf_counter() - started >= 0.2  # the gateway did wait
    assert outcomes.count("renewed") == 1
    assert set(outcomes) <= {"renewed", "skipped", "already_paid"}
    payments = Payment.objects.filter(subscription=subscription)
    assert [p.payment_status for p in payments] == [PaymentStatus.COMPLETED]
    assert LedgerTransaction.objects.filter(payment__in=payments, kind="payment").count() == 1


@pytest.mark.django_db(transaction=True)
def test_members_of_one_artist_renew_side_by_side_not_one_at_a_time(settings, community):
    # A popular artist's members all renew on the same day: a pool of workers charges
    # them together; none is skipped because another member's charge holds the artist.
    settings.PAYMENTS_TEST_GATEWAY_LATENCY_MS = 300
    subscriptions = [due_subscription(community=community) for _ in range(3)]
    for subscription in subscriptions:
        save_card(subscription.user)
    outcomes = run_together(
        len(subscriptions),
        lambda i: renewals.subscription_renew(subscription_id=subscriptions[i].pk),
    )

    assert outcomes == ["renewed"] * len(subscriptions)
    assert Payment.objects.filter(payment_status=PaymentStatus.COMPLETED).count() == 3


def _payment_clause_first(monkeypatch) -> None:
    """The payment service's locking clause moved before the subscription's."""
    first = "FOR NO KEY UPDATE OF s SKIP LOCKED\n"
    assert renewals._LOCK_DUE.endswith("{charge_lock}") and first in renewals._LOCK_DUE
    monkeypatch.setattr(
        renewals,
        "_LOCK_DUE",
        renewals._LOCK_DUE.removesuffix("{charge_lock}").replace(first, "{charge_lock}" + first),
    )


@pytest.mark.parametrize("payment_clause_first", [False, True], ids=["as written", "reversed"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_skips_a_subscription_being_charged_without_waiting_for_its_payment(
    monkeypatch, payment_clause_first
):
    # The charge's locking statement takes the subscription (SKIP LOCKED) before the
    # payment (which waits): PostgreSQL locks in the order of the clauses. A worker that
    # meets a subscription another one is charging skips it at once; it never queues on
    # the payment, a gateway's answer long. Reversed (the negative control), it does.
    if payment_clause_first:
        _payment_clause_first(monkeypatch)
    subscription = due_subscription()
    save_card(subscription.user)
    payment = payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    held, done = threading.Event(), threading.Event()

    def charging():  # what another worker's charge holds
        try:
            with transaction.atomic():
                CommunitySubscription.objects.select_for_update().get(pk=subscription.pk)
                Payment.objects.select_for_update().get(pk=payment.pk)
                held.set()
                done.wait(timeout=10)
        finally:
            connection.close()

    def lock_due_waiting_a_second_at_most():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
            charge = payment_saved_charge_lock(payment_id=payment.pk)
            return renewals._lock_due(subscription.pk, timezone.now(), charge=charge)

    other_worker = threading.Thread(target=charging)
    other_worker.start()
    try:
        assert held.wait(timeout=10)
        if payment_clause_first:
            with pytest.raises(OperationalError, match="lock timeout"):
                lock_due_waiting_a_second_at_most()
        else:
            assert lock_due_waiting_a_second_at_most() is None  # skipped
    finally:
        done.set()
        other_worker.join()
