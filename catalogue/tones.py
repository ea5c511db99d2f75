"""Short synthesised music as WAV bytes (Python's `wave`), for the demo data and tests."""

import io
import math
import struct
import wave

SAMPLE_RATE = 22050


def tones_wav(*, notes: list[float], note_seconds: float = 0.5) -> bytes:
    """A mono 16-bit WAV playing `notes` (Hz) one after another, each fading out."""
    frames = bytearray()
    per_note = int(SAMPLE_RATE * note_seconds)
    for frequency in notes:
        step = 2 * math.pi * frequency / SAMPLE_RATE
        for i in range(per_note):
            envelope = 1 - i / per_note
            frames += struct.pack("<h", int(12000 * envelope * math.sin(step * i)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()
