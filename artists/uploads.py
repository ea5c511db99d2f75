"""Checks and processing of what artists upload: pictures (public) and documents (private)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps

from musicplatform.images import UnusablePicture, decode_picture, encode_jpeg
from musicplatform.uploads import MARKUP_MESSAGE, upload_has_markup

# The same limits as users' profile pictures; larger pictures are refused before Pillow
# decodes them (decompression bombs).
MAX_PICTURE_BYTES = settings.PROFILE_PICTURE_MAX_BYTES
MAX_PICTURE_PIXELS = settings.PROFILE_PICTURE_MAX_PIXELS
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_DOCUMENTS = 5
PROFILE_PICTURE_SIZE = (400, 400)
COVER_PHOTO_SIZE = (1500, 500)
# A document is recognised by its first bytes, never by the name or type the browser sends.
DOCUMENT_SIGNATURES = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
DOCUMENT_CONTENT_TYPES = dict(DOCUMENT_SIGNATURES.values())


def _too_large(upload, limit: int) -> bool:
    return upload.size is None or upload.size > limit


def picture_resized(upload, *, size: tuple[int, int], label: str) -> ContentFile:
    """The upload cropped to fill `size` and saved as JPEG; ValidationError when unusable."""
    if _too_large(upload, MAX_PICTURE_BYTES):
        raise ValidationError(
            f"The {label} must be at most {filesizeformat(MAX_PICTURE_BYTES)}.", code="too_large"
        )
    upload.seek(0)
    try:
        image = decode_picture(upload.read(), max_pixels=MAX_PICTURE_PIXELS)
    except UnusablePicture as error:
        if error.reason == "pixels":
            raise ValidationError(
                f"The {label} has too many pixels.", code="too_many_pixels"
            ) from None
        if error.reason == "markup":
            raise ValidationError(MARKUP_MESSAGE.format(name=upload.name), code="markup") from None
        raise ValidationError(
            f"The {label} must be a JPEG, PNG, WebP or GIF image.", code="not_an_image"
        ) from None
    fitted = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    return ContentFile(encode_jpeg(fitted), name=f"{uuid.uuid4().hex}.jpg")


def document_checked(upload) -> tuple[File, str]:
    """The upload and its extension when it is a PDF, JPEG or PNG within the size limit.

    Staff open these files, so they are kept as sent (no re-encoding) but must be what
    they claim: a scan must decode as a picture of sane size, and no file may hide a web
    page or script."""
    if _too_large(upload, MAX_DOCUMENT_BYTES):
        raise ValidationError(
            f"“{upload.name}” is larger than {filesizeformat(MAX_DOCUMENT_BYTES)}.",
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(16)
    extension = next(
        (
            ext
            for signature, (ext, _type) in DOCUMENT_SIGNATURES.items()
            if head.startswith(signature)
        ),
        None,
    )
    if extension is None:
        raise ValidationError(
            f"“{upload.name}” is not a PDF, JPEG or PNG file.", code="unsupported_document"
        )
    if upload_has_markup(upload):
        raise ValidationError(MARKUP_MESSAGE.format(name=upload.name), code="markup")
    if extension != "pdf":
        try:
            decode_picture(upload.read(), max_pixels=MAX_PICTURE_PIXELS)
        except UnusablePicture:
            raise ValidationError(
                f"“{upload.name}” is not a scan we can read, or has too many pixels.",
                code="unreadable_document",
            ) from None
        upload.seek(0)
    return upload, extension
