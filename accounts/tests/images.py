"""Picture uploads for tests: real images, a fake one, an oversized one, a pixel bomb."""

import io
import os
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_upload(*, size=(800, 600), exif: bool = False, name: str = "me.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", size, (120, 40, 200))
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0110] = "SecretPhone 9"  # Model
        data[0x0112] = 6  # Orientation: rotated 90°
        image.save(buffer, format="JPEG", exif=data.tobytes())
    else:
        image.save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png_upload(*, size=(300, 300), name: str = "me.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 90, 128)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def text_as_jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "holiday.jpg", b"Dear diary, today I renamed a text file.\n" * 20, content_type="image/jpeg"
    )


def six_megabyte_png() -> SimpleUploadedFile:
    # Random pixels do not compress, so the PNG stays above 6 MB.
    width, height = 1500, 1400
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=0)
    data = buffer.getvalue()
    assert len(data) > 6 * 1024 * 1024
    return SimpleUploadedFile("big.png", data, content_type="image/png")


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def huge_dimensions_png(width: int = 20000, height: int = 20000) -> SimpleUploadedFile:
    """A tiny file whose header claims width x height pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("bomb.png", data, content_type="image/png")


def png_bytes(width: int, height: int, *, sixteen_bit: bool = True) -> bytes:
    """An RGBA PNG of flat colour: a few KB that inflate to width x height pixels, each row
    filtered with Paeth (the dearest filter to undo)."""
    depth = 16 if sixteen_bit else 8
    row = b"\x04" + b"\x00" * (width * 4 * depth // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def gif_bytes(width: int, height: int, *, frames: int) -> bytes:
    """A GIF of `frames` frames on a width x height screen."""
    buffer = io.BytesIO()
    first, *rest = [
        Image.new("P", (width, height) if n == 0 else (1, 1), n % 256) for n in range(frames)
    ]
    first.save(buffer, format="GIF", save_all=True, append_images=rest, duration=10, loop=0)
    return buffer.getvalue()


def jpeg_bytes(width: int, height: int, *, progressive: bool, noise: bool) -> bytes:
    """A JPEG of noise (the most data to decode per pixel) or of flat colour (huge dimensions
    in a small file), with every colour sample kept (no subsampling)."""
    if noise:
        image = Image.effect_noise((width, height), 60).convert("RGB")
    else:
        image = Image.new("RGB", (width, height), (90, 20, 160))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=40, progressive=progressive, subsampling=0)
    return buffer.getvalue()
