"""Pictures are checked and resized; documents are checked by content and size."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from artists import uploads
from artists.tests.factories import image_upload, pdf_upload


def test_cover_photo_is_cropped_to_1500_by_500():
    resized = uploads.picture_resized(
        image_upload(size=(3000, 2000)), size=uploads.COVER_PHOTO_SIZE, label="cover photo"
    )

    with Image.open(io.BytesIO(resized.read())) as image:
        assert (image.format, image.size) == ("JPEG", (1500, 500))


def test_small_profile_picture_is_scaled_up_to_the_square():
    resized = uploads.picture_resized(
        image_upload(size=(120, 90), image_format="JPEG"),
        size=uploads.PROFILE_PICTURE_SIZE,
        label="profile picture",
    )

    with Image.open(io.BytesIO(resized.read())) as image:
        assert image.size == (400, 400)


def test_a_text_file_named_like_an_image_is_refused():
    upload = SimpleUploadedFile("picture.png", b"not an image at all", content_type="image/png")

    with pytest.raises(ValidationError, match="must be a JPEG, PNG, WebP or GIF"):
        uploads.picture_resized(upload, size=(10, 10), label="profile picture")


def test_an_oversized_picture_is_refused_before_it_is_decoded():
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * uploads.MAX_PICTURE_BYTES)

    with pytest.raises(ValidationError, match="at most 5"):
        uploads.picture_resized(upload, size=(10, 10), label="cover photo")


def test_a_picture_with_too_many_pixels_is_refused(settings):
    upload = image_upload(size=(7000, 7000), image_format="PNG")

    with pytest.raises(ValidationError, match="too many pixels"):
        uploads.picture_resized(upload, size=(10, 10), label="cover photo")


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
