import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from content.media import check_upload, check_uploads
from content.models import MediaType
from content.tests.uploads import image_upload, mp3_upload, mp4_upload


def _decoded(item) -> Image.Image:
    item.content.seek(0)
    return Image.open(io.BytesIO(item.content.read()))


def test_a_transparent_picture_stays_a_png():
    item = check_upload(image_upload(mode="RGBA"), picture_use="post")

    assert item.extension == "png"
    assert _decoded(item).mode == "RGBA"


def test_a_photo_loses_its_exif_metadata():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude: where the photo was taken
    Image.new("RGB", (40, 30)).save(buffer, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("holiday.jpg", buffer.getvalue(), content_type="image/jpeg")

    item = check_upload(upload, picture_use="post")

    assert not _decoded(item).getexif()


def test_a_truncated_picture_is_refused():
    data = image_upload().read()[:60]

    with pytest.raises(ValidationError, match="not a picture we can read"):
        check_upload(
            SimpleUploadedFile("broken.png", data, content_type="image/png"), picture_use="post"
        )


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError, match="is empty"):
        check_upload(
            SimpleUploadedFile("nothing.mp3", b"", content_type="audio/mpeg"), picture_use="post"
        )


def test_a_picture_over_the_size_limit_is_refused(monkeypatch, settings):
    monkeypatch.setitem(settings.PICTURE_UPLOADS["post"], "max_bytes", 100)

    with pytest.raises(ValidationError, match="larger than"):
        check_upload(image_upload(), picture_use="post")


def test_five_pictures_are_one_too_many():
    with pytest.raises(ValidationError, match="at most 4 pictures"):
        check_uploads([image_upload() for _ in range(5)], picture_use="post")


def test_two_videos_are_refused():
    with pytest.raises(ValidationError, match="one audio file or one video"):
        check_uploads([mp4_upload(), mp4_upload()], picture_use="post")


def test_audio_keeps_its_bytes():
    upload = mp3_upload()

    item = check_upload(upload, picture_use="post")

    assert item.media_type == MediaType.AUDIO
    item.content.seek(0)
    assert item.content.read().startswith(b"ID3")
