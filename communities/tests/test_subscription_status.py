"""Promise: every status move of a membership is in status_history, with who made it."""

from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities import selectors
from communities.models import (
    SUBSCRIPTION_TRANSITIONS,
    CommunitySubscription,
    SubscriptionStatus,
)
from communities.services import renewals, subscriptions
from communities.tests.conftest import save_card
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import StatusTransitionError
from payments.models import Payment, PaymentStatus
from payments.services import payment_refund, payment_test_checkout_submit
from shop.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db
SITE = "http://testserver/"


def _moves(subscription) -> list[tuple[str | None, str, object]]:
    return list(
        StatusHistory.objects.filter(
            entity_type=selectors.SUBSCRIPTION_ENTITY, entity_id=subscription.pk
        )
        .order_by("changed_at", "id")
        .values_list("old_status", "new_status", "changed_by")
    )


# Committed step by step, so that each move has its own changed_at to order them by.
@pytest.mark.django_db(transaction=True)
def test_a_membership_walks_joined_cancelled_resumed_grace_renewed_ended_on_the_record(
    outsider, frozen_clock
):
    community = CommunityFactory()
    subscriptions.subscription_checkout_start(user=outsider, community=community, site_url=SITE)
    payment = Payment.objects.get(user=outsider)
    payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    subscription = CommunitySubscription.objects.get(user=outsider)
    assert subscription.status == SubscriptionStatus.ACTIVE

    subscriptions.subscription_cancel(subscription=subscription, by=outsider)
    subscriptions.subscription_resume(subscription=subscription, by=outsider)

    # The card saved at checkout is declined at renewal: grace, then a card that pays.
    card = outsider.saved_payment_methods.get()
    card.delete()
    declined = save_card(outsider, card="0002")
    now = frozen_clock.set(subscription.end_date - timedelta(hours=1))
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=now) == "failed"
    declined.delete()
    save_card(outsider, card="4242")
    later = frozen_clock.set(now + renewals.RETRY_INTERVAL)
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=later) == "renewed"

    subscription.refresh_from_db()
    subscriptions.subscription_cancel(subscription=subscription, by=outsider)
    frozen_clock.set(subscription.end_date)
    assert renewals.subscriptions_expire(now=subscription.end_date) == 1

    assert _moves(subscription) == [
        ("pending", "active", outsider.pk),
        ("active", "cancelled", outsider.pk),
        ("cancelled", "active", outsider.pk),
        ("active", "grace", None),
        ("grace", "active", None),
        ("active", "cancelled", outsider.pk),
        ("cancelled", "ended", None),
    ]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.is_active) == ("ended", False)


@pytest.mark.django_db(transaction=True)
def test_a_failed_renewal_whose_grace_runs_out_ends_by_the_system():
    subscription = CommunitySubscriptionFactory(end_date=timezone.now() + timedelta(hours=1))
    save_card(subscription.user, card="0002")
    now = timezone.now()
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=now) == "failed"
    subscription.refresh_from_db()
    assert renewals.subscriptions_expire(now=subscription.grace_until) == 1
    assert _moves(subscription) == [("active", "grace", None), ("grace", "ended", None)]


@pytest.mark.django_db(transaction=True)
def test_a_former_member_who_rejoins_is_pending_until_paid():
    ended = CommunitySubscriptionFactory(
        end_date=timezone.now() - timedelta(days=3), is_active=False
    )
    assert ended.status == SubscriptionStatus.ENDED
    subscriptions.subscription_checkout_start(
        user=ended.user, community=ended.community, site_url=SITE
    )
    ended.refresh_from_db()
    assert (ended.status, ended.is_active) == ("pending", False)
    payment_test_checkout_submit(
        payment=Payment.objects.get(user=ended.user), card_number="4242424242424242"
    )
    assert _moves(ended) == [
        ("ended", "pending", ended.user.pk),
        ("pending", "active", ended.user.pk),
    ]


def test_a_staff_refund_of_the_current_period_ends_the_membership_in_the_staff_members_name(
    django_capture_on_commit_callbacks,
):
    staff = UserFactory(is_staff=True)
    subscription = CommunitySubscriptionFactory()
    payment = PaymentFactory(for_subscription=True, subscription=subscription, gateway="test")
    CommunitySubscription.objects.filter(pk=subscription.pk).update(payment=payment)
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, by=staff)
    subscription.refresh_from_db()
    assert (subscription.status, subscription.is_active) == ("ended", False)
    assert _moves(subscription) == [("active", "ended", staff.pk)]
    assert (
        StatusHistory.objects.get(entity_id=payment.pk, new_status="refunded").changed_by == staff
    )


def test_a_staff_refund_of_an_order_cancels_it_in_the_staff_members_name(
    django_capture_on_commit_callbacks,
):
    staff = UserFactory(is_staff=True)
    payment = PaymentFactory(order__status="paid", gateway="test")
    order = payment.order
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=payment, by=staff)
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.REFUNDED
    cancelled = StatusHistory.objects.get(entity_id=order.pk, new_status="cancelled")
    assert cancelled.changed_by == staff


def test_only_mapped_moves_are_allowed():
    subscription = CommunitySubscriptionFactory(is_active=False)
    with pytest.raises(StatusTransitionError):
        subscriptions.subscription_status_set(
            subscription=subscription, new_status=SubscriptionStatus.GRACE, by=None
        )
    assert SubscriptionStatus.ENDED not in SUBSCRIPTION_TRANSITIONS[SubscriptionStatus.PENDING]


def test_the_database_refuses_an_is_active_that_contradicts_the_status():
    subscription = CommunitySubscriptionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommunitySubscription.objects.filter(pk=subscription.pk).update(is_active=False)


def test_the_data_migration_gives_existing_rows_the_status_their_flags_mean():
    backfill = import_module(
        "communities.migrations.0007_subscription_status_and_accepted_price"
    ).backfill_status_and_price
    community = CommunityFactory(subscription_fee=Decimal("6.00"), subscription_interval="yearly")
    now = timezone.now()
    rows = {
        "active": CommunitySubscriptionFactory(community=community),
        "cancelled": CommunitySubscriptionFactory(community=community, auto_renew=False),
        "grace": CommunitySubscriptionFactory(
            community=community, grace_until=now + timedelta(days=2)
        ),
        "ended": CommunitySubscriptionFactory(community=community, is_active=False),
        "pending": CommunitySubscriptionFactory(
            community=community, is_active=False, start_date=now, end_date=now
        ),
    }
    # As the rows were before the migration: status at its default, price unknown.
    CommunitySubscription.objects.filter(is_active=True).update(status="active")
    CommunitySubscription.objects.filter(is_active=False).update(status="ended")
    CommunitySubscription.objects.update(price=Decimal("0"), billing_interval="monthly")
    backfill(apps, None)
    for status, row in rows.items():
        row.refresh_from_db()
        assert row.status == status
        assert (row.price, row.billing_interval) == (Decimal("6.00"), "yearly")
