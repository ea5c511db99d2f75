"""The member counts that rank communities: a materialized view refreshed by beat."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.selectors import communities_by_members
from communities.tasks import member_counts_refresh
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory

pytestmark = pytest.mark.django_db


def _ranking() -> list[tuple[str, int]]:
    return [(c.name, c.member_count) for c in communities_by_members()]


def test_the_refresh_counts_members_with_access_and_ranks_by_them():
    small, big = CommunityFactory(name="Small"), CommunityFactory(name="Big")
    CommunitySubscriptionFactory(community=small)
    CommunitySubscriptionFactory.create_batch(2, community=big)
    # Lapsed, cancelled-and-over and in-grace subscriptions: only the grace one counts.
    past = timezone.now() - timedelta(days=1)
    CommunitySubscriptionFactory(community=small, end_date=past, grace_until=None)
    CommunitySubscriptionFactory(community=small, is_active=False)
    CommunitySubscriptionFactory(
        community=small, end_date=past, grace_until=timezone.now() + timedelta(days=1)
    )

    member_counts_refresh()

    assert _ranking() == [("Big", 2), ("Small", 2)]


def test_counts_wait_for_the_next_refresh_and_a_new_community_shows_none():
    old = CommunityFactory(name="Old")
    member_counts_refresh()
    CommunitySubscriptionFactory(community=old)
    CommunityFactory(name="New")

    before = _ranking()
    member_counts_refresh()

    assert before == [("New", 0), ("Old", 0)]
    assert _ranking() == [("Old", 1), ("New", 0)]


def test_the_communities_list_shows_the_refreshed_counts(client):
    community = CommunityFactory(name="Night Owls")
    CommunitySubscriptionFactory.create_batch(3, community=community)
    member_counts_refresh()

    response = client.get(reverse("communities:list"))

    assert "3 members" in response.text
