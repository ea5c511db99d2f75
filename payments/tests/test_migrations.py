"""The move of payments out of the shop keeps every row: a database holding payments,
their events, saved cards, refunds and placements from before the move finds them all,
unchanged, through the payments app after it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from payments.models import Payment, PaymentEvent, PaymentStatus, SavedPaymentMethod
from shop.models import FeaturedItem, Refund

BEFORE_THE_MOVE = [
    ("shop", "0012_full_text_search"),
    ("communities", "0008_full_text_search"),
    ("payments", None),
]
AFTER_THE_MOVE = [
    ("shop", "0013_payments_moved_to_payments_app"),
    ("communities", "0009_payment_foreign_keys_to_payments_app"),
    ("payments", "0001_payments_moved_from_shop"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([node for node in targets if node[1]]).apps


@pytest.fixture
def _back_to_the_latest_migrations():
    """The tests after this one need every table: the later migrations (the ledger, the
    audit app, communities' tiers) are applied again, whether the test passed or not."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    yield
    _migrate(leaves)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_back_to_the_latest_migrations")
def test_rows_from_before_the_move_are_all_found_after_it():
    old = _migrate(BEFORE_THE_MOVE)
    user = old.get_model("accounts", "User").objects.create(
        username="payer", email="payer@example.com", full_name="A Payer"
    )
    order = old.get_model("shop", "Order").objects.create(
        user=user, total_amount=Decimal("12.50"), contact_email="payer@example.com"
    )
    OldPayment = old.get_model("shop", "Payment")
    order_payment = OldPayment.objects.create(
        user=user,
        order=order,
        purpose="order",
        amount=Decimal("12.50"),
        refunded_amount=Decimal("2.50"),
        gateway="test",
        payment_status="completed",
        payment_method="Visa •••• 4242",
    )
    placement_payment = OldPayment.objects.create(
        user=user, purpose="featured", amount=Decimal("4.00"), gateway="test"
    )
    event = old.get_model("shop", "PaymentEvent").objects.create(
        gateway="test",
        event_id="evt_1",
        event_type="payment.completed",
        payment=order_payment,
        payload={"id": "evt_1"},
    )
    saved = old.get_model("shop", "SavedPaymentMethod").objects.create(
        user=user, gateway="test", method_ref="pm_1", label="Visa •••• 4242"
    )
    refund = old.get_model("shop", "Refund").objects.create(
        order=order,
        payment=order_payment,
        amount=Decimal("2.50"),
        reason="Damaged sleeve",
        request_key="00000000-0000-0000-0000-000000000001",
    )
    placement = old.get_model("shop", "FeaturedItem").objects.create(
        item_type="artist",
        item_id="someone",
        end_date=timezone.now() + timedelta(days=3),
        payment=placement_payment,
    )
    OldContentType = old.get_model("contenttypes", "ContentType")
    payment_type = OldContentType.objects.get_or_create(app_label="shop", model="payment")[0]

    _migrate(AFTER_THE_MOVE)

    moved = Payment.objects.get(pk=order_payment.pk)
    assert (moved.order_id, moved.amount, moved.refunded_amount, moved.payment_method) == (
        order.pk,
        Decimal("12.50"),
        Decimal("2.50"),
        "Visa •••• 4242",
    )
    assert moved.payment_status == PaymentStatus.COMPLETED
    assert Payment.objects.count() == 2
    assert PaymentEvent.objects.get(pk=event.pk).payment_id == order_payment.pk
    assert SavedPaymentMethod.objects.get(pk=saved.pk).user_id == user.pk
    assert Refund.objects.get(pk=refund.pk).payment == moved
    assert FeaturedItem.objects.get(pk=placement.pk).payment.pk == placement_payment.pk
    # Admin history and permissions hang on the content type, which moved with the model.
    assert ContentType.objects.get_for_model(Payment).pk == payment_type.pk
