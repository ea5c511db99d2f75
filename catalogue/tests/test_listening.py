"""Streaming with range requests, previews, the embeddable player, and play counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import image_upload
from artists.uploads import picture_resized
from catalogue.plays import plays_flush
from catalogue.tests.factories import ReleaseFactory, processed_track
from shop.models import FeaturedItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def track():
    release = ReleaseFactory(published_at=timezone.now())
    return processed_track(release, streams_in_full=True)


def _stored(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_range_request_answers_206_with_exactly_those_bytes(client, track):
    whole = _stored(track.stream_mp3)
    url = reverse("catalogue:track_audio", args=[track.pk])

    response = client.get(url, headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert response["Content-Length"] == "100"
    assert response["Accept-Ranges"] == "bytes"
    assert _body(response) == whole[100:200]

    open_ended = client.get(url, headers={"Range": "bytes=1000-"})
    assert open_ended.status_code == 206
    assert _body(open_ended) == whole[1000:]
    suffix = client.get(url, headers={"Range": "bytes=-50"})
    assert _body(suffix) == whole[-50:]


def test_without_a_range_the_whole_file_and_beyond_the_end_416(client, track):
    whole = _stored(track.stream_mp3)
    url = reverse("catalogue:track_audio", args=[track.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert _body(response) == whole

    beyond = client.get(url, headers={"Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(whole)}"


def test_a_preview_only_track_gives_non_buyers_the_preview_and_the_artist_the_whole(client):
    release = ReleaseFactory(published_at=timezone.now())
    # Four notes of 0.3 s; the preview is cut at 30 s, so compare the files served.
    track = processed_track(release, streams_in_full=False)
    url = reverse("catalogue:track_audio", args=[track.pk])

    assert _body(client.get(url)) == _stored(track.preview_mp3)
    client.force_login(release.artist.user)
    assert _body(client.get(url)) == _stored(track.stream_mp3)


def test_an_unpublished_release_is_heard_and_seen_by_its_artist_only(client):
    release = ReleaseFactory()
    track = processed_track(release, streams_in_full=True)

    assert client.get(reverse("catalogue:track_audio", args=[track.pk])).status_code == 404
    assert client.get(release.get_absolute_url()).status_code == 404
    client.force_login(release.artist.user)
    assert client.get(release.get_absolute_url()).status_code == 200


def test_the_release_page_has_a_native_player_per_track(client, track):
    page = client.get(track.release.get_absolute_url()).content.decode()

    audio_url = reverse("catalogue:track_audio", args=[track.pk])
    assert f'<audio controls preload="none" src="{audio_url}"' in page
    assert track.title in page


def test_only_the_embed_route_may_be_framed(client, track):
    embed = client.get(reverse("catalogue:embed", args=[track.release_id]))
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert "<audio controls" in embed.content.decode()

    for url in (track.release.get_absolute_url(), reverse("home")):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_plays_count_once_per_listener_in_the_window_and_reach_the_table_by_the_flush(
    client, track, settings
):
    url = reverse("catalogue:track_audio", args=[track.pk])
    fan = UserFactory()
    client.force_login(fan)
    for _ in range(3):
        client.get(url)
    # Seeking asks for later bytes: not a new play.
    client.get(url, headers={"Range": "bytes=500-"})
    client.force_login(UserFactory())
    client.get(url, headers={"Range": "bytes=0-"})

    track.refresh_from_db()
    assert track.play_count == 0  # nothing written on the hot path
    assert plays_flush() == 2
    track.refresh_from_db()
    assert track.play_count == 2
    assert plays_flush() == 0

    client.force_login(fan)
    client.get(url)
    assert plays_flush() == 0  # still within the window


def test_the_artist_dashboard_of_releases_shows_plays(client, track):
    track.__class__.objects.filter(pk=track.pk).update(play_count=41)
    client.force_login(track.release.artist.user)

    page = client.get(reverse("catalogue:manage")).content.decode()

    assert "<td>41</td>" in page


def test_pre_orders_are_not_downloadable_before_the_release_date(client):
    release = ReleaseFactory(
        published_at=timezone.now(),
        release_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    processed_track(release)
    client.force_login(release.artist.user)

    response = client.get(reverse("catalogue:download", args=[release.pk]))

    assert response.status_code == 403
    assert "pre-order" in response.content.decode()


def test_the_artist_page_lists_published_releases_only(client):
    published = ReleaseFactory(title="Out Now", published_at=timezone.now())
    ReleaseFactory(artist=published.artist, title="Secret Draft")

    page = client.get(published.artist.get_absolute_url()).content.decode()

    assert "Out Now" in page and published.get_absolute_url() in page
    assert "Secret Draft" not in page


def test_a_release_featured_by_staff_shows_on_explore_with_its_cover_and_a_play_button(
    client, track, admin_client
):
    release = track.release
    release.cover.save(
        "c.jpg", picture_resized(image_upload(), size=(300, 300), use="release_cover")
    )
    changelist = reverse("admin:catalogue_release_changelist")

    admin_client.post(
        changelist, {"action": "feature_on_explore", "_selected_action": [release.pk]}
    )
    admin_client.post(
        changelist, {"action": "feature_on_explore", "_selected_action": [release.pk]}
    )

    assert FeaturedItem.objects.filter(item_type="album", item_id=str(release.pk)).count() == 1
    page = client.get(reverse("content:explore")).content.decode()
    assert f'href="{release.get_absolute_url()}"' in page
    assert f'alt="Cover of {release.title}"' in page
    assert reverse("catalogue:track_audio", args=[track.pk]) in page


def test_with_redis_down_tracks_still_play_and_the_play_is_simply_not_counted(
    client, track, redis_down
):
    url = reverse("catalogue:track_audio", args=[track.pk])

    # From the start: a play to count, which Redis cannot take.
    response = client.get(url, headers={"Range": "bytes=0-"})

    assert response.status_code == 206
    assert _body(response) == _stored(track.stream_mp3)
    track.refresh_from_db()
    assert track.play_count == 0
