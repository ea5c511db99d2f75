"""One handler per purpose, registered once by the app that owns the thing paid for, and
the two signals the payment service sends after it (payments.purposes, payments.signals)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from communities.purposes import SubscriptionPayments
from communities.tests.factories import CommunitySubscriptionFactory
from payments.models import PaymentPurpose, PaymentStatus
from payments.purposes import PurposeNotRegistered, purpose_handler, purpose_register
from payments.services import payment_refund, payment_start, payment_test_checkout_submit
from payments.signals import payment_completed, payment_refunded
from shop.models import Order, OrderStatus
from shop.purposes import FeaturedPayments, OrderPayments
from shop.tests.factories import OrderFactory, PaymentFactory

PAYS = "4242424242424242"


def test_each_purpose_has_the_one_handler_of_the_app_that_owns_it():
    handlers = {purpose: type(purpose_handler(purpose)) for purpose in PaymentPurpose}

    assert handlers == {
        PaymentPurpose.ORDER: OrderPayments,
        PaymentPurpose.SUBSCRIPTION: SubscriptionPayments,
        PaymentPurpose.FEATURED: FeaturedPayments,
    }


def test_registering_a_second_handler_for_a_purpose_is_refused():
    with pytest.raises(ImproperlyConfigured, match="already have a handler"):
        purpose_register(purpose=PaymentPurpose.FEATURED, handler=FeaturedPayments())

    assert type(purpose_handler(PaymentPurpose.FEATURED)) is FeaturedPayments


def test_a_purpose_nobody_registered_is_a_clear_error():
    with pytest.raises(PurposeNotRegistered, match=r"No handler is registered.*'tips'"):
        purpose_handler("tips")


@pytest.mark.django_db
def test_a_payment_leads_its_payer_to_what_it_paid_for():
    order_payment = PaymentFactory()
    subscription = CommunitySubscriptionFactory()
    subscription_payment = PaymentFactory(
        order=None, subscription=subscription, purpose=PaymentPurpose.SUBSCRIPTION
    )
    placement_payment = PaymentFactory(
        order=None, user=subscription.user, amount=Decimal("4.00"), purpose=PaymentPurpose.FEATURED
    )

    assert order_payment.get_absolute_url() == f"/shop/orders/{order_payment.order_id}/"
    assert subscription_payment.get_absolute_url() == subscription.get_absolute_url()
    assert placement_payment.get_absolute_url() == "/notifications/"


@pytest.mark.django_db
def test_completion_and_refund_signals_come_after_the_handler_inside_the_transaction(settings):
    settings.STRIPE_SECRET_KEY = None
    heard = []

    def listen(signal, payment, by, **_):
        order = Order.objects.get(pk=payment.order_id)
        heard.append((signal, payment.payment_status, order.status, connection.in_atomic_block))

    payment_completed.connect(listen, weak=False)
    payment_refunded.connect(listen, weak=False)
    try:
        order = OrderFactory(total_amount=Decimal("10.00"))
        payment, _ = payment_start(
            user=order.user,
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url="http://testserver",
        )
        payment = payment_test_checkout_submit(payment=payment, card_number=PAYS)
        payment_refund(payment=payment)
    finally:
        payment_completed.disconnect(listen)
        payment_refunded.disconnect(listen)

    # The order's handler has run when each signal is sent: paid, then cancelled.
    assert heard == [
        (payment_completed, PaymentStatus.COMPLETED, OrderStatus.PAID, True),
        (payment_refunded, PaymentStatus.REFUNDED, OrderStatus.CANCELLED, True),
    ]
