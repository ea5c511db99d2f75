import uuid

import pytest
from django.core import mail

from accounts.models import UserPreferences
from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.selectors import artist_audience, community_audience
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from notifications.models import Notification, NotificationEmailPreference, NotificationType
from notifications.services import audience_notify, notifications_create

pytestmark = pytest.mark.django_db


def follower_of(artist, **user_fields):
    user = UserFactory(**user_fields)
    UserPreferences.objects.create(user=user, favorite_artists=[artist.pk])
    return user


def notify_new_post(artist, resource_id):
    return audience_notify(
        audience=artist_audience(artist_id=artist.pk),
        exclude_user_id=artist.user_id,
        notification_type=NotificationType.POST,
        title=f"{artist.artist_name} posted",
        message="A new post is up.",
        resource_type="post",
        resource_id=resource_id,
    )


def test_a_new_post_reaches_followers_and_members_once_each_and_nobody_else(
    django_capture_on_commit_callbacks,
):
    artist = ArtistFactory()
    community = CommunityFactory(artist=artist)
    follower = follower_of(artist)
    member = CommunitySubscriptionFactory(community=community).user
    follower_and_member = follower_of(artist)
    CommunitySubscriptionFactory(community=community, user=follower_and_member)
    lapsed = CommunitySubscriptionFactory(community=community, is_active=False).user
    deleted = follower_of(artist)
    deleted.deleted_at = deleted.created_at
    deleted.save()
    stranger = UserFactory()
    UserPreferences.objects.create(user=artist.user, favorite_artists=[artist.pk])
    post_id = uuid.uuid4()  # the resource is named, not joined

    with django_capture_on_commit_callbacks(execute=True):
        created = notify_new_post(artist, post_id)

    assert created == 3
    recipients = Notification.objects.filter(related_resource_id=post_id).values_list(
        "user_id", flat=True
    )
    assert sorted(recipients) == sorted([follower.pk, member.pk, follower_and_member.pk])
    assert not {lapsed.pk, deleted.pk, stranger.pk, artist.user_id} & set(recipients)
    # New posts are not emailed unless the fan asks for it.
    assert mail.outbox == []


def test_running_the_same_fan_out_twice_notifies_nobody_twice():
    artist = ArtistFactory()
    follower_of(artist)
    follower_of(artist)
    post_id = uuid.uuid4()

    assert notify_new_post(artist, post_id) == 2
    assert notify_new_post(artist, post_id) == 0

    assert Notification.objects.filter(related_resource_id=post_id).count() == 2


def test_the_fan_out_runs_a_constant_number_of_queries(django_assert_num_queries):
    artist = ArtistFactory()
    for _ in range(40):
        follower_of(artist)
    post_id = uuid.uuid4()

    # savepoint, advisory lock, already-done check, insert-select, release
    with django_assert_num_queries(5):
        assert notify_new_post(artist, post_id) == 40


def test_fans_who_asked_for_email_copies_get_one(django_capture_on_commit_callbacks):
    artist = ArtistFactory()
    wants_email = follower_of(artist)
    follower_of(artist)
    NotificationEmailPreference.objects.create(
        user=wants_email, notification_type=NotificationType.POST, send_email=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        notify_new_post(artist, uuid.uuid4())

    assert [message.to for message in mail.outbox] == [[wants_email.email]]
    assert mail.outbox[0].subject == f"{artist.artist_name} posted"


def test_community_members_notify_reaches_only_active_members():
    community = CommunityFactory()
    active = CommunitySubscriptionFactory(community=community).user
    CommunitySubscriptionFactory(community=community, is_active=False)
    CommunitySubscriptionFactory()  # a member of another community

    created = audience_notify(
        audience=community_audience(community_id=community.pk),
        exclude_user_id=None,
        notification_type=NotificationType.FORUM_POST,
        title="New artist-forum post",
        message="Read it in the community.",
        resource_type="community",
        resource_id=community.pk,
    )

    assert created == 1
    assert Notification.objects.get(related_resource_id=community.pk).user == active


def test_order_notifications_are_emailed_by_default_and_opting_out_stops_it(
    django_capture_on_commit_callbacks,
):
    default_user, opted_out = UserFactory(), UserFactory()
    NotificationEmailPreference.objects.create(
        user=opted_out, notification_type=NotificationType.ORDER, send_email=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(
            recipient_ids=[default_user.pk, opted_out.pk],
            notification_type=NotificationType.ORDER,
            title="Your order shipped",
            message="It is on its way.",
        )

    assert Notification.objects.filter(title="Your order shipped").count() == 2
    assert [message.to for message in mail.outbox] == [[default_user.email]]


def test_an_email_task_run_twice_sends_the_email_once(django_capture_on_commit_callbacks):
    from notifications.tasks import notification_emails_send

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notifications_create(
            recipient_ids=[user.pk],
            notification_type=NotificationType.ORDER,
            title="Your order shipped",
            message="It is on its way.",
        )
    notification = Notification.objects.get(user=user)
    assert notification.emailed_at is not None
    assert len(mail.outbox) == 1

    assert notification_emails_send([str(notification.pk)]) == 0

    assert len(mail.outbox) == 1


def test_a_name_with_a_newline_in_the_database_does_not_stop_the_batch(
    django_capture_on_commit_callbacks, caplog
):
    """A name written before names were checked, and an address no header may carry: the
    first still reaches its fans on one line, the second is logged and skipped, and every
    other copy of the batch goes out."""
    artist = ArtistFactory()
    type(artist).objects.filter(pk=artist.pk).update(artist_name="Nova\r\nBcc: all@example.com")
    artist.refresh_from_db()
    fans = [follower_of(artist) for _ in range(3)]
    unusable = fans[1]
    type(unusable).objects.filter(pk=unusable.pk).update(email="x@example.com\nBcc: y@example.com")
    for fan in fans:
        NotificationEmailPreference.objects.create(
            user=fan, notification_type=NotificationType.POST, send_email=True
        )

    with django_capture_on_commit_callbacks(execute=True):
        notify_new_post(artist, uuid.uuid4())

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [fans[0].email, fans[2].email]
    )
    assert {message.subject for message in mail.outbox} == {"Nova Bcc: all@example.com posted"}
    assert all(message.message()["Bcc"] is None for message in mail.outbox)
    assert "cannot be built; skipped" in caplog.text
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
