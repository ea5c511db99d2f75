"""The demo data has releases a newcomer can hear at once."""

import io

import mutagen
import pytest
from django.core.management import call_command
from PIL import Image

from catalogue.models import Release, Track, TrackStatus

pytestmark = pytest.mark.django_db


def test_seed_demo_publishes_releases_with_cover_art_and_processed_generated_audio():
    call_command("seed_demo", stdout=io.StringIO())

    releases = list(Release.objects.order_by("title"))
    assert [r.title for r in releases] == ["Night Drive", "Static Noise"]
    for release in releases:
        assert release.published_at is not None and release.product_id is not None
        with release.cover.open("rb") as handle:
            assert Image.open(handle).size == (600, 600)
    tracks = Track.objects.all()
    assert {track.status for track in tracks} == {TrackStatus.READY}
    with tracks.first().stream_mp3.open("rb") as handle:
        assert mutagen.File(io.BytesIO(handle.read())).info.length > 3

    call_command("seed_demo", stdout=io.StringIO())
    assert Release.objects.count() == 2 and Track.objects.count() == 5
