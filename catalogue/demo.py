"""Demo releases for `seed_demo`: cover art drawn by Pillow and short tunes synthesised by
`catalogue.tones`, processed by the same service the Celery task runs, so a newcomer
hears music on the first `make run`. Nothing is downloaded; it takes a few seconds."""

import datetime
import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from catalogue.models import Release, ReleaseType
from catalogue.services import (
    ReleaseDetails,
    release_create,
    release_publish,
    track_add,
    track_process,
)
from catalogue.tones import tones_wav

# Notes (Hz) of a few simple phrases.
C4, D4, E4, F4, G4, A4, B4, C5 = 261.63, 293.66, 329.63, 349.23, 392.0, 440.0, 493.88, 523.25


@dataclass(frozen=True)
class DemoRelease:
    artist: str
    title: str
    release_type: str
    price: str
    name_your_price: bool
    genre: str
    colours: tuple[str, str]
    # (title, notes, heard in full by everyone)
    tracks: tuple[tuple[str, tuple[float, ...], bool], ...]
    # The artist's community whose members get it, if any.
    for_members_of: str = ""


RELEASES = (
    DemoRelease(
        "Luna Vega",
        "Night Drive",
        ReleaseType.ALBUM,
        "5.00",
        True,
        "Pop",
        ("#1d2b64", "#f8cdda"),
        (
            ("Headlights", (C4, E4, G4, C5, G4, E4), True),
            ("Long Distance", (A4, G4, E4, D4, E4, G4), False),
            ("Inner Orbit", (F4, A4, C5, A4, G4, F4), False),
        ),
        for_members_of="Luna's Inner Orbit",
    ),
    DemoRelease(
        "Midnight Static",
        "Static Noise",
        ReleaseType.EP,
        "4.00",
        False,
        "Rock",
        ("#232526", "#e65c00"),
        (
            ("Feedback", (E4, E4, G4, A4, B4, A4), True),
            ("Low Hum", (D4, F4, A4, F4, D4, C4), True),
        ),
    ),
)


def cover_art(title: str, colours: tuple[str, str]) -> ContentFile:
    """A square JPEG: a vertical gradient between two colours with the title on it."""
    size = 600
    top = Image.new("RGB", (size, size), colours[0])
    bottom = Image.new("RGB", (size, size), colours[1])
    mask = Image.linear_gradient("L").resize((size, size))
    image = Image.composite(bottom, top, mask)
    ImageDraw.Draw(image).text((40, size - 80), title, fill="white", font_size=48)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return ContentFile(out.getvalue(), name="cover.jpg")


def seed_releases(*, artists: dict, communities: list, genres: dict) -> list[Release]:
    """The demo releases, published; one already there (by artist and title) is kept."""
    releases = []
    for demo in RELEASES:
        artist = artists[demo.artist]
        release = Release.objects.filter(artist=artist, title=demo.title).first()
        if release is None:
            community = next(
                (c for c in communities if c.name == demo.for_members_of and c.artist == artist),
                None,
            )
            release = release_create(
                artist=artist,
                details=ReleaseDetails(
                    release_type=demo.release_type,
                    title=demo.title,
                    release_date=datetime.date(2026, 3, 6),
                    description=f"{demo.title}, the demo {demo.release_type} by {demo.artist}.",
                    credits=f"Written and produced by {demo.artist}.",
                    price=Decimal(demo.price),
                    name_your_price=demo.name_your_price,
                    included_for_members=community is not None,
                    community=community,
                    genres=[genres[demo.genre]],
                ),
                cover=cover_art(demo.title, demo.colours),
            )
            for title, notes, in_full in demo.tracks:
                wav = ContentFile(tones_wav(notes=list(notes), note_seconds=0.6), name="t.wav")
                track = track_add(
                    release=release,
                    title=title,
                    lyrics="",
                    streams_in_full=in_full,
                    upload=wav,
                    original_format="wav",
                )
                # Processed now, so the music plays at once; the queued task finds it done.
                track_process(track_id=track.pk)
            release_publish(release=release)
        releases.append(release)
    return releases
