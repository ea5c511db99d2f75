"""A release as a zip of its tracks in one format, tagged, with its cover art.

Built into a temporary file that spills to disk past a few megabytes, then streamed; the
stored files are never changed (tags are written to the copies in the zip).
"""

import re
import tempfile
import zipfile
from pathlib import Path

from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TALB, TIT2, TPE1, TRCK

# Format asked for → (the track's field, the label on the download page).
FORMATS = {
    "mp3": ("download_mp3", "MP3 320"),
    "flac": ("download_flac", "FLAC"),
    "original": ("original", "Original upload"),
}
SPOOL_BYTES = 8 * 1024 * 1024


def _safe(name: str) -> str:
    return re.sub(r"[^\w .()\-]+", "_", name).strip() or "track"


def _tag(path: Path, *, track, release, cover: bytes | None) -> None:
    artist, total = release.artist.artist_name, len(release.tracks_in_order)
    if path.suffix == ".mp3":
        tags = ID3()
        tags.add(TIT2(encoding=3, text=track.title))
        tags.add(TPE1(encoding=3, text=artist))
        tags.add(TALB(encoding=3, text=release.title))
        tags.add(TRCK(encoding=3, text=f"{track.position}/{total}"))
        if cover:
            tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover))
        tags.save(path)
    elif path.suffix == ".flac":
        audio = FLAC(path)
        audio["title"], audio["artist"], audio["album"] = track.title, artist, release.title
        audio["tracknumber"] = str(track.position)
        if cover:
            picture = Picture()
            picture.type, picture.mime, picture.data = 3, "image/jpeg", cover
            audio.add_picture(picture)
        audio.save()


def release_zip(*, release, audio_format: str):
    """An open temporary file holding the zip; `release.tracks_in_order` must be loaded."""
    field, _ = FORMATS[audio_format]
    cover = None
    if release.cover:
        with release.cover.open("rb") as handle:
            cover = handle.read()
    # Handed open to the response, which closes it once sent.
    archive_file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    folder = _safe(f"{release.artist.artist_name} - {release.title}")
    with (
        tempfile.TemporaryDirectory(prefix="release-zip-") as workdir,
        zipfile.ZipFile(archive_file, "w", compression=zipfile.ZIP_STORED) as archive,
    ):
        for track in release.tracks_in_order:
            stored = getattr(track, field)
            suffix = Path(stored.name).suffix
            path = Path(workdir) / f"{track.pk}{suffix}"
            with stored.open("rb") as source, path.open("wb") as copy:
                for chunk in source.chunks():
                    copy.write(chunk)
            _tag(path, track=track, release=release, cover=cover)
            archive.write(path, f"{folder}/{track.position:02d} {_safe(track.title)}{suffix}")
        if cover:
            archive.writestr(f"{folder}/cover.jpg", cover)
    archive_file.seek(0)
    return archive_file
