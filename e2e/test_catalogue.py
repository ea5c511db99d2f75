"""The catalogue's journey: an artist puts out a two-track release, a fan finds it, hears
it, buys it at a price they name, downloads it in FLAC and MP3, reviews it and finds it in
their collection."""

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import mutagen
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from catalogue.models import Release
from catalogue.tones import tones_wav
from e2e.helpers import label, pay

# Two tracks of different lengths, so each file in the zips can be told apart by its own.
# The first is long enough to keep playing while the fan browses to another page and back.
TRACKS = {
    "Low Tide": ([220.0, 277.18, 329.63, 277.18, 220.0, 196.0, 220.0, 277.18], 1.0),
    "High Tide": ([329.63, 392.0, 493.88], 0.75),
}


def _seconds(notes, note_seconds) -> float:
    return len(notes) * note_seconds


def _zip_of(page: Page, audio_format: str) -> zipfile.ZipFile:
    page.get_by_label(label("Format")).select_option(label=audio_format)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download zip").click()
    return zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))


def test_an_artist_releases_two_tracks_and_a_fan_hears_buys_downloads_and_reviews_them(
    demo, new_page
):
    artist = new_page(User.objects.get(username="demo_artist"))
    artist.goto("/catalogue/manage/")
    artist.get_by_role("link", name="New release for Luna Vega").click()
    artist.get_by_label(label("Type *")).select_option(label="EP")
    artist.get_by_label(label("Title *")).fill("Tide Tables")
    yesterday = timezone.localdate() - timedelta(days=1)
    artist.get_by_label(label("Release date *")).fill(yesterday.isoformat())
    artist.get_by_label(label("Price (USD) *")).fill("3.00")
    artist.get_by_label("Name your price").check()
    artist.get_by_role("button", name="Create release").click()
    expect(artist.get_by_text("Release created; now add its tracks.")).to_be_visible()

    tracks = artist.get_by_role("region", name="Tracks")
    for title, (notes, note_seconds) in TRACKS.items():
        tracks.get_by_label(label("Title *")).fill(title)
        tracks.get_by_label(label("Audio *")).set_input_files(
            {
                "name": f"{title.lower().replace(' ', '-')}.wav",
                "mimeType": "audio/wav",
                "buffer": tones_wav(notes=notes, note_seconds=note_seconds),
            }
        )
        tracks.get_by_role("button", name="Upload track").click()
        expect(artist.get_by_text(f"“{title}” is uploaded")).to_be_visible()
    expect(tracks.get_by_role("cell", name="Ready", exact=True)).to_have_count(2)
    artist.get_by_role("button", name="Publish").click()
    expect(artist.get_by_text("Published: fans can now hear and buy it.")).to_be_visible()

    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto("/")
    fan.get_by_role("search").get_by_label("Search the site").fill("high tide")
    fan.get_by_role("search").get_by_role("button", name="Go").click()
    results = fan.get_by_role("region", name="Releases and tracks")
    expect(results).to_contain_text("track “High Tide”")
    results.get_by_role("link", name="Tide Tables").click()
    expect(fan.get_by_role("heading", name="Tide Tables", level=1)).to_be_visible()

    # The page is the fan's first gesture; then the track plays, in the dock that stays
    # while the fan browses (links replace the page but not the dock), and back again.
    fan.get_by_role("heading", name="Tide Tables", level=1).click()
    # (The page's own play() is cut short: the dock takes over.)
    fan.get_by_label("Play Low Tide").evaluate("audio => { audio.play().catch(() => {}); }")
    dock = fan.get_by_role("region", name="Now playing")
    expect(dock).to_contain_text("Now playing: Low Tide")
    playing = dock.get_by_label("Now playing").element_handle()
    fan.wait_for_function("audio => audio.currentTime > 0.3", arg=playing)
    fan.get_by_role("main").get_by_role("link", name="Luna Vega").first.click()
    expect(fan.get_by_role("heading", name="Luna Vega", level=1)).to_be_visible()
    assert "/artists/" in fan.url
    heard = playing.evaluate("audio => audio.currentTime")
    fan.wait_for_function(
        f"audio => !audio.paused && audio.currentTime > {heard} + 0.3", arg=playing
    )
    fan.go_back()
    expect(fan.get_by_role("heading", name="Tide Tables", level=1)).to_be_visible()
    assert playing.evaluate("audio => audio.isConnected && !audio.paused")

    fan.get_by_label(re.compile(r"^Name your price")).fill("5.00")
    fan.get_by_role("button", name="Buy digital ep").click()
    expect(fan.get_by_text("“Tide Tables” is in your cart.")).to_be_visible()
    fan.get_by_role("link", name="Checkout").click()
    fan.get_by_role("button", name="Complete checkout and pay").click()
    pay(fan, "5.00")

    release_page = Release.objects.get(title="Tide Tables").get_absolute_url()
    fan.goto(release_page)
    fan.get_by_role("link", name=re.compile(r"^Download \(MP3 320")).click()
    for audio_format, kind, suffix in (
        ("FLAC", mutagen.flac.FLAC, ".flac"),
        ("MP3 320", mutagen.mp3.MP3, ".mp3"),
    ):
        archive = _zip_of(fan, audio_format)
        files = sorted(name for name in archive.namelist() if name.endswith(suffix))
        assert [name.rsplit("/", 1)[-1] for name in files] == [
            f"01 Low Tide{suffix}",
            f"02 High Tide{suffix}",
        ]
        for name, (notes, note_seconds) in zip(files, TRACKS.values(), strict=True):
            audio = mutagen.File(io.BytesIO(archive.read(name)))
            assert isinstance(audio, kind), name
            # MP3 encoders pad a frame or two at the ends.
            assert abs(audio.info.length - _seconds(notes, note_seconds)) < 0.1, name

    fan.go_back()
    fan.get_by_role("link", name="Review it").click()
    expect(fan.get_by_label("EP: Tide Tables by Luna Vega")).to_be_checked()
    fan.get_by_label(label("Title")).fill("Waves you can count")
    fan.get_by_label(label("Your review")).fill("Two short tides, perfectly tuned.")
    fan.get_by_label("5 stars").check()
    fan.get_by_role("button", name="Publish review").click()
    expect(fan.get_by_text("Thanks for your review.")).to_be_visible()

    fan.goto(release_page)
    reviews = fan.get_by_role("region", name="Reviews")
    expect(reviews.get_by_role("link", name="Waves you can count")).to_be_visible()
    fan.get_by_role("link", name="collection").click()
    expect(fan.get_by_role("heading", name="My collection")).to_be_visible()
    expect(fan.get_by_role("link", name="Tide Tables")).to_be_visible()
