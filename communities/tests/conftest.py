from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from payments.models import SavedPaymentMethod


@pytest.fixture
def community(db):
    return CommunityFactory()


@pytest.fixture
def artist_user(community):
    return community.artist.user


@pytest.fixture
def member(community):
    return CommunitySubscriptionFactory(community=community).user


@pytest.fixture
def outsider(db):
    return UserFactory()


@pytest.fixture
def frozen_clock(monkeypatch):
    """Moves the application's clock (timezone.now) to a chosen instant."""

    class Clock:
        def set(self, instant):
            monkeypatch.setattr(timezone, "now", lambda: instant)
            return instant

    return Clock()


CARDS = {"4242": "4242424242424242", "0002": "4000000000000002"}


def save_card(user, card="4242"):
    """A saved test card, named the way the test gateway names the cards it saves."""
    return SavedPaymentMethod.objects.create(
        user=user,
        gateway="test",
        method_ref=f"testcard_{user.pk}_{CARDS[card][-4:]}",
        label=f"Test card {card}",
    )


def due_subscription(**kwargs):
    """A subscription whose period ends in an hour: due for renewal."""
    return CommunitySubscriptionFactory(end_date=timezone.now() + timedelta(hours=1), **kwargs)
