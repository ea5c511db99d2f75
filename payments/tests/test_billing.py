"""The billing page (/settings/billing/): saved cards, what each pays, the payment history
with receipts; a failed renewal sends the member there and the retry uses the new card."""

from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities.services.renewals import RETRY_INTERVAL, subscription_renew
from communities.tests.factories import CommunitySubscriptionFactory
from notifications.models import Notification, NotificationType
from payments.models import PaymentStatus, SavedPaymentMethod
from payments.tests import stripe_stub
from shop.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

BILLING = "/settings/billing/"


def add_test_card(client, number="4242 4242 4242 4242", **extra):
    return client.post(reverse("billing:add"), {"card_number": number, **extra})


@pytest.fixture
def member(client, test_gateway):
    subscription = CommunitySubscriptionFactory(community__name="Night Owls")
    client.force_login(subscription.user)
    return subscription


def test_the_billing_page_is_linked_from_the_settings_navigation(client, member):
    assert reverse("billing:index") == BILLING
    page = client.get(reverse("accounts:settings_profile"))

    assert f'href="{BILLING}"' in page.text


def test_a_card_added_with_the_test_gateway_is_listed_with_the_memberships_it_pays(client, member):
    assert "No saved cards" in client.get(BILLING).text

    response = add_test_card(client)

    assert response.url == BILLING
    card = SavedPaymentMethod.objects.get(user=member.user)
    assert (card.gateway, card.label) == ("test", "Visa •••• 4242")
    page = client.get(BILLING).text
    assert "Visa •••• 4242" in page
    assert "Night Owls" in page


def test_replacing_a_card_keeps_only_the_new_one(client, member):
    add_test_card(client, "4000 0000 0000 0002")
    old = SavedPaymentMethod.objects.get(user=member.user)

    add_test_card(client, "4242 4242 4242 4242", replaces=str(old.pk))

    assert list(
        SavedPaymentMethod.objects.filter(user=member.user).values_list("label", flat=True)
    ) == ["Visa •••• 4242"]


def test_removing_a_card_forgets_it_and_someone_elses_card_is_not_found(client, member):
    add_test_card(client)
    card = SavedPaymentMethod.objects.get(user=member.user)
    stranger_card = SavedPaymentMethod.objects.create(
        user=UserFactory(), gateway="test", method_ref="testcard_x_4242", label="Visa •••• 4242"
    )

    assert client.post(reverse("billing:remove", args=[stranger_card.pk])).status_code == 404
    response = client.post(reverse("billing:remove", args=[card.pk]))

    assert response.url == BILLING
    assert not SavedPaymentMethod.objects.filter(user=member.user).exists()
    assert SavedPaymentMethod.objects.filter(pk=stranger_card.pk).exists()


def test_a_bad_card_number_is_refused_with_a_message_and_saves_nothing(client, member):
    response = add_test_card(client, "1234")

    assert response.status_code == 400
    assert "Use one of the test card numbers" in response.text
    assert not SavedPaymentMethod.objects.exists()


def test_the_payment_history_links_each_receipt(client, member):
    paid = PaymentFactory(for_subscription=True, subscription=member, user=member.user)
    other = PaymentFactory()

    page = client.get(BILLING).text

    assert reverse("payments:detail", args=[paid.pk]) in page
    assert reverse("payments:detail", args=[other.pk]) not in page


def test_a_failed_renewal_sends_the_member_to_the_billing_page_and_the_retry_uses_the_new_card(
    client, member, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://music.example"
    add_test_card(client, "4000 0000 0000 0002")
    member.end_date = timezone.now() + timedelta(hours=1)
    member.save(update_fields=["end_date"])
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=member.pk, now=now) == "failed"

    notice = Notification.objects.get(
        user=member.user, notification_type=NotificationType.SUBSCRIPTION
    )
    assert "https://music.example/settings/billing/" in notice.message
    assert any("https://music.example/settings/billing/" in mail.body for mail in mailoutbox)

    add_test_card(client, "4242 4242 4242 4242")
    later = now + RETRY_INTERVAL
    assert subscription_renew(subscription_id=member.pk, now=later) == "renewed"
    member.refresh_from_db()
    assert member.payment.payment_status == PaymentStatus.COMPLETED
    assert member.payment.payment_method == "Visa •••• 4242"


# --- Stripe: a SetupIntent through Checkout (mode=setup) ---------------------------------


def setup_session(*, user, status="complete", replaces="") -> dict:
    return {
        "id": "cs_test_setup01",
        "object": "checkout.session",
        "mode": "setup",
        "status": status,
        "customer": "cus_TestCustomer01",
        "client_reference_id": str(user.pk),
        "metadata": {"user_id": str(user.pk), "replaces": replaces},
        "payment_status": "no_payment_required",
        "setup_intent": {
            "id": "seti_1Test",
            "object": "setup_intent",
            "status": "succeeded",
            "payment_method": {
                "id": "pm_1NewCardMc4444",
                "object": "payment_method",
                "type": "card",
                "card": {"brand": "mastercard", "last4": "4444", "wallet": None},
            },
        },
        "url": "https://checkout.stripe.com/c/setup/cs_test_setup01",
    }


def test_with_stripe_adding_a_card_goes_through_a_setup_checkout_and_its_return(client, stripe_api):
    user = UserFactory()
    client.force_login(user)
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/customers",
        json={"id": "cus_TestCustomer01", "object": "customer"},
    )
    stripe_api.add(
        responses.POST, f"{stripe_stub.API}/v1/checkout/sessions", json=setup_session(user=user)
    )

    response = client.post(reverse("billing:add"))

    assert response.url == "https://checkout.stripe.com/c/setup/cs_test_setup01"
    customer, session = (stripe_stub.form_body_of(call.request) for call in stripe_api.calls)
    assert customer["email"] == [user.email]
    assert session["mode"] == ["setup"]
    assert session["customer"] == ["cus_TestCustomer01"]
    assert session["currency"] == ["usd"]
    assert session["metadata[user_id]"] == [str(user.pk)]
    assert session["success_url"] == [
        "http://testserver/settings/billing/return/?session_id={CHECKOUT_SESSION_ID}"
    ]

    stripe_api.add(
        responses.GET,
        f"{stripe_stub.API}/v1/checkout/sessions/cs_test_setup01",
        json=setup_session(user=user),
    )
    back = client.get(reverse("billing:stripe_return"), {"session_id": "cs_test_setup01"})

    assert back.url == BILLING
    card = SavedPaymentMethod.objects.get(user=user)
    assert (card.gateway, card.customer_ref, card.method_ref, card.label) == (
        "stripe",
        "cus_TestCustomer01",
        "pm_1NewCardMc4444",
        "Mastercard •••• 4444",
    )


def test_the_setup_webhook_saves_the_card_once_and_replaces_the_old_one(client, stripe_api):
    user = UserFactory()
    old = SavedPaymentMethod.objects.create(
        user=user,
        gateway="stripe",
        customer_ref="cus_TestCustomer01",
        method_ref="pm_1OldCard",
        label="Visa •••• 4242",
    )
    session = setup_session(user=user, replaces=str(old.pk))
    for _ in range(2):
        stripe_api.add(
            responses.GET, f"{stripe_stub.API}/v1/checkout/sessions/cs_test_setup01", json=session
        )
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/payment_methods/pm_1OldCard/detach",
        json={"id": "pm_1OldCard", "object": "payment_method", "customer": None},
    )
    unexpanded = {**session, "setup_intent": "seti_1Test"}
    event = stripe_stub.event("checkout.session.completed", unexpanded)

    assert stripe_stub.post_webhook(client, event).status_code == 200
    assert stripe_stub.post_webhook(client, event).status_code == 200
    client.force_login(user)
    client.get(reverse("billing:stripe_return"), {"session_id": "cs_test_setup01"})

    assert list(
        SavedPaymentMethod.objects.filter(user=user).values_list("method_ref", flat=True)
    ) == ["pm_1NewCardMc4444"]


def test_with_stripe_removing_a_card_detaches_it_from_the_customer(client, stripe_api):
    user = UserFactory()
    client.force_login(user)
    card = SavedPaymentMethod.objects.create(
        user=user,
        gateway="stripe",
        customer_ref="cus_TestCustomer01",
        method_ref="pm_1Detach",
        label="Visa •••• 4242",
    )
    stripe_api.add(
        responses.POST,
        f"{stripe_stub.API}/v1/payment_methods/pm_1Detach/detach",
        json={"id": "pm_1Detach", "object": "payment_method", "customer": None},
    )

    client.post(reverse("billing:remove", args=[card.pk]))

    assert not SavedPaymentMethod.objects.exists()


def test_a_return_with_someone_elses_setup_session_saves_nothing(client, stripe_api):
    owner, intruder = UserFactory(), UserFactory()
    client.force_login(intruder)
    stripe_api.add(
        responses.GET,
        f"{stripe_stub.API}/v1/checkout/sessions/cs_test_setup01",
        json=setup_session(user=owner),
    )

    response = client.get(reverse("billing:stripe_return"), {"session_id": "cs_test_setup01"})

    assert response.url == BILLING
    assert not SavedPaymentMethod.objects.exists()


def test_the_billing_page_runs_a_constant_number_of_queries(client, member):
    client.get(BILLING)  # the header's unread count is cached from here on

    def queries_with(count: int) -> int:
        for _ in range(count):
            CommunitySubscriptionFactory(user=member.user)
            PaymentFactory(for_subscription=True, subscription=member, user=member.user)
            add_test_card(client)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BILLING).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(5)
