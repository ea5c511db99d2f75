"""Pictures are checked and resized; documents are checked by content and size."""

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from artists import uploads
from artists.tests.factories import image_upload, pdf_upload


def test_cover_photo_is_cropped_to_1500_by_500():
    resized = uploads.picture_resized(
        image_upload(size=(3000, 2000), image_format="JPEG"),
        size=uploads.COVER_PHOTO_SIZE,
        use="cover",
    )

    with Image.open(io.BytesIO(resized.read())) as image:
        assert (image.format, image.size) == ("JPEG", (1500, 500))


def test_small_profile_picture_is_scaled_up_to_the_square():
    resized = uploads.picture_resized(
        image_upload(size=(120, 90), image_format="JPEG"),
        size=uploads.PROFILE_PICTURE_SIZE,
        use="avatar",
    )

    with Image.open(io.BytesIO(resized.read())) as image:
        assert image.size == (400, 400)


def test_a_text_file_named_like_an_image_is_refused():
    upload = SimpleUploadedFile("picture.png", b"not an image at all", content_type="image/png")

    with pytest.raises(ValidationError, match="is not a JPEG, PNG, GIF or WebP picture"):
        uploads.picture_resized(upload, size=(10, 10), use="avatar")


def test_an_oversized_picture_is_refused_before_it_is_decoded():
    upload = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * settings.PICTURE_UPLOADS["cover"]["max_bytes"]
    )

    with pytest.raises(ValidationError, match="larger than 5 MB"):
        uploads.picture_resized(upload, size=(10, 10), use="cover")


def test_a_picture_with_too_many_pixels_is_refused(settings):
    upload = image_upload(size=(7000, 7000), image_format="PNG")

    with pytest.raises(ValidationError, match="too many pixels"):
        uploads.picture_resized(upload, size=(10, 10), use="cover")


def test_pdf_document_is_accepted_with_its_extension():
    _upload, extension = uploads.document_checked(pdf_upload())

    assert extension == "pdf"


def test_a_pdf_over_the_size_limit_is_refused():
    with pytest.raises(ValidationError, match="larger than 10"):
        uploads.document_checked(pdf_upload(size=uploads.MAX_DOCUMENT_BYTES + 1))


def test_a_document_that_is_not_pdf_or_image_is_refused_whatever_its_name():
    upload = SimpleUploadedFile(
        "id.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf"
    )

    with pytest.raises(ValidationError, match="not a PDF, JPEG or PNG"):
        uploads.document_checked(upload)
