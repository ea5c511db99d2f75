"""Checking uploaded media by what the bytes are, never by the name or the browser's claim."""

import uuid
from dataclasses import dataclass
from typing import cast

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from PIL import Image, ImageFilter

from content.models import MediaType
from musicplatform.images import encode_jpeg, picture_scaled_down
from musicplatform.uploads import MARKUP_MESSAGE, upload_has_markup

MAX_AUDIO_BYTES = 50 * 1024 * 1024
MAX_VIDEO_BYTES = 200 * 1024 * 1024
MAX_IMAGES_PER_POST = 4
# Larger pictures are scaled down: nobody needs more on a post, and it bounds storage.
MAX_IMAGE_SIDE = 1600

AUDIO_TYPES = {
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/x-flac": "flac",
    "audio/x-wav": "wav",
    "audio/mp4": "m4a",
}
VIDEO_TYPES = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}


@dataclass(frozen=True)
class CheckedMedia:
    """An upload that passed its checks, ready to store."""

    media_type: str
    # Pictures are re-encoded in memory; audio and video stream from the upload as they are.
    content: File
    extension: str


def _megabytes(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


def _check_image(upload: UploadedFile, *, use: str) -> CheckedMedia:
    picture = picture_scaled_down(upload, use=use, max_side=MAX_IMAGE_SIDE)
    # picture_scaled_down always names its file ("picture.png" or "picture.jpg").
    name = cast(str, picture.name)
    return CheckedMedia(
        media_type=MediaType.IMAGE, content=picture, extension=name.rsplit(".", 1)[1]
    )


def _check_audio_or_video(upload: UploadedFile, data_head: bytes, *, size: int) -> CheckedMedia:
    kind = filetype.guess(data_head)
    mime = kind.mime if kind else None
    if mime in VIDEO_TYPES:
        media_type, extension, limit = MediaType.VIDEO, VIDEO_TYPES[mime], MAX_VIDEO_BYTES
    elif mime in AUDIO_TYPES:
        media_type, extension, limit = MediaType.AUDIO, AUDIO_TYPES[mime], MAX_AUDIO_BYTES
    else:
        raise ValidationError(
            f"“{upload.name}” is not a picture, audio (MP3, OGG, FLAC, WAV, M4A) "
            "or video (MP4, WebM, MOV) file."
        )
    if size > limit:
        raise ValidationError(
            f"“{upload.name}” is larger than {_megabytes(limit)}; "
            f"{media_type.label.lower()} files may be at most that."
        )
    # Stored and served as sent, so nothing a browser could run as a page may be inside.
    if upload_has_markup(upload):
        raise ValidationError(MARKUP_MESSAGE.format(name=upload.name))
    upload.seek(0)
    return CheckedMedia(media_type=media_type, content=upload, extension=extension)


def check_upload(upload: UploadedFile, *, picture_use: str) -> CheckedMedia:
    """What the file really is, re-encoded when it is a picture; ValidationError otherwise.

    `picture_use` names the picture budget (settings.PICTURE_UPLOADS) for pictures."""
    size = upload.size
    if not size:
        raise ValidationError(f"“{upload.name}” is empty.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None and kind.mime.startswith("image/"):
        return _check_image(upload, use=picture_use)
    return _check_audio_or_video(upload, head, size=size)


def check_uploads(uploads: list[UploadedFile], *, picture_use: str) -> list[CheckedMedia]:
    """A post carries up to four pictures, or one audio file, or one video."""
    # Counted before anything is decoded, so a form with many files costs no more than four.
    if len(uploads) > MAX_IMAGES_PER_POST:
        raise ValidationError(f"A post carries at most {MAX_IMAGES_PER_POST} pictures.")
    checked = [check_upload(upload, picture_use=picture_use) for upload in uploads]
    kinds = {item.media_type for item in checked}
    if len(kinds) > 1:
        raise ValidationError(
            "A post carries pictures, or one audio file, or one video, not a mix."
        )
    if kinds & {MediaType.AUDIO, MediaType.VIDEO} and len(checked) > 1:
        raise ValidationError("A post carries one audio file or one video.")
    return checked


POST_MEDIA_STORAGE = "private"
# The teaser picture is made from at most this many pixels a side.
TEASER_PICTURE_SIDE = 12


def post_media_name(post_id, name: str) -> str:
    return f"posts/{post_id}/{name}"


def teaser_picture_name(post_id) -> str:
    return post_media_name(post_id, "teaser.jpg")


def _teaser_picture(picture: File) -> ContentFile:
    """A members-only post's teaser shows its first picture blurred beyond recognition:
    made from a few pixels, so no detail is there to recover from the file."""
    picture.seek(0)
    with Image.open(picture) as opened:
        image = opened.convert("RGB")
        image.thumbnail((TEASER_PICTURE_SIDE, TEASER_PICTURE_SIDE))
        blurred = image.resize((image.width * 8, image.height * 8)).filter(
            ImageFilter.GaussianBlur(6)
        )
    picture.seek(0)
    return ContentFile(encode_jpeg(blurred), name="teaser.jpg")


def store_post_media(*, items: list[CheckedMedia], post) -> list[str]:
    """A post's media go to the private storage, and its addresses are those of
    `content:post_media`, which serves them to whoever may read the post
    (`content.selectors.readable_by`): a members-only post's media never have a public
    address, and a post whose audience changes needs no file moved. A post with
    pictures also gets its teaser picture, which anyone may see."""
    storage = storages[POST_MEDIA_STORAGE]
    storage.delete(teaser_picture_name(post.pk))
    if items and items[0].media_type == MediaType.IMAGE:
        storage.save(teaser_picture_name(post.pk), _teaser_picture(items[0].content))
    urls = []
    for item in items:
        name = f"{uuid.uuid4().hex}.{item.extension}"
        storages[POST_MEDIA_STORAGE].save(post_media_name(post.pk, name), item.content)
        urls.append(reverse("content:post_media", kwargs={"post_id": post.pk, "name": name}))
    return urls


def store_media(*, items: list[CheckedMedia], folder: str) -> list[str]:
    """Save through the storage API under fresh names; returns the public URLs."""
    urls = []
    for item in items:
        name = default_storage.save(f"{folder}/{uuid.uuid4().hex}.{item.extension}", item.content)
        urls.append(default_storage.url(name))
    return urls
