"""Staff feature releases (as albums) and tracks (as songs) from the admin by picking them
from the catalogue; the explore page links what they picked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from catalogue.tests.factories import ReleaseFactory, processed_track
from shop.models import FeaturedItem

pytestmark = pytest.mark.django_db

ADD = reverse("admin:shop_featureditem_add")


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def release():
    release = ReleaseFactory(
        title="Harbour Lights",
        artist=ArtistFactory(artist_name="Luna Vega"),
        published_at=timezone.now(),
    )
    processed_track(release, title="Harbour at dawn")
    return release


def _placement(item_type: str, item_id: str) -> dict:
    start = timezone.now() - timedelta(hours=1)
    end = start + timedelta(days=7)
    return {
        "item_type": item_type,
        "item_id": item_id,
        "start_date_0": start.strftime("%Y-%m-%d"),
        "start_date_1": start.strftime("%H:%M:%S"),
        "end_date_0": end.strftime("%Y-%m-%d"),
        "end_date_1": end.strftime("%H:%M:%S"),
    }


def test_the_add_form_offers_releases_and_tracks_by_title(staff_client, release):
    ReleaseFactory(title="Unfinished draft")

    page = staff_client.get(ADD)

    assert 'list="item_id-catalogue"' in page.text
    assert f'<option value="{release.pk}">Album: Harbour Lights by Luna Vega</option>' in page.text
    track = release.tracks.get()
    assert f'value="{track.pk}">Song: Harbour at dawn by Luna Vega' in page.text
    assert "Unfinished draft" not in page.text


def test_a_featured_release_and_track_are_linked_on_explore(staff_client, release):
    track = release.tracks.get()

    for item_type, item_id in [("album", str(release.pk)), ("song", str(track.pk).upper())]:
        response = staff_client.post(ADD, _placement(item_type, item_id))
        assert response.status_code == 302, response.text

    assert set(FeaturedItem.objects.values_list("item_type", "item_id")) == {
        ("album", str(release.pk)),
        ("song", str(track.pk)),
    }
    explore = staff_client.get(reverse("content:explore")).text
    assert explore.count(f'href="{release.get_absolute_url()}"') >= 2
    assert reverse("catalogue:track_audio", args=[track.pk]) in explore


@pytest.mark.parametrize(
    ("item_type", "message"),
    [
        ("album", "No published release here has this id"),
        ("song", "No track here has this id"),
    ],
)
def test_an_id_that_is_no_release_or_track_here_is_refused(staff_client, item_type, message):
    draft = ReleaseFactory(title="Draft")

    for item_id in [str(draft.pk), "4aawyAB9vmqN3uQ7FjRGTy", "<script>"]:
        response = staff_client.post(ADD, _placement(item_type, item_id))
        assert response.status_code == 200
        assert message in response.text

    assert not FeaturedItem.objects.exists()
