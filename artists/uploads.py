"""Checks and processing of what artists upload: pictures (public) and documents (private)."""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.template.defaultfilters import filesizeformat

from musicplatform.images import picture_cropped, picture_decoded
from musicplatform.uploads import MARKUP_MESSAGE, upload_has_markup

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


def picture_resized(upload, *, size: tuple[int, int], use: str) -> ContentFile:
    """The upload cropped to fill `size` and saved as JPEG; ValidationError when unusable."""
    picture = picture_cropped(upload, use=use, size=size)
    picture.name = f"{uuid.uuid4().hex}.jpg"
    return picture


def document_checked(upload) -> tuple[File, str]:
    """The upload and its extension when it is a PDF, JPEG or PNG within the size limit.

    Staff open these files, so they are kept as sent (no re-encoding) but must be what
    they claim: a scan must decode as a picture of sane size, and no file may hide a web
    page or script."""
    if upload.size is None or upload.size > MAX_DOCUMENT_BYTES:
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
        picture_decoded(upload, use="document", box=(1, 1))
    return upload, extension
