"""Issue 22, item 9: what artists and fans are told, each by the email preferences.

Already covered elsewhere: a new member (communities/tests/test_services.py) and a new
order to ship (shop/tests/test_fulfilment.py); replies and mentions are the forums'.
"""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import UserFactory
from communities.models import ForumType
from communities.services.moderation import flag_create, moderator_name
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from content.tests.factories import PostFactory
from notifications.models import Notification, NotificationEmailPreference, NotificationType
from shop.tests.factories import ProductFactory
from shop.tests.helpers import buy_many

pytestmark = pytest.mark.django_db


def wants_email(user, notification_type):
    NotificationEmailPreference.objects.create(
        user=user, notification_type=notification_type, send_email=True
    )


def test_the_artist_hears_of_a_comment_on_their_post_by_email_only_if_they_asked(
    client, django_capture_on_commit_callbacks
):
    post = PostFactory()
    artist_user = post.artist.user
    fan = UserFactory()
    client.force_login(fan)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("content:post_comment", args=[post.pk]), {"content": "Great song"})
    notification = Notification.objects.get(user=artist_user)
    assert notification.notification_type == NotificationType.POST_COMMENT
    assert notification.title == f"{fan.display_name} commented on your post"
    assert mail.outbox == []  # not emailed by default

    wants_email(artist_user, NotificationType.POST_COMMENT)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("content:post_comment", args=[post.pk]), {"content": "Again"})
    assert [message.to for message in mail.outbox] == [[artist_user.email]]


def test_the_artist_is_not_told_of_their_own_comment(client):
    post = PostFactory()
    client.force_login(post.artist.user)

    client.post(reverse("content:post_comment", args=[post.pk]), {"content": "Thanks all"})

    assert not Notification.objects.exists()


def test_the_artist_is_told_of_a_sale_of_a_download(client, django_capture_on_commit_callbacks):
    album = ProductFactory(download=True, name="Night Drive (album)")
    wants_email(album.artist.user, NotificationType.NEW_SALE)
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        order = buy_many(client, [album])

    notification = Notification.objects.get(user=album.artist.user)
    assert notification.notification_type == NotificationType.NEW_SALE
    assert "1 × Night Drive (album)" in notification.message
    assert str(order.pk)[:8] in notification.message
    assert [m.to for m in mail.outbox if m.subject == "New sale"] == [[album.artist.user.email]]


def test_a_fan_is_told_when_the_artist_answers_their_suggestion(
    client, django_capture_on_commit_callbacks
):
    community = CommunityFactory()
    fan = CommunitySubscriptionFactory(community=community).user
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    suggestion = ForumPostFactory(forum=forum, user=fan, title="Play Nightcall live")
    client.force_login(community.artist.user)
    url = reverse("communities:post_answer", args=[community.pk, suggestion.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"state": "answered"})
        client.post(url, {"state": "answered"})  # already answered: nothing new to tell

    notification = Notification.objects.get(user=fan)
    assert notification.notification_type == NotificationType.SUGGESTION_ANSWERED
    assert notification.title == "Your suggestion “Play Nightcall live” is answered"
    assert mail.outbox == []  # not emailed by default


def test_the_artist_and_the_moderators_are_told_of_a_flag_waiting_once_per_item(
    django_capture_on_commit_callbacks,
):
    community = CommunityFactory()
    artist_user = community.artist.user
    moderator = CommunitySubscriptionFactory(community=community).user
    moderator_name(community=community, by=artist_user, user=moderator)
    wants_email(moderator, NotificationType.FLAG)
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    message = ForumPostFactory(forum=chat, title=None, content="spam spam")
    flaggers = [CommunitySubscriptionFactory(community=community).user for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        for flagger in flaggers:
            flag_create(kind="forum_post", object_id=message.pk, by=flagger, reason="spam")

    told = Notification.objects.filter(notification_type=NotificationType.FLAG)
    assert sorted(told.values_list("user_id", flat=True)) == sorted([artist_user.pk, moderator.pk])
    assert told.first().message == "spam spam"
    assert [m.to for m in mail.outbox] == [[moderator.email]]


def test_the_new_types_are_offered_in_the_email_preferences(client):
    client.force_login(UserFactory())

    page = client.get(reverse("notifications:email_preferences")).content.decode()

    for kind in ("post_comment", "new_sale", "flag", "suggestion_answered"):
        assert f'value="{kind}"' in page
