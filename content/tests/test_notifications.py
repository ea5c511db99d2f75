"""What a post, a reply or a like tells the people concerned, through the notification centre."""

import pytest

from accounts.models import UserPreferences
from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content.services import like_set, post_create
from content.tests.factories import PostFactory
from notifications.models import Notification, NotificationType

pytestmark = pytest.mark.django_db


def test_a_new_post_notifies_followers_and_members_once_each(django_capture_on_commit_callbacks):
    artist = ArtistFactory()
    follower = UserFactory()
    UserPreferences.objects.create(user=follower, favorite_artists=[artist.pk])
    member = CommunitySubscriptionFactory(community=CommunityFactory(artist=artist)).user
    UserFactory()  # follows nobody

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(
            artist=artist, by=artist.user, content_text="New single out!", uploads=[]
        )

    notified = Notification.objects.filter(
        notification_type=NotificationType.POST, related_resource_id=post.pk
    )
    assert sorted(notified.values_list("user_id", flat=True)) == sorted([follower.pk, member.pk])
    assert notified.first().title == f"{artist.artist_name} posted"


def test_likes_on_one_post_are_grouped_in_one_unread_notification():
    post = PostFactory()
    author = post.artist.user
    ana, ben, cy = (UserFactory(username=name) for name in ("ana", "ben", "cy"))

    like_set(user=ana, liked=True, post=post)
    like_set(user=ben, liked=True, post=post)
    like_set(user=cy, liked=True, post=post)

    notification = Notification.objects.get(user=author, notification_type=NotificationType.LIKE)
    assert notification.title == "cy and 2 others liked your post"
    assert notification.related_resource_id == post.pk


def test_a_like_after_the_group_was_read_starts_a_new_notification():
    post = PostFactory()
    author = post.artist.user
    like_set(user=UserFactory(username="ana"), liked=True, post=post)
    Notification.objects.filter(user=author).update(is_read=True)

    like_set(user=UserFactory(username="ben"), liked=True, post=post)

    unread = Notification.objects.get(user=author, is_read=False)
    assert unread.title == "ben and 1 other liked your post"
    assert Notification.objects.filter(user=author).count() == 2
