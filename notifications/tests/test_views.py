import re
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import USER_HINT_COOKIE
from accounts.tests.factories import UserFactory
from content.models import Post
from notifications.models import Notification, NotificationEmailPreference, NotificationType
from notifications.selectors import PAGE_SIZE, RESOURCE_MODELS, unread_count_key
from notifications.services import notifications_create
from notifications.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


@pytest.fixture
def fan(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_the_list_shows_my_notifications_newest_first_and_not_others(client, fan):
    older = NotificationFactory(user=fan, title="Older news", created_at=timezone.now() - HOUR)
    newer = NotificationFactory(user=fan, title="Newer news", created_at=timezone.now())
    NotificationFactory(title="Someone else's news")

    response = client.get(reverse("notifications:list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index(newer.title) < body.index(older.title)
    assert "Someone else" not in body


def test_each_notification_links_to_itself_and_an_unread_one_can_be_marked_read(client, fan):
    unread = NotificationFactory(user=fan, title="New post")
    read = NotificationFactory(user=fan, title="Old post", is_read=True)

    body = client.get(reverse("notifications:list")).content.decode()

    for notification in (unread, read):
        assert f'href="{reverse("notifications:open", args=[notification.pk])}"' in body
    assert f'action="{reverse("notifications:read", args=[unread.pk])}"' in body
    assert reverse("notifications:read", args=[read.pk]) not in body
    client.post(reverse("notifications:read", args=[unread.pk]))
    unread.refresh_from_db()
    assert unread.is_read


def test_the_list_kept_as_a_fragment_shows_a_read_or_a_new_notification_at_once(client, fan):
    notification = NotificationFactory(user=fan, title="New post")
    mark_read = reverse("notifications:read", args=[notification.pk])
    assert mark_read in client.get(reverse("notifications:list")).content.decode()

    Notification.objects.filter(pk=notification.pk).update(is_read=True)
    assert mark_read not in client.get(reverse("notifications:list")).content.decode()

    NotificationFactory(user=fan, title="Another post")
    assert "Another post" in client.get(reverse("notifications:list")).content.decode()


def test_the_header_shows_the_unread_count_on_every_page(client, fan):
    NotificationFactory.create_batch(3, user=fan)
    NotificationFactory(user=fan, is_read=True)

    response = client.get(reverse("home"))

    assert (
        '<span class="count-badge">3<span class="visually-hidden"> unread</span></span>'
        in response.content.decode()
    )


def header_badge(client) -> str | None:
    """The unread count the header shows on the home page, None without a badge."""
    body = client.get(reverse("home")).content.decode()
    badge = re.search(
        r'<span class="count-badge">(\d+)<span class="visually-hidden"> unread<', body
    )
    return badge and badge[1]


# Committed for real: the count is forgotten once the write commits.
@pytest.mark.django_db(transaction=True)
def test_the_header_badge_kept_in_redis_follows_new_notifications_and_reading_them(client, fan):
    first = NotificationFactory(user=fan)
    assert header_badge(client) == "1"  # now kept in Redis

    notifications_create(
        recipient_ids=[fan.pk],
        notification_type=NotificationType.POST,
        title="A new post",
        message="",
    )
    assert header_badge(client) == "2"

    client.post(reverse("notifications:read", args=[first.pk]))
    assert header_badge(client) == "1"

    client.get(reverse("notifications:open", args=[Notification.objects.get(is_read=False).pk]))
    assert header_badge(client) is None

    notifications_create(
        recipient_ids=[fan.pk], notification_type=NotificationType.POST, title="", message=""
    )
    assert header_badge(client) == "1"
    client.post(reverse("notifications:read_all"))
    assert header_badge(client) is None


# Committed for real: the count is forgotten once the write commits.
@pytest.mark.django_db(transaction=True)
def test_another_users_notification_leaves_my_badge_alone(client, fan):
    assert header_badge(client) is None
    notifications_create(
        recipient_ids=[UserFactory().pk],
        notification_type=NotificationType.POST,
        title="",
        message="",
    )
    assert header_badge(client) is None


def redis_commands_reading(key: str, request) -> list[str]:
    """The commands naming `key` that Redis received (MONITOR) while `request()` ran."""
    redis = cache.client.get_client()
    commands: list[str] = []
    with redis.monitor() as monitor:
        request()
        marker = f"end-of-request-{uuid.uuid4()}"
        redis.echo(marker)
        for event in monitor.listen():
            if marker in event["command"]:
                break
            if cache.make_key(key) in event["command"]:
                commands.append(event["command"])
    return commands


def test_the_header_badge_is_read_in_the_sessions_round_trip(client, fan):
    NotificationFactory(user=fan)
    assert header_badge(client) == "1"  # the user and the count are now in Redis
    key = unread_count_key(fan.pk)

    (command,) = redis_commands_reading(key, lambda: header_badge(client))
    session = cache.make_key(f"django.contrib.sessions.cached_db{client.session.session_key}")
    assert command.startswith("MGET ") and session in command
    assert header_badge(client) == "1"

    # A hint naming someone else reads their count along, and shows mine.
    other = UserFactory()
    NotificationFactory.create_batch(2, user=other)
    other_browser = Client()
    other_browser.force_login(other)
    assert header_badge(other_browser) == "2"
    client.cookies[USER_HINT_COOKIE] = str(other.pk)
    assert header_badge(client) == "1"


def test_the_list_pages_by_key_and_runs_the_same_queries_for_few_and_many(client, fan):
    NotificationFactory.create_batch(3, user=fan)
    # The first request caches the signed-in user (accounts.middleware); compare two after it.
    client.get(reverse("notifications:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("notifications:list"))
    NotificationFactory.create_batch(PAGE_SIZE + 5, user=fan)
    with CaptureQueriesContext(connection) as many:
        first_page = client.get(reverse("notifications:list"))

    assert len(many) == len(few)
    next_url = first_page.context["next_cursor"]
    second_page = client.get(reverse("notifications:list"), {"before": next_url})
    first_ids = {n.pk for n in first_page.context["notifications"]}
    second_ids = {n.pk for n in second_page.context["notifications"]}
    assert len(first_ids) == PAGE_SIZE
    assert len(second_ids) == 8
    assert not first_ids & second_ids


def test_a_malformed_page_key_shows_the_newest_page_with_a_message(client, fan):
    NotificationFactory(user=fan)

    response = client.get(reverse("notifications:list"), {"before": "yesterday_not-a-uuid"})

    assert response.status_code == 200
    assert "That page does not exist" in response.content.decode()


def test_marking_one_read_and_all_read(client, fan):
    first, *_ = NotificationFactory.create_batch(3, user=fan)

    client.post(reverse("notifications:read", args=[first.pk]))
    assert Notification.objects.filter(user=fan, is_read=False).count() == 2

    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=fan, is_read=False).exists()


def test_marking_read_with_htmx_answers_with_a_fragment(client, fan):
    notification = NotificationFactory(user=fan)

    response = client.post(
        reverse("notifications:read", args=[notification.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "Marked as read" in response.content.decode()


def test_someone_elses_notification_cannot_be_read_or_opened(client, fan):
    other = NotificationFactory()

    assert client.post(reverse("notifications:read", args=[other.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert not other.is_read


def test_opening_a_notification_whose_resource_is_gone_explains_it(client, fan):
    notification = NotificationFactory(user=fan)
    Post.objects.filter(pk=notification.related_resource_id).delete()

    response = client.get(reverse("notifications:open", args=[notification.pk]), follow=True)

    assert "no longer available" in response.content.decode()
    notification.refresh_from_db()
    assert notification.is_read


def test_the_notification_centre_needs_a_login(client):
    response = client.get(reverse("notifications:list"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_email_preferences_default_to_money_and_account_matters_and_can_be_changed(client, fan):
    page = client.get(reverse("notifications:email_preferences"))
    assert set(page.context["form"].initial["emailed_types"]) == {
        "order",
        "sale",
        "subscription",
        "verification",
        "payout",
    }

    client.post(reverse("notifications:email_preferences"), {"emailed_types": ["post", "order"]})

    chosen = dict(
        NotificationEmailPreference.objects.filter(user=fan).values_list(
            "notification_type", "send_email"
        )
    )
    assert chosen[NotificationType.POST] is True
    assert chosen[NotificationType.ORDER] is True
    assert chosen[NotificationType.SUBSCRIPTION] is False


def test_an_unknown_email_preference_is_refused_and_nothing_changes(client, fan):
    response = client.post(reverse("notifications:email_preferences"), {"emailed_types": ["spam"]})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationEmailPreference.objects.filter(user=fan).exists()


@pytest.mark.parametrize("label", sorted(set(RESOURCE_MODELS.values())))
def test_every_kind_of_resource_a_notification_names_has_a_page(label):
    assert hasattr(apps.get_model(label), "get_absolute_url")


def test_opening_a_notification_leads_to_its_resource(client, fan):
    notification = NotificationFactory(user=fan)

    response = client.get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "content:post_detail", args=[notification.related_resource_id]
    )
