import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import StatusTransitionError, status_change
from shop.models import OrderStatus
from shop.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDER_MOVES = {
    OrderStatus.PENDING: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.SHIPPED},
}


def test_an_allowed_move_changes_the_status_and_records_who_made_it():
    order = OrderFactory(status=OrderStatus.PENDING)
    staff = UserFactory(staff=True)

    order, changed = status_change(
        instance=order,
        new_status=OrderStatus.PAID,
        by=staff,
        transitions=ORDER_MOVES,
        entity_type="order",
    )

    assert changed
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    history = StatusHistory.objects.get(entity_id=order.pk)
    assert (history.entity_type, history.old_status, history.new_status) == (
        "order",
        "pending",
        "paid",
    )
    assert history.changed_by == staff


def test_repeating_a_move_changes_nothing_and_records_nothing():
    order = OrderFactory(status=OrderStatus.PENDING)
    status_change(instance=order, new_status="paid", transitions=ORDER_MOVES, entity_type="order")

    _, changed = status_change(
        instance=order, new_status="paid", transitions=ORDER_MOVES, entity_type="order"
    )

    assert not changed
    assert StatusHistory.objects.filter(entity_id=order.pk).count() == 1


def test_a_forbidden_move_raises_and_changes_nothing():
    order = OrderFactory(status=OrderStatus.PENDING)

    with pytest.raises(StatusTransitionError, match="cannot move from 'pending' to 'shipped'"):
        status_change(
            instance=order, new_status="shipped", transitions=ORDER_MOVES, entity_type="order"
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert not StatusHistory.objects.filter(entity_id=order.pk).exists()


def test_a_move_and_its_history_are_one_statement_with_expressions_read_back():
    order = OrderFactory(status=OrderStatus.PENDING)
    total = order.total_amount

    with CaptureQueriesContext(connection) as queries:
        order, changed = status_change(
            instance=order,
            new_status=OrderStatus.PAID,
            transitions=ORDER_MOVES,
            entity_type="order",
            with_fields={"total_amount": F("total_amount") + 1},
            locked=True,
        )

    assert changed
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert order.total_amount == total + 1  # the expression's value, as save() reads it back
    order.refresh_from_db()
    assert (order.status, order.total_amount) == (OrderStatus.PAID, total + 1)
    assert StatusHistory.objects.filter(entity_id=order.pk, new_status="paid").count() == 1
