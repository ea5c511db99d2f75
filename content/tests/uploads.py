"""Small real files for upload tests: real bytes, so the content checks see real formats."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_upload(
    name: str = "photo.png", *, size=(64, 48), fmt: str = "PNG", mode: str = "RGB"
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, color=(200, 30, 90) if mode == "RGB" else None).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def mp3_upload(name: str = "song.mp3", *, padding: int = 2048) -> SimpleUploadedFile:
    # An ID3v2 header followed by an MPEG audio frame header: what filetype recognises.
    data = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * padding
    return SimpleUploadedFile(name, data, content_type="audio/mpeg")


def mp4_upload(name: str = "clip.mp4") -> SimpleUploadedFile:
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048
    return SimpleUploadedFile(name, data, content_type="video/mp4")


def fake_image_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    """A shell script wearing an image's name and content type."""
    return SimpleUploadedFile(name, b"#!/bin/sh\nrm -rf /\n" * 10, content_type="image/jpeg")
