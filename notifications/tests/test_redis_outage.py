"""The site keeps working while Redis (cache, sessions, broker) is down."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from notifications.models import Notification, NotificationType
from notifications.services import notification_emails_sweep, notifications_create
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_the_notification_centre_renders_for_a_signed_in_fan(client, redis_down):
    fan = UserFactory()
    NotificationFactory(user=fan)
    client.force_login(fan)

    home = client.get(reverse("home"))
    notifications = client.get(reverse("notifications:list"))

    assert home.status_code == 200
    assert fan.username in home.content.decode()
    assert notifications.status_code == 200


def test_a_notification_is_kept_when_its_email_cannot_be_queued_and_the_sweep_sends_it(
    redis_down, django_capture_on_commit_callbacks
):
    buyer = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(
            recipient_ids=[buyer.pk],
            notification_type=NotificationType.ORDER,
            title="Your order shipped",
            message="It is on its way.",
        )

    notification = Notification.objects.get(user=buyer)
    assert notification.emailed_at is None
    assert mail.outbox == []

    Notification.objects.filter(pk=notification.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    assert notification_emails_sweep() == 1
    assert [message.to for message in mail.outbox] == [[buyer.email]]
    assert notification_emails_sweep() == 0


def test_the_sweep_leaves_notifications_nobody_wants_by_email():
    fan = UserFactory()
    NotificationFactory(
        user=fan,
        notification_type=NotificationType.POST,
        created_at=timezone.now() - timedelta(minutes=10),
    )

    assert notification_emails_sweep() == 0
    assert mail.outbox == []
