"""Flags arriving at once: the threshold still hides the item, the moderators are told once."""

import pytest

from communities.models import ContentFlag, ForumPost, ForumType
from communities.services.moderation import flag_create
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from notifications.models import Notification, NotificationType
from shop.tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_flags_sent_at_once_hide_the_item_at_the_threshold_and_notify_once(settings):
    settings.FLAGS_TO_HIDE = 4
    community = CommunityFactory()
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    message = ForumPostFactory(forum=chat, title=None)
    flaggers = [CommunitySubscriptionFactory(community=community).user for _ in range(4)]

    results = run_together(
        4,
        lambda i: flag_create(
            kind="forum_post", object_id=message.pk, by=flaggers[i], reason="spam"
        ),
    )

    assert all(isinstance(result, ContentFlag) for result in results), results
    assert ForumPost.objects.get(pk=message.pk).hidden_at is not None
    assert Notification.objects.filter(notification_type=NotificationType.FLAG).count() == 1
