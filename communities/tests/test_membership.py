"""One definition of who is a member (CommunitySubscription.objects.members()), and every
place that asks agreeing with it: the page's access check, "my communities", the community's
member count, the ranking's materialized view, the members' and the artist's fan-out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import UserPreferences
from accounts.tests.factories import UserFactory
from communities import selectors
from communities.models import Community, CommunitySubscription
from communities.tasks import member_counts_refresh
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from notifications.models import Notification, NotificationType
from notifications.services import audience_notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def community_with_every_kind_of_subscription():
    """A community with one subscription of each kind, by the name of the kind."""
    community = CommunityFactory()
    now = timezone.now()
    past, future = now - timedelta(days=1), now + timedelta(days=3)

    def subscribe(**fields):
        return CommunitySubscriptionFactory(community=community, **fields).user

    users = {
        "active": subscribe(),
        "in grace": subscribe(end_date=past, grace_until=future),
        "cancelled, period not over": subscribe(auto_renew=False),
        "expired, not ended yet": subscribe(end_date=past),
        "grace over": subscribe(end_date=past - timedelta(days=5), grace_until=past),
        "ended": subscribe(is_active=False),
        "joining, not paid": subscribe(joining=True),
        "deleted user": subscribe(),
    }
    deleted = users["deleted user"]
    deleted.deleted_at = now
    deleted.save(update_fields=["deleted_at"])
    CommunitySubscriptionFactory()  # a member of another community
    return community, users


MEMBERS = {"active", "in grace", "cancelled, period not over"}


def test_every_place_that_asks_who_is_a_member_gets_the_same_answer(
    community_with_every_kind_of_subscription,
):
    community, users = community_with_every_kind_of_subscription
    members = {users[kind].pk for kind in MEMBERS}

    defined = set(
        CommunitySubscription.objects.members()
        .filter(community=community)
        .values_list("user_id", flat=True)
    )
    # A deleted user cannot sign in, so the page's check is asked only of the others.
    with_access = {
        user.pk
        for kind, user in users.items()
        if kind != "deleted user" and selectors.is_member(community_id=community.pk, user=user)
    }
    in_my_communities = {
        user.pk
        for user in users.values()
        if any(m.community_id == community.pk for m in selectors.my_memberships(user=user))
    }
    # Compiled once with stand-ins for the user and the time (posts_for's readability).
    compiled_once = {
        user.pk
        for user in users.values()
        if Community.objects.filter(
            pk=community.pk, pk__in=selectors.community_ids_with_access(user=user)
        ).exists()
    }
    member_counts_refresh()
    ranked = {c.pk: c.member_count for c in selectors.communities_by_members()}
    info = selectors.community_info(community_id=community.pk)
    audience_notify(
        audience=selectors.community_audience(community_id=community.pk),
        exclude_user_id=None,
        notification_type=NotificationType.FORUM_POST,
        title="New artist-forum post",
        message="Read it.",
        resource_type="community",
        resource_id=community.pk,
    )
    told = set(
        Notification.objects.filter(related_resource_id=community.pk).values_list(
            "user_id", flat=True
        )
    )
    artist_audience = set(
        selectors.artist_audience(artist_id=community.artist_id).values_list("user_id", flat=True)
    )

    assert defined == members
    assert with_access == members
    assert compiled_once == members
    assert in_my_communities == members
    assert told == members
    assert artist_audience == members
    assert info.member_count == len(members)
    assert ranked[community.pk] == len(members)


def test_a_follower_who_is_no_member_hears_the_artist_but_not_the_community(
    community_with_every_kind_of_subscription,
):
    community, _ = community_with_every_kind_of_subscription
    follower = UserFactory()
    UserPreferences.objects.create(user=follower, favorite_artists=[community.artist_id])

    artist_audience = set(
        selectors.artist_audience(artist_id=community.artist_id).values_list("user_id", flat=True)
    )
    community_audience = set(
        selectors.community_audience(community_id=community.pk).values_list("user_id", flat=True)
    )

    assert artist_audience == community_audience | {follower.pk}
