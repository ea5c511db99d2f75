"""The pages around a payment: start, the test gateway's checkout, the return page, admin."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from artists.models import Artist
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunitySubscriptionFactory
from payments.models import Payment, PaymentStatus
from shop.models import Order, OrderStatus
from shop.tests.factories import FeaturedItemFactory, OrderFactory, PaymentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_stripe(settings):
    settings.STRIPE_SECRET_KEY = None


def start(client, order):
    client.force_login(order.user)
    return client.post(reverse("payments:start", args=["order", order.pk]))


def test_buying_with_the_test_gateway_end_to_end(client):
    order = OrderFactory(total_amount=Decimal("12.50"))

    response = start(client, order)
    payment = Payment.objects.get(order=order)
    assert response.url == reverse("payments:test_checkout", args=[payment.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    assert "$12.50" in page.text  # the amount in the platform currency (PAYMENTS_CURRENCY)

    response = client.post(response.url, {"card_number": "4242 4242 4242 4242"})
    assert response.url == reverse("payments:detail", args=[payment.pk])
    assert "Completed" in client.get(response.url).text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_the_amount_posted_by_the_browser_is_ignored(client):
    order = OrderFactory(total_amount=Decimal("12.50"))
    client.force_login(order.user)

    client.post(reverse("payments:start", args=["order", order.pk]), {"amount": "0.01"})

    assert Payment.objects.get(order=order).amount == Decimal("12.50")


def test_an_unknown_card_number_is_refused_with_a_message_and_changes_nothing(client):
    order = OrderFactory()
    url = start(client, order).url

    response = client.post(url, {"card_number": "1234 5678 9012 3456"})

    assert response.status_code == 400
    assert "Use one of the test card numbers" in response.text
    assert Payment.objects.get(order=order).payment_status == PaymentStatus.PENDING


def test_a_declined_card_shows_the_payment_failed(client):
    order = OrderFactory()
    url = start(client, order).url

    response = client.post(url, {"card_number": "4000000000000002"}, follow=True)

    assert "Your card was declined." in response.text
    assert "Try again with another card" in response.text
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_nobody_else_can_start_pay_or_see_someone_elses_payment(client):
    order = OrderFactory()
    payment = PaymentFactory(order=order, payment_status=PaymentStatus.PENDING, gateway="test")
    client.force_login(UserFactory())

    assert client.post(reverse("payments:start", args=["order", order.pk])).status_code == 404
    assert client.get(reverse("payments:detail", args=[payment.pk])).status_code == 404
    assert client.get(reverse("payments:test_checkout", args=[payment.pk])).status_code == 404


def test_a_purpose_nobody_registered_is_not_found(client):
    order = OrderFactory()
    client.force_login(order.user)

    assert client.post(reverse("payments:start", args=["donation", order.pk])).status_code == 404
    assert not Payment.objects.exists()


def test_only_the_artist_behind_a_placement_or_staff_may_pay_for_it(client):
    item = FeaturedItemFactory()
    url = reverse("payments:start", args=["featured", item.pk])
    client.force_login(ArtistFactory().user)
    assert client.post(url).status_code == 404
    assert not Payment.objects.exists()

    client.force_login(UserFactory(is_staff=True))
    assert client.post(url).status_code == 302
    client.force_login(Artist.objects.get(pk=item.item_id).user)
    response = client.post(url)

    item.refresh_from_db()
    assert response.url == reverse("payments:test_checkout", args=[item.payment_id])
    assert Payment.objects.filter(purpose="featured").count() == 2


def test_starting_requires_a_login_and_a_post(client):
    order = OrderFactory()
    url = reverse("payments:start", args=["order", order.pk])
    assert client.post(url).status_code == 302
    client.force_login(order.user)
    assert client.get(url).status_code == 405


def test_paying_an_order_twice_is_refused_with_a_message(client):
    order = OrderFactory(status=OrderStatus.PAID)

    response = start(client, order)

    # Back to the order, where the message is shown.
    assert response.url == reverse("shop:order", args=[order.pk])
    assert "not waiting for payment" in client.get(response.url).text
    assert not Payment.objects.exists()


def test_the_test_checkout_is_gone_when_stripe_is_configured(client, settings):
    order = OrderFactory()
    url = start(client, order).url
    settings.STRIPE_SECRET_KEY = "sk_test_suite"

    assert client.get(url).status_code == 404


def test_a_subscription_is_paid_through_the_same_pages(client):
    subscription = CommunitySubscriptionFactory(joining=True)
    client.force_login(subscription.user)

    url = client.post(reverse("payments:start", args=["subscription", subscription.pk])).url
    client.post(url, {"card_number": "4242424242424242"})

    subscription.refresh_from_db()
    assert subscription.is_active


@pytest.mark.parametrize("others", [1, 20])
def test_the_test_checkout_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, others
):
    payment = PaymentFactory(payment_status=PaymentStatus.PENDING, gateway="test")
    PaymentFactory.create_batch(others, user=payment.user, payment_status=PaymentStatus.PENDING)
    client.force_login(payment.user)

    # session, user, payment
    with django_assert_num_queries(3):
        response = client.get(reverse("payments:test_checkout", args=[payment.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("others", [1, 20])
def test_the_return_page_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, others
):
    payment = PaymentFactory(payment_status=PaymentStatus.PENDING, gateway="test")
    PaymentFactory.create_batch(others, user=payment.user)
    client.force_login(payment.user)

    # session, user, payment
    with django_assert_num_queries(3):
        response = client.get(reverse("payments:detail", args=[payment.pk]))
    assert response.status_code == 200
    assert 'data-hx-trigger="every 2s"' in response.text


def test_staff_refund_payments_from_the_admin_through_the_gateway(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    paid = PaymentFactory(gateway="test", amount=Decimal("24.99"))
    pending = PaymentFactory(gateway="test", payment_status=PaymentStatus.PENDING)
    client.force_login(staff)

    response = client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund_in_full", "_selected_action": [paid.pk, pending.pk]},
        follow=True,
    )

    assert response.status_code == 200
    paid.refresh_from_db()
    pending.refresh_from_db()
    assert (paid.payment_status, paid.refunded_amount) == ("refunded", Decimal("24.99"))
    assert pending.payment_status == PaymentStatus.PENDING


def test_the_admin_lists_payments_filtered_by_status_and_searched(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    PaymentFactory(stripe_payment_id="pi_3Findme")
    client.force_login(staff)

    url = reverse("admin:payments_payment_changelist")
    assert client.get(url, {"payment_status__exact": "completed"}).status_code == 200
    assert "pi_3Findme" not in client.get(url, {"q": "nothing"}).text
    assert client.get(url, {"q": "pi_3Findme"}).status_code == 200


def test_staff_refund_part_of_a_payment_from_its_admin_page(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    payment = PaymentFactory(gateway="test", amount=Decimal("24.99"))
    client.force_login(staff)
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert url in client.get(reverse("admin:payments_payment_change", args=[payment.pk])).text

    too_much = client.post(url, {"amount": "30.00"})
    assert too_much.status_code == 400
    assert "between 0.01 and 24.99" in too_much.text

    response = client.post(url, {"amount": "4.99"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.payment_status, payment.refunded_amount) == ("completed", Decimal("4.99"))


def test_only_staff_reach_the_refund_page(client):
    payment = PaymentFactory(gateway="test")
    client.force_login(payment.user)

    response = client.post(reverse("admin:payments_payment_refund", args=[payment.pk]), {})

    assert response.status_code == 302  # to the admin login
    payment.refresh_from_db()
    assert payment.refunded_amount == 0
