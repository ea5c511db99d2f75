"""Promise: a renewal that needs the member (3-D Secure, SCA) asks them by email to
confirm it on our page, keeps their access meanwhile, and renews once they confirm.

End to end with the test gateway (its card 4000 0025 0000 3155 needs confirmation) and
with Stripe stubbed at its HTTP boundary (a PaymentIntent in `requires_action`)."""

import re
from datetime import timedelta

import pytest
import responses
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities import selectors
from communities.models import CommunitySubscription
from communities.services.renewals import subscription_renew
from communities.tests.factories import CommunitySubscriptionFactory
from notifications.models import Notification, NotificationEmailPreference
from payments.models import Payment, PaymentStatus, SavedPaymentMethod
from payments.tests import stripe_stub

pytestmark = pytest.mark.django_db

NEEDS_CONFIRMATION = "4000002500003155"


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _due_subscription():
    return CommunitySubscriptionFactory(end_date=timezone.now() + timedelta(hours=1))


def _link_in(message) -> str:
    return re.search(r"https?://\S+/payments/\S+/confirm/", message.body).group(0)


def _asks_for_confirmation(subscription, mailoutbox, settings) -> tuple[Payment, str]:
    """The renewal ran: it waits for the member, who keeps access and got the link."""
    payment = Payment.objects.get(subscription=subscription)
    assert payment.payment_status == PaymentStatus.REQUIRES_ACTION
    subscription.refresh_from_db()
    assert subscription.status == "grace"
    assert subscription.grace_until > subscription.end_date
    assert selectors.is_member(community_id=subscription.community_id, user=subscription.user)
    [email] = [m for m in mailoutbox if "confirm" in m.subject.lower()]
    assert email.to == [subscription.user.email]
    link = _link_in(email)
    assert link.startswith(settings.SITE_URL)
    assert Notification.objects.filter(user=subscription.user, title__icontains="confirm").exists()
    # The job retried meanwhile charges nothing more and asks nothing more.
    assert subscription_renew(subscription_id=subscription.pk) == "awaiting_member"
    assert Payment.objects.filter(subscription=subscription).count() == 1
    return payment, link.removeprefix(settings.SITE_URL)


def _renewed(subscription, end) -> None:
    subscription.refresh_from_db()
    assert subscription.status == "active" and subscription.grace_until is None
    assert subscription.end_date == end + timedelta(days=30)


def test_the_test_gateway_card_that_needs_confirmation_is_confirmed_by_the_member(
    mailoutbox, settings, django_capture_on_commit_callbacks
):
    subscription = _due_subscription()
    # Emailed even to a member who turned subscription emails off: they must act.
    NotificationEmailPreference.objects.create(
        user=subscription.user, notification_type="subscription", send_email=False
    )
    SavedPaymentMethod.objects.create(
        user=subscription.user,
        gateway="test",
        method_ref=f"testcard_{subscription.user.pk}_3155",
        label="Test card 3155",
    )
    end = subscription.end_date
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk) == "awaiting_member"
    payment, path = _asks_for_confirmation(subscription, mailoutbox, settings)

    # Someone else's link shows nothing.
    assert _client_for(CommunitySubscriptionFactory().user).get(path).status_code == 404
    client = _client_for(subscription.user)
    page = client.get(path).content.decode()
    assert "$4.99" in page and "Confirm the payment" in page
    response = client.post(path)
    assert response.status_code == 302
    gateway_page = response["Location"]
    assert gateway_page == reverse("payments:test_confirm", args=[payment.pk])
    assert "Complete authentication" in client.get(gateway_page).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(gateway_page)
    assert response["Location"] == reverse("payments:detail", args=[payment.pk])
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.COMPLETED
    _renewed(subscription, end)


def test_the_card_that_needs_confirmation_pays_on_the_test_checkout_page_and_is_saved():
    subscription = CommunitySubscriptionFactory(joining=True)
    client = _client_for(subscription.user)
    response = client.post(reverse("payments:start", args=["subscription", subscription.pk]))
    response = client.post(response["Location"], {"card_number": "4000 0025 0000 3155"})
    assert response.status_code == 302
    assert Payment.objects.get(subscription=subscription).payment_status == "completed"
    assert SavedPaymentMethod.objects.get(user=subscription.user).method_ref.endswith("_3155")


def _stripe_card(subscription):
    return SavedPaymentMethod.objects.create(
        user=subscription.user,
        gateway="stripe",
        customer_ref="cus_TestCustomer01",
        method_ref="pm_1TestCardVisa3155",
        label="Card saved with Stripe",
    )


def _stripe_subscription():
    subscription = _due_subscription()
    # Joined through Stripe: its renewals go through Stripe too.
    _stripe_card(subscription)
    return subscription


HOSTED = "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1&payment_intent=pi_3Sca"


def _intent_answer(payment_holder: dict, status: str, next_action=None):
    def answer(request):
        payment = Payment.objects.get(pk=payment_holder["id"])
        intent = stripe_stub.payment_intent(
            payment,
            status=status,
            pi_id="pi_3Sca",
            flow="off_session",
            setup_future_usage=None,
            next_action=next_action,
        )
        return 200, {"Request-Id": "req_sca"}, stripe_stub.json_dumps(intent)

    return answer


def _renew_through_stripe(subscription, stripe_api, django_capture_on_commit_callbacks, answer):
    holder = {}

    def create(request):
        holder["id"] = stripe_stub.form_body_of(request)["metadata[payment_id]"][0]
        return answer(holder)(request)

    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/payment_intents", callback=create
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk) == "awaiting_member"
    return holder


def test_a_stripe_renewal_in_requires_action_sends_the_member_to_stripes_page(
    stripe_api, client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    subscription = _stripe_subscription()
    end = subscription.end_date
    redirect = {"type": "redirect_to_url", "redirect_to_url": {"url": HOSTED, "return_url": "x"}}
    holder = _renew_through_stripe(
        subscription,
        stripe_api,
        django_capture_on_commit_callbacks,
        lambda holder: _intent_answer(holder, "requires_action", redirect),
    )
    payment, path = _asks_for_confirmation(subscription, mailoutbox, settings)
    assert payment.stripe_payment_id == "pi_3Sca"

    stripe_api.add_callback(
        responses.GET,
        f"{stripe_stub.API}/v1/payment_intents/pi_3Sca",
        callback=_intent_answer(holder, "requires_action", redirect),
    )
    member = _client_for(subscription.user)
    assert "Confirm the payment" in member.get(path).content.decode()
    response = member.post(path)
    assert (response.status_code, response["Location"]) == (302, HOSTED)
    # Stripe sends the member back to the payment's page before its webhook arrives.
    back = member.get(
        reverse("payments:detail", args=[payment.pk]),
        {"payment_intent": "pi_3Sca", "redirect_status": "succeeded"},
    )
    assert "waiting for its answer" in back.content.decode()

    # The member authenticated at their bank; Stripe tells us.
    intent = stripe_stub.payment_intent(
        payment, pi_id="pi_3Sca", flow="off_session", setup_future_usage=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        webhook = stripe_stub.post_webhook(
            client, stripe_stub.event("payment_intent.succeeded", intent)
        )
    assert webhook.status_code == 200
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.COMPLETED
    _renewed(subscription, end)


def test_a_stripe_renewal_refused_for_authentication_is_confirmed_through_stripes_hosted_page(
    stripe_api, client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """Stripe's usual answer to an off-session charge that needs the customer: 402
    `authentication_required`; our page then confirms the PaymentIntent with a return URL
    and sends the member to the page Stripe names."""
    subscription = _stripe_subscription()
    holder = {}

    def refused(request):
        holder["id"] = stripe_stub.form_body_of(request)["metadata[payment_id]"][0]
        payment = Payment.objects.get(pk=holder["id"])
        intent = stripe_stub.payment_intent(
            payment, status="requires_payment_method", pi_id="pi_3Sca", flow="off_session"
        )
        error = {
            "error": {
                "type": "card_error",
                "code": "authentication_required",
                "message": "This payment requires authentication.",
                "payment_intent": intent,
            }
        }
        return 402, {"Request-Id": "req_402"}, stripe_stub.json_dumps(error)

    stripe_api.add_callback(
        responses.POST, f"{stripe_stub.API}/v1/payment_intents", callback=refused
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert subscription_renew(subscription_id=subscription.pk) == "awaiting_member"
    payment, path = _asks_for_confirmation(subscription, mailoutbox, settings)

    stripe_api.add_callback(
        responses.GET,
        f"{stripe_stub.API}/v1/payment_intents/pi_3Sca",
        callback=_intent_answer(holder, "requires_payment_method"),
    )
    redirect = {"type": "redirect_to_url", "redirect_to_url": {"url": HOSTED, "return_url": "x"}}
    stripe_api.add_callback(
        responses.POST,
        f"{stripe_stub.API}/v1/payment_intents/pi_3Sca/confirm",
        callback=_intent_answer(holder, "requires_action", redirect),
    )
    response = _client_for(subscription.user).post(path)
    assert (response.status_code, response["Location"]) == (302, HOSTED)
    sent = stripe_stub.form_body_of(stripe_api.calls[-1].request)
    assert sent["return_url"] == [f"http://testserver/payments/{payment.pk}/"]
    assert sent["payment_method"] == ["pm_1TestCardVisa3155"]
    # Until Stripe reports the outcome, the member keeps access and the payment waits.
    assert CommunitySubscription.objects.get(pk=subscription.pk).status == "grace"
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.REQUIRES_ACTION
