"""Staff find subscriptions by state in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities.tests.factories import CommunitySubscriptionFactory

pytestmark = pytest.mark.django_db


def test_subscriptions_filter_by_active_auto_renew_and_ending_soon(client):
    staff = UserFactory(staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    soon = CommunitySubscriptionFactory(end_date=timezone.now() + timedelta(days=3))
    later = CommunitySubscriptionFactory(end_date=timezone.now() + timedelta(days=60))
    ended = CommunitySubscriptionFactory(
        is_active=False, auto_renew=False, end_date=timezone.now() - timedelta(days=1)
    )
    url = reverse("admin:communities_communitysubscription_changelist")

    def shown(**params) -> set:
        return {s.pk for s in client.get(url, params).context["cl"].result_list}

    assert shown(ending="7d") == {soon.pk}
    assert shown(ending="30d") == {soon.pk}
    assert shown(ending="past") == {ended.pk}
    assert shown(is_active__exact="0") == {ended.pk}
    assert shown(auto_renew__exact="1") == {soon.pk, later.pk}
