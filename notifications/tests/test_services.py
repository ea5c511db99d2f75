import pytest

from accounts.tests.factories import UserFactory
from notifications.models import Notification
from notifications.services import notifications_create

pytestmark = pytest.mark.django_db


def test_notifications_are_inserted_in_a_constant_number_of_queries(
    django_assert_num_queries,
):
    users = UserFactory.create_batch(30)

    # One statement (the insert, reading email preferences), however many recipients.
    with django_assert_num_queries(1):
        created = notifications_create(
            recipient_ids=[user.pk for user in users] + [users[0].pk],
            notification_type="post",
            title="New post",
            message="Luna Vega posted.",
        )

    assert created == 30
    assert Notification.objects.filter(user__in=users).count() == 30
