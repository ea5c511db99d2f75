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
