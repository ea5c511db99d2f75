"""Uploaded tracks are transcoded by the real task and ffmpeg; bad files fail clearly."""

import io
import subprocess

import imageio_ffmpeg
import mutagen
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from accounts.tests.factories import sign_in_recently
from catalogue.audio import track_upload_format
from catalogue.models import Track, TrackStatus
from catalogue.services import track_process
from catalogue.tests.factories import ReleaseFactory, processed_track, wav_upload
from musicplatform.audit.models import StatusHistory

pytestmark = pytest.mark.django_db


def test_a_wav_upload_becomes_a_ready_track_with_stream_preview_mp3_and_flac():
    track = processed_track(ReleaseFactory())

    assert track.status == TrackStatus.READY
    assert track.failure_reason == ""
    assert track.duration_seconds == 1  # three notes of 0.3 s
    for field, kind in (
        ("stream_mp3", mutagen.mp3.MP3),
        ("preview_mp3", mutagen.mp3.MP3),
        ("download_mp3", mutagen.mp3.MP3),
        ("download_flac", mutagen.flac.FLAC),
    ):
        with getattr(track, field).open("rb") as handle:
            audio = mutagen.File(io.BytesIO(handle.read()))
        assert isinstance(audio, kind), field
        assert 0.8 < audio.info.length < 1.2
    with track.download_mp3.open("rb") as handle:
        assert mutagen.File(io.BytesIO(handle.read())).info.bitrate // 1000 in (319, 320)
    with track.stream_mp3.open("rb") as handle:
        assert mutagen.File(io.BytesIO(handle.read())).info.bitrate // 1000 in (127, 128)
    # The original is kept as it was sent.
    with track.original.open("rb") as handle:
        assert handle.read() == wav_upload().read()
    moves = set(
        StatusHistory.objects.filter(entity_id=track.pk).values_list("old_status", "new_status")
    )
    assert moves == {
        (TrackStatus.QUEUED, TrackStatus.PROCESSING),
        (TrackStatus.PROCESSING, TrackStatus.READY),
    }


def test_running_the_task_twice_changes_nothing():
    track = processed_track(ReleaseFactory())
    files = track.download_flac.name

    track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == TrackStatus.READY
    assert track.download_flac.name == files


def test_a_track_left_processing_by_a_dead_worker_is_processed_again():
    release = ReleaseFactory()
    upload = wav_upload()
    track = Track.objects.create(
        release=release,
        position=1,
        title="Stuck",
        original_format="wav",
        status=TrackStatus.PROCESSING,
    )
    track.original.save("stuck.wav", upload)

    track_process(track_id=track.pk)

    track.refresh_from_db()
    assert track.status == TrackStatus.READY


def test_a_corrupt_file_that_looks_like_wav_fails_with_a_reason_never_stuck():
    # A RIFF/WAVE header, so it passes the byte check, then garbage.
    corrupt = ContentFile(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00\x13" * 400, name="bad.wav")

    track = processed_track(ReleaseFactory(), upload=corrupt)

    assert track.status == TrackStatus.FAILED
    assert "could not" in track.failure_reason or "not audio" in track.failure_reason
    assert not track.stream_mp3


def test_the_artist_sees_the_failure_reason_and_a_non_audio_upload_is_refused(client):
    release = ReleaseFactory()
    sign_in_recently(client, release.artist.user)
    url = reverse("catalogue:track_upload", args=[release.pk])

    text = ContentFile(b"just some words, not music at all" * 10, name="song.mp3")
    response = client.post(url, {"title": "Fake", "audio": text})

    assert response.status_code == 400
    assert "is not a WAV, FLAC, AIFF or MP3 audio file" in response.content.decode()
    assert not Track.objects.exists()

    corrupt = ContentFile(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00\x13" * 400, name="bad.wav")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"title": "Broken", "audio": corrupt})
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Failed" in page
    assert Track.objects.get().status == TrackStatus.FAILED


def test_an_artist_uploads_a_track_and_sees_it_ready_then_publishes(client):
    release = ReleaseFactory()
    sign_in_recently(client, release.artist.user)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("catalogue:track_upload", args=[release.pk]),
            {"title": "Sunrise", "audio": wav_upload(), "streams_in_full": "on"},
        )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Sunrise" in page and "Ready" in page

    response = client.post(reverse("catalogue:publish", args=[release.pk]))
    release.refresh_from_db()
    assert release.published_at is not None
    assert release.product.product_type == "music_download"
    assert release.product.price == release.price


def test_a_release_with_a_failed_track_cannot_be_published(client):
    release = ReleaseFactory()
    processed_track(release, upload=ContentFile(b"RIFF\x00\x00\x00\x00WAVE" * 50, name="x.wav"))
    sign_in_recently(client, release.artist.user)

    response = client.post(reverse("catalogue:publish", args=[release.pk]), follow=True)

    assert "Every track must be processed" in response.content.decode()
    release.refresh_from_db()
    assert release.published_at is None and release.product is None


def test_a_failed_track_is_removed_the_next_moves_up_and_the_release_can_be_published(client):
    release = ReleaseFactory()
    failed = processed_track(
        release, upload=ContentFile(b"RIFF\x00\x00\x00\x00WAVE" * 50, name="x.wav")
    )
    good = processed_track(release, title="Good one")
    sign_in_recently(client, release.artist.user)

    client.post(reverse("catalogue:track_delete", args=[release.pk, failed.pk]))

    assert list(release.tracks.values_list("title", "position")) == [("Good one", 1)]
    client.post(reverse("catalogue:publish", args=[release.pk]))
    release.refresh_from_db()
    assert release.published_at is not None

    response = client.post(
        reverse("catalogue:track_delete", args=[release.pk, good.pk]), follow=True
    )
    assert "cannot be removed" in response.content.decode()
    assert release.tracks.count() == 1


@pytest.mark.parametrize("extension", ["flac", "aiff", "mp3"])
def test_flac_aiff_and_mp3_uploads_are_recognised_and_processed(extension, tmp_path):
    source = tmp_path / "tones.wav"
    source.write_bytes(wav_upload().read())
    converted = tmp_path / f"tones.{extension}"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-i", source, converted],
        check=True,
    )
    upload = SimpleUploadedFile(f"song.{extension}", converted.read_bytes())

    assert track_upload_format(upload) == extension
    track = processed_track(ReleaseFactory(), upload=upload)
    assert track.status == TrackStatus.READY, track.failure_reason
    assert track.original_format == extension
