"""The scheduled jobs: renewals, expiry, and the member notifications they queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from communities.models import CommunitySubscription, ForumType, LiveEventStatus, LiveEventType
from communities.services.forums import forum_post_create
from communities.services.live import live_event_schedule, live_event_status_set
from communities.tasks import (
    forum_post_notify_members,
    forum_posts_announce_sweep,
    live_events_announce_sweep,
    subscription_renew,
    subscriptions_expire,
    subscriptions_renew_due,
)
from communities.tests.conftest import due_subscription, save_card
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from musicplatform.tests.outages import broker_down
from notifications.models import Notification, NotificationType
from payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.django_db


def test_the_beat_task_renews_every_due_subscription_once():
    due = [due_subscription() for _ in range(3)]
    CommunitySubscriptionFactory()  # not due for a month
    for subscription in due:
        save_card(subscription.user)
    assert subscriptions_renew_due.delay().get() == 3
    assert subscriptions_renew_due.delay().get() == 0
    assert Payment.objects.filter(payment_status=PaymentStatus.COMPLETED).count() == 3
    assert subscription_renew.delay(str(due[0].pk)).get() == "skipped"


def test_the_expiry_task_ends_cancelled_memberships_after_their_end_date():
    ended = CommunitySubscriptionFactory(
        auto_renew=False, end_date=timezone.now() - timedelta(minutes=1)
    )
    running = CommunitySubscriptionFactory(auto_renew=False)
    assert subscriptions_expire.delay().get() == 1
    assert subscriptions_expire.delay().get() == 0
    assert not CommunitySubscription.objects.get(pk=ended.pk).is_active
    assert CommunitySubscription.objects.get(pk=running.pk).is_active


def test_the_forum_notification_task_is_safe_to_run_twice():
    member = CommunitySubscriptionFactory()
    community = member.community
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    post = ForumPostFactory(forum=forum, user=community.artist.user)
    assert forum_post_notify_members.delay(str(post.pk)).get() == 1
    assert forum_post_notify_members.delay(str(post.pk)).get() == 0
    assert Notification.objects.filter(user=member.user).count() == 1


def test_an_artist_forum_post_whose_task_was_lost_is_announced_once_by_the_sweep(
    frozen_clock, django_capture_on_commit_callbacks
):
    member = CommunitySubscriptionFactory()
    community = member.community
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        post = forum_post_create(
            forum=forum, community=community, by=community.artist.user, title="Members first"
        )
    # Chat messages are never announced.
    ForumPostFactory(forum=chat, user=CommunitySubscriptionFactory(community=community).user)
    assert not Notification.objects.filter(user=member.user).exists()

    frozen_clock.set(timezone.now() + timedelta(minutes=10))

    assert forum_posts_announce_sweep.delay().get() == 2  # both members, of the artist's post
    assert forum_posts_announce_sweep.delay().get() == 0
    assert set(Notification.objects.values_list("related_resource_id", flat=True)) == {post.pk}


def live_event_titles(user) -> list[str]:
    return sorted(
        Notification.objects.filter(
            user=user, notification_type=NotificationType.LIVE_EVENT
        ).values_list("title", flat=True)
    )


# Each announcement is dated by its own commit, as in production, so that "went live after
# it was announced as scheduled" can be seen.
@pytest.mark.django_db(transaction=True)
def test_a_live_event_whose_announcements_were_lost_is_announced_once_by_the_sweep(
    frozen_clock,
):
    member = CommunitySubscriptionFactory()
    community = member.community
    other = CommunitySubscriptionFactory(community=community)
    artist = community.artist.user
    with broker_down():
        event = live_event_schedule(
            community=community,
            by=artist,
            title="Ask me anything",
            event_type=LiveEventType.QA,
            start_time=timezone.now() + timedelta(days=2),
        )
    assert live_event_titles(member.user) == []
    frozen_clock.set(timezone.now() + timedelta(minutes=10))

    assert live_events_announce_sweep.delay().get() == 2  # both members
    assert live_events_announce_sweep.delay().get() == 0
    scheduled = f"New live event in {community.name}: Ask me anything"
    assert live_event_titles(member.user) == live_event_titles(other.user) == [scheduled]

    with broker_down():
        live_event_status_set(
            event=event, community=community, by=artist, new_status=LiveEventStatus.LIVE
        )
    assert live_event_titles(member.user) == [scheduled]
    frozen_clock.set(timezone.now() + timedelta(minutes=10))

    assert live_events_announce_sweep.delay().get() == 2
    assert live_events_announce_sweep.delay().get() == 0
    assert live_event_titles(member.user) == ["Ask me anything is live now", scheduled]
    assert live_event_titles(artist) == []
