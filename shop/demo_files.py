"""Files for the digital products of demo and generated data, made by code: a ZIP holding
a short WAV tone, which the product form accepts like an artist's upload."""

import io
import math
import struct
import wave
import zipfile

from django.core.files.base import ContentFile

SAMPLE_RATE = 8000


def _tone_wav(seconds: float = 1.0, hertz: float = 440.0) -> bytes:
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hertz * i / SAMPLE_RATE)))
        for i in range(int(SAMPLE_RATE * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(frames)
    return buffer.getvalue()


def demo_download(title: str) -> ContentFile:
    """`<title>.zip`: one WAV track, small enough to seed many products."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{title} - 01.wav", _tone_wav())
    return ContentFile(buffer.getvalue(), name=f"{title}.zip")
