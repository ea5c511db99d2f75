"""Reads other apps use: the site search's releases."""

import pytest
from django.utils import timezone

from catalogue.selectors import releases_matching
from catalogue.tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db


def test_release_search_finds_published_releases_by_title_or_artist_only():
    night = ReleaseFactory(title="Night Drive", published_at=timezone.now())
    by_name = ReleaseFactory(title="Other", published_at=timezone.now())
    by_name.artist.artist_name = "Nightingale"
    by_name.artist.save()
    ReleaseFactory(title="Night Draft")  # unpublished
    gone = ReleaseFactory(title="Night Gone", published_at=timezone.now())
    gone.artist.removed_at = timezone.now()
    gone.artist.save()

    found = list(releases_matching(query="night"))

    assert set(found) == {night, by_name}
