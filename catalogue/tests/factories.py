import datetime
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.test import TestCase

from accounts.tests.factories import GenreFactory, UserFactory
from artists.tests.factories import ArtistFactory
from catalogue.models import (
    CollectionSettings,
    Release,
    ReleaseGenre,
    ReleaseType,
    Track,
    WishlistItem,
)
from catalogue.services import track_add
from catalogue.tones import tones_wav


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    artist = factory.SubFactory(ArtistFactory)
    release_type = ReleaseType.ALBUM
    title = factory.Sequence(lambda n: f"Night Drive {n}")
    release_date = datetime.date(2026, 1, 15)
    price = Decimal("7.00")


class TrackFactory(factory.django.DjangoModelFactory):
    """A track as uploaded, still queued (processed_track() runs the real processing)."""

    class Meta:
        model = Track

    release = factory.SubFactory(ReleaseFactory)
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Track {n}")
    original = factory.django.FileField(
        filename="song.wav", data=tones_wav(notes=[440.0], note_seconds=0.1)
    )
    original_format = "wav"


class ReleaseGenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleaseGenre

    release = factory.SubFactory(ReleaseFactory)
    genre = factory.SubFactory(GenreFactory)


class CollectionSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionSettings

    user = factory.SubFactory(UserFactory)
    is_public = True


class WishlistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WishlistItem

    user = factory.SubFactory(UserFactory)
    release = factory.SubFactory(ReleaseFactory)


def wav_upload(name="song.wav", notes=(440.0, 554.37, 659.25)) -> ContentFile:
    return ContentFile(tones_wav(notes=list(notes), note_seconds=0.3), name=name)


def processed_track(release, *, title="Opening", streams_in_full=False, upload=None):
    """A track uploaded as WAV and processed by the real task (eager, on commit)."""
    upload = upload or wav_upload()
    with TestCase.captureOnCommitCallbacks(execute=True):
        track = track_add(
            release=release,
            title=title,
            lyrics="",
            streams_in_full=streams_in_full,
            upload=upload,
            original_format=upload.name.rsplit(".", 1)[-1],
        )
    track.refresh_from_db()
    return track
