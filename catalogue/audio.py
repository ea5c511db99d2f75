"""Track audio: what an upload must be, and turning it into what fans hear and download.

ffmpeg is the static binary shipped in the `imageio-ffmpeg` wheel, so nothing has to be
installed on the machine; mutagen reads what the file says it is before ffmpeg runs.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

import filetype
import imageio_ffmpeg
import mutagen
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

from musicplatform.uploads import MARKUP_MESSAGE, upload_has_markup

MAX_TRACK_BYTES = 300 * 1024 * 1024
# Recognised by their first bytes, never by the name or the type the browser sends.
TRACK_UPLOAD_TYPES = {
    "audio/x-wav": "wav",
    "audio/x-flac": "flac",
    "audio/x-aiff": "aiff",
    "audio/mpeg": "mp3",
}
PREVIEW_SECONDS = 30
# Long enough for an hour of lossless audio on a slow worker; a stuck ffmpeg is stopped.
FFMPEG_TIMEOUT_SECONDS = 600


class UnusableAudio(Exception):
    """The upload cannot be made into a track; the message is shown to the artist."""


def track_upload_format(upload) -> str:
    """The extension of an uploaded WAV, FLAC, AIFF or MP3; ValidationError otherwise."""
    if not upload.size:
        raise ValidationError(f"“{upload.name}” is empty.")
    if upload.size > MAX_TRACK_BYTES:
        raise ValidationError(
            f"“{upload.name}” is larger than {filesizeformat(MAX_TRACK_BYTES)}; "
            "tracks may be at most that."
        )
    upload.seek(0)
    kind = filetype.guess(upload.read(8192))
    upload.seek(0)
    if kind is None or kind.mime not in TRACK_UPLOAD_TYPES:
        raise ValidationError(f"“{upload.name}” is not a WAV, FLAC, AIFF or MP3 audio file.")
    if upload_has_markup(upload):
        raise ValidationError(MARKUP_MESSAGE.format(name=upload.name))
    return TRACK_UPLOAD_TYPES[kind.mime]


@dataclass(frozen=True)
class Transcoded:
    duration_seconds: int
    stream_mp3: Path
    preview_mp3: Path
    download_mp3: Path
    download_flac: Path


def _duration(source: Path) -> int:
    try:
        audio = mutagen.File(source)
    except mutagen.MutagenError as error:
        raise UnusableAudio(f"The file could not be read as audio ({error}).") from None
    if audio is None or not getattr(audio.info, "length", 0):
        raise UnusableAudio("The file is not audio we can read (WAV, FLAC, AIFF or MP3).")
    return max(1, round(audio.info.length))


def transcode(*, source: Path, workdir: Path) -> Transcoded:
    """The streaming, preview and download files of `source`, written into `workdir`.

    One ffmpeg run decodes the source once and writes the 128 kbit/s stream, its first
    seconds as the preview, MP3 320 and FLAC.
    """
    duration = _duration(source)
    out = Transcoded(
        duration_seconds=duration,
        stream_mp3=workdir / "stream.mp3",
        preview_mp3=workdir / "preview.mp3",
        download_mp3=workdir / "download.mp3",
        download_flac=workdir / "download.flac",
    )
    # MP3 at 44.1 kHz whatever the source: below 32 kHz the format caps the bit rate at 160k.
    mp3 = ["-map", "0:a:0", "-map_metadata", "-1", "-c:a", "libmp3lame", "-ar", "44100"]
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(source),
        *mp3,
        "-b:a",
        "128k",
        str(out.stream_mp3),
        *mp3,
        "-b:a",
        "128k",
        "-t",
        str(PREVIEW_SECONDS),
        str(out.preview_mp3),
        *mp3,
        "-b:a",
        "320k",
        str(out.download_mp3),
        *["-map", "0:a:0", "-map_metadata", "-1", "-c:a", "flac"],
        str(out.download_flac),
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise UnusableAudio("Converting the file took too long; try a shorter file.") from None
    if result.returncode != 0:
        last_line = (result.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        raise UnusableAudio(f"The file could not be converted: {last_line[:300]}")
    return out
