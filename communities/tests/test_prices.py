"""Promise: a member pays the price they accepted, whatever the artist changes later."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from communities.models import Community, CommunitySubscription
from communities.services import CommunityError
from communities.services.listing import community_create, community_update, fee_check
from communities.services.renewals import subscription_renew
from communities.services.subscriptions import (
    subscription_accept_price,
    subscription_checkout_start,
)
from communities.tests.conftest import due_subscription, save_card
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _raise_the_fee(community, fee="9.99", interval="yearly"):
    return community_update(
        community=community,
        by=community.artist.user,
        name=community.name,
        subscription_fee=Decimal(fee),
        subscription_interval=interval,
    )


def test_a_new_fee_or_interval_never_changes_what_a_current_member_pays():
    subscription = due_subscription()
    save_card(subscription.user)
    end = subscription.end_date
    _raise_the_fee(subscription.community)

    assert subscription_renew(subscription_id=subscription.pk) == "renewed"

    payment = Payment.objects.get(subscription=subscription)
    assert payment.amount == Decimal("4.99")
    subscription.refresh_from_db()
    assert subscription.end_date == end + timedelta(days=30)
    assert (subscription.price, subscription.billing_interval) == (Decimal("4.99"), "monthly")


def test_a_member_who_accepts_the_new_price_pays_it_from_the_next_renewal():
    subscription = due_subscription()
    save_card(subscription.user)
    end = subscription.end_date
    community = _raise_the_fee(subscription.community)
    client = _client_for(subscription.user)

    page = client.get(community.get_absolute_url()).content.decode()
    assert "You pay $4.99 / monthly" in page
    assert "$9.99 / yearly" in page
    assert "Switch to the new price from your next renewal" in page
    response = client.post(
        reverse("communities:accept_price", args=[community.pk]),
        {"fee": "9.99", "interval": "yearly"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.price, subscription.billing_interval) == (Decimal("9.99"), "yearly")
    assert subscription.price_accepted_at is not None
    assert (
        "Switch to the new price" not in client.get(community.get_absolute_url()).content.decode()
    )

    assert subscription_renew(subscription_id=subscription.pk) == "renewed"
    assert Payment.objects.get(subscription=subscription).amount == Decimal("9.99")
    subscription.refresh_from_db()
    assert subscription.end_date == end + timedelta(days=365)


def test_consent_is_to_the_price_shown_not_to_a_later_change():
    subscription = due_subscription()
    community = _raise_the_fee(subscription.community)
    _raise_the_fee(community, fee="19.99")
    response = _client_for(subscription.user).post(
        reverse("communities:accept_price", args=[community.pk]),
        {"fee": "9.99", "interval": "yearly"},
        follow=True,
    )
    assert "The price changed again" in response.content.decode()
    subscription.refresh_from_db()
    assert (subscription.price, subscription.billing_interval) == (Decimal("4.99"), "monthly")


def test_my_communities_shows_the_price_a_member_pays_and_the_new_one():
    subscription = due_subscription()
    _raise_the_fee(subscription.community)
    page = _client_for(subscription.user).get(reverse("communities:mine")).content.decode()
    assert "$4.99 / monthly" in page
    assert "New price $9.99 / yearly" in page


def test_the_edit_form_tells_the_artist_what_happens_to_current_members(client):
    subscription = due_subscription()
    community = subscription.community
    client.force_login(community.artist.user)
    url = reverse("communities:edit", args=[community.pk])
    assert "1 current member pays $4.99 / monthly" in client.get(url).content.decode()

    response = client.post(
        url,
        {"name": community.name, "subscription_fee": "9.99", "subscription_interval": "yearly"},
        follow=True,
    )
    assert (
        "1 current member keeps paying $4.99 / monthly until they accept the new price"
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("0.49", "between 0.50 and 1000.00"),
        ("1000.01", "between 0.50 and 1000.00"),
        ("-5", "between 0.50 and 1000.00"),
        ("lots", "Enter a number"),
        ("4.999", "no more than 2 decimal places"),
    ],
)
def test_the_form_refuses_a_fee_outside_the_range_and_changes_nothing(client, fee, message):
    community = CommunityFactory()
    client.force_login(community.artist.user)
    response = client.post(
        reverse("communities:edit", args=[community.pk]),
        {"name": community.name, "subscription_fee": fee, "subscription_interval": "monthly"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Community.objects.get(pk=community.pk).subscription_fee == Decimal("4.99")


def test_the_fee_range_comes_from_the_settings_and_the_service_enforces_it(settings):
    settings.COMMUNITY_FEE_MAX = Decimal("50.00")
    community = CommunityFactory()
    with pytest.raises(CommunityError, match=r"between 0\.50 and 50\.00"):
        _raise_the_fee(community, fee="60.00")
    with pytest.raises(CommunityError, match=r"between 0\.50 and 50\.00"):
        community_create(
            artist=community.artist,
            name="Cheap seats",
            subscription_fee=Decimal("0.10"),
            subscription_interval="monthly",
        )
    assert Community.objects.get(pk=community.pk).subscription_fee == Decimal("4.99")
    assert _raise_the_fee(community, fee="50.00").subscription_fee == Decimal("50.00")


def test_a_new_member_pays_and_keeps_the_price_of_the_day_they_joined(
    outsider, django_capture_on_commit_callbacks
):
    from payments.services import payment_test_checkout_submit

    community = CommunityFactory(subscription_fee=Decimal("7.00"))
    subscription_checkout_start(user=outsider, community=community, site_url="http://testserver/")
    payment = Payment.objects.get(user=outsider)
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    assert payment.amount == Decimal("7.00")
    subscription = CommunitySubscription.objects.get(user=outsider)
    assert subscription.price == Decimal("7.00")
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.COMPLETED


def test_a_former_member_cannot_pay_their_old_price_again_through_the_payment_address():
    ended = CommunitySubscriptionFactory(is_active=False)
    _raise_the_fee(ended.community)
    client = _client_for(ended.user)
    response = client.post(reverse("payments:start", args=["subscription", ended.pk]), follow=True)
    assert "This membership has ended" in response.content.decode()
    assert not Payment.objects.exists()


def test_the_renewal_job_past_every_end_date_charges_each_member_only_what_they_accepted(
    frozen_clock,
):
    from communities.tasks import subscriptions_renew_due

    community = CommunityFactory()
    grandfathered = due_subscription(community=community)
    switching = due_subscription(community=community)
    _raise_the_fee(community)
    # Joined after the change: the new price is the one they accepted.
    newcomer = due_subscription(
        community=community, price=Decimal("9.99"), billing_interval="yearly"
    )
    for subscription in (grandfathered, switching, newcomer):
        save_card(subscription.user)
    subscription_accept_price(
        subscription=switching, by=switching.user, fee=Decimal("9.99"), interval="yearly"
    )
    frozen_clock.set(grandfathered.end_date + timedelta(minutes=1))

    assert subscriptions_renew_due.delay().get() == 3

    charged = {
        payment.subscription_id: (payment.amount, payment.payment_status)
        for payment in Payment.objects.all()
    }
    assert charged == {
        grandfathered.pk: (Decimal("4.99"), PaymentStatus.COMPLETED),
        switching.pk: (Decimal("9.99"), PaymentStatus.COMPLETED),
        newcomer.pk: (Decimal("9.99"), PaymentStatus.COMPLETED),
    }


@pytest.mark.parametrize("fee", ["NaN", "Infinity", "1e400", "4.999", None, "x"])
def test_the_service_refuses_any_fee_that_is_not_a_sane_amount_with_a_message(fee):
    with pytest.raises(CommunityError, match="fee"):
        fee_check(fee)


def test_a_renewal_waiting_for_the_member_keeps_the_price_it_was_made_at():
    from payments.models import SavedPaymentMethod

    subscription = due_subscription()
    SavedPaymentMethod.objects.create(
        user=subscription.user,
        gateway="test",
        method_ref=f"testcard_{subscription.user.pk}_3155",
        label="Test card 3155",
    )
    assert subscription_renew(subscription_id=subscription.pk) == "awaiting_member"
    community = _raise_the_fee(subscription.community)
    with pytest.raises(CommunityError, match="still in progress"):
        subscription_accept_price(
            subscription=subscription, by=subscription.user, fee=Decimal("9.99"), interval="yearly"
        )
    subscription.refresh_from_db()
    assert (subscription.price, subscription.billing_interval) == (Decimal("4.99"), "monthly")
    assert community.subscription_fee == Decimal("9.99")


def test_the_dashboards_monthly_revenue_counts_what_each_member_pays(client):
    community = CommunityFactory()
    due_subscription(community=community)
    due_subscription(community=community)
    _raise_the_fee(community)
    due_subscription(community=community, price=Decimal("9.99"), billing_interval="yearly")
    due_subscription(community=community, auto_renew=False)  # not renewing: no revenue
    client.force_login(community.artist.user)
    response = client.get(reverse("communities:dashboard", args=[community.pk]))
    # Twice 4.99 a month, and 9.99 a year spread over twelve months.
    assert response.context["dashboard"].monthly_recurring_revenue == Decimal("10.81")


def test_staff_are_held_to_the_same_fee_range_in_the_admin(client):
    from accounts.tests.factories import UserFactory

    staff = UserFactory(staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    community = CommunityFactory()
    url = reverse("admin:communities_community_change", args=[community.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: form[name].value()
        for name in form.fields
        if form[name].value() is not None and name != "subscription_fee"
    }
    data.update(
        {
            "subscription_fee": "5000.00",
            "forums-TOTAL_FORMS": "0",
            "forums-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "between 0.50 and 1000.00" in response.content.decode()
    assert Community.objects.get(pk=community.pk).subscription_fee == Decimal("4.99")
