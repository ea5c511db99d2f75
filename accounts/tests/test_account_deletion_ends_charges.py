"""Issue 17, item 1: deleting an account ends everything that could charge it."""

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from accounts.tests.factories import FACTORY_PASSWORD, verified_user
from communities.models import CommunitySubscription
from communities.services.renewals import (
    subscription_end_refunding_unused,
    subscription_renew,
    subscriptions_due_ids,
)
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from payments.models import Payment, PaymentStatus, SavedPaymentMethod
from payments.tests import stripe_stub
from shop.models import Order, OrderStatus
from shop.tests.factories import (
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    ProductFactory,
    SavedPaymentMethodFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def paid_membership(user, *, fee="30.00", days_left=15, gateway="test"):
    """A monthly membership paid with `fee`, `days_left` of its 30 days still to run."""
    subscription = CommunitySubscriptionFactory(
        user=user,
        community=CommunityFactory(subscription_fee=Decimal(fee)),
        end_date=NOW + timedelta(days=days_left),
    )
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        amount=Decimal(fee),
        gateway=gateway,
        stripe_payment_id=None,
    )
    CommunitySubscription.objects.filter(pk=subscription.pk).update(payment=payment)
    return subscription, payment


def delete_through_the_page(client, user, django_capture_on_commit_callbacks):
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:settings_delete"), {"password": FACTORY_PASSWORD, "confirm": "on"}
        )
    assert response.status_code == 302
    return response


def test_deleting_an_account_ends_its_memberships_at_once_refunding_the_unused_part(
    client, clock, django_capture_on_commit_callbacks
):
    user = verified_user()
    subscription, payment = paid_membership(user, fee="30.00", days_left=15)

    delete_through_the_page(client, user, django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    payment.refresh_from_db()
    assert (subscription.is_active, subscription.auto_renew) == (False, False)
    assert subscription.end_date == clock
    # Half of the 30-day period was unused: half of the fee goes back through the gateway.
    assert payment.refunded_amount == Decimal("15.00")
    assert payment.payment_status == PaymentStatus.COMPLETED
    assert StatusHistory.objects.filter(
        entity_id=subscription.pk, new_status="ended", changed_by=user
    ).exists()


def test_a_membership_already_past_its_period_is_ended_without_a_refund(
    client, clock, django_capture_on_commit_callbacks
):
    user = verified_user()
    subscription, payment = paid_membership(user, days_left=-1)
    CommunitySubscription.objects.filter(pk=subscription.pk).update(
        grace_until=clock + timedelta(days=2)
    )

    delete_through_the_page(client, user, django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    payment.refresh_from_db()
    assert not subscription.is_active
    assert payment.refunded_amount == Decimal("0.00")


def test_ending_a_membership_twice_refunds_once(clock):
    user = verified_user()
    subscription, payment = paid_membership(user, fee="30.00", days_left=15)

    for _ in range(2):
        subscription_end_refunding_unused(subscription_id=subscription.pk, by=user, reason="test")

    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("15.00")


def test_deleting_an_account_detaches_its_saved_cards_from_the_stripe_customer(
    client, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    user = verified_user()
    card = SavedPaymentMethodFactory(user=user, method_ref="pm_1LeavingCard")
    test_card = SavedPaymentMethodFactory(
        user=user, gateway="test", customer_ref=None, method_ref=f"testcard_{user.pk}_4242"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as stripe_api:
        stripe_api.add(
            responses.POST,
            f"{stripe_stub.API}/v1/payment_methods/pm_1LeavingCard/detach",
            json={"id": "pm_1LeavingCard", "object": "payment_method", "customer": None},
        )
        delete_through_the_page(client, user, django_capture_on_commit_callbacks)
        assert len(stripe_api.calls) == 1

    assert not SavedPaymentMethod.objects.filter(pk__in=[card.pk, test_card.pk]).exists()


def test_a_card_stripe_already_forgot_is_removed_all_the_same(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    card = SavedPaymentMethodFactory(method_ref="pm_1Gone")
    from payments.services import saved_payment_method_detach

    with responses.RequestsMock() as stripe_api:
        stripe_api.add(
            responses.POST,
            f"{stripe_stub.API}/v1/payment_methods/pm_1Gone/detach",
            status=400,
            json={
                "error": {
                    "type": "invalid_request_error",
                    "code": "payment_method_unexpected_state",
                    "message": "The payment method you provided is not attached to a customer.",
                }
            },
        )
        saved_payment_method_detach(method_id=card.pk)
        saved_payment_method_detach(method_id=card.pk)  # a second run has nothing to do
        assert len(stripe_api.calls) == 1

    assert not SavedPaymentMethod.objects.filter(pk=card.pk).exists()


def test_deleting_an_account_cancels_its_pending_orders_and_releases_their_stock(
    client, django_capture_on_commit_callbacks
):
    user = verified_user()
    product = ProductFactory(stock_quantity=3)
    pending = OrderFactory(user=user, total_amount=product.price * 2)
    OrderItemFactory(order=pending, product=product, quantity=2)
    paid = OrderFactory(user=user, status=OrderStatus.PAID)

    delete_through_the_page(client, user, django_capture_on_commit_callbacks)

    product.refresh_from_db()
    assert Order.objects.get(pk=pending.pk).status == OrderStatus.CANCELLED
    assert product.stock_quantity == 5
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID


def test_the_deletion_page_lists_what_will_happen_before_the_user_confirms(client, clock):
    user = verified_user()
    subscription, _ = paid_membership(user, fee="30.00", days_left=15)
    SavedPaymentMethodFactory(user=user, gateway="test", label="Test card •••• 4242")
    order = OrderFactory(user=user)
    client.force_login(user)

    page = client.get(reverse("accounts:settings_delete")).content.decode()

    assert subscription.community.name in page
    assert "ends now" in page and "15.00" in page
    assert "Test card •••• 4242" in page
    assert str(order.pk)[:8] in page
    # Nothing happened yet.
    subscription.refresh_from_db()
    assert subscription.is_active and user.saved_payment_methods.exists()


@pytest.mark.parametrize("leaving", ["deleted", "deactivated"])
def test_the_renewal_job_never_selects_a_user_who_left_whatever_the_rows_say(leaving):
    user = verified_user()
    subscription = CommunitySubscriptionFactory(user=user, end_date=timezone.now())
    SavedPaymentMethod.objects.create(
        user=user, gateway="test", method_ref=f"testcard_{user.pk}_4242", label="Test card"
    )
    if leaving == "deleted":
        # The membership rows are left as they were (active, auto-renewing): only the
        # user's own row says they left.
        User.objects.filter(pk=user.pk).update(deleted_at=timezone.now())
    else:
        account_services.user_deactivate(user=user)

    assert subscription.pk not in subscriptions_due_ids()
    assert subscription_renew(subscription_id=subscription.pk) == "skipped"
    assert not Payment.objects.filter(subscription=subscription).exists()


def test_what_lost_tasks_left_undone_is_done_by_the_hourly_sweeps(clock):
    from artists.models import Artist
    from communities.tasks import subscriptions_of_leavers_end
    from payments.tasks import saved_payment_methods_of_deleted_detach

    user = verified_user()
    _, payment = paid_membership(user, fee="30.00", days_left=15)
    card = SavedPaymentMethodFactory(
        user=user, gateway="test", customer_ref=None, method_ref=f"testcard_{user.pk}_4242"
    )
    of_removed_artist, other_payment = paid_membership(verified_user(), days_left=15)
    Artist.objects.filter(pk=of_removed_artist.community.artist_id).update(removed_at=clock)
    # Outside django_capture_on_commit_callbacks the tasks queued after commit never run:
    # as if the broker had lost them.
    account_services.user_delete_account(user=user)
    assert CommunitySubscription.objects.filter(is_active=True).count() == 2

    assert subscriptions_of_leavers_end.delay().get() == 2
    assert saved_payment_methods_of_deleted_detach.delay().get() == 1
    assert subscriptions_of_leavers_end.delay().get() == 0

    payment.refresh_from_db()
    other_payment.refresh_from_db()
    assert (payment.refunded_amount, other_payment.refunded_amount) == (
        Decimal("15.00"),
        Decimal("15.00"),
    )
    assert not SavedPaymentMethod.objects.filter(pk=card.pk).exists()
    assert not CommunitySubscription.objects.filter(is_active=True).exists()
