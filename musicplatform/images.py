"""The one validator for picture uploads: every form and service that takes a picture uses it.

A small file can decode into a huge picture (a 190 KB PNG may declare 7000 x 7000 pixels),
so what a picture costs is decided before anything is decoded:

- the upload's size against the use's `max_bytes` (settings.PICTURE_UPLOADS);
- its format, read from the header, among PICTURE_FORMATS (no exotic decoders);
- its dimensions, read from the header (Pillow opens lazily), against Pillow's bomb
  limit (Image.MAX_IMAGE_PIXELS), and the pixels decoding will really hold against the
  use's `max_pixels`: a JPEG is decoded at 1/2, 1/4 or 1/8 scale with `draft()` when
  the target is small enough, so a phone photo costs a fraction of its megapixels;
- no web page or script hidden in the file (musicplatform.uploads).

Only then is it decoded, and only as much as the result needs: only the first frame
of an animated GIF, PNG or WebP is read, and the EXIF rotation is applied to the small
result rather than to the full picture. Re-encoding drops EXIF (location, camera
serials) and anything hidden after the image data. The measured worst case is in
docs/performance.md ("Picture uploads").
"""

import io
import warnings
from typing import Literal, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import ExifTags, Image, ImageFile, ImageOps, PngImagePlugin, UnidentifiedImageError

from musicplatform.uploads import MARKUP_MESSAGE, has_markup

PICTURE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# No header may declare more pixels than this, whatever the use: Pillow refuses it as a
# decompression bomb (musicplatform.images turns its warning into a refusal too).
Image.MAX_IMAGE_PIXELS = 50_000_000
# A progressive JPEG is decoded once per scan; encoders write about ten, and thousands of
# empty scans are a known way to make a small file cost minutes.
MAX_JPEG_SCANS = 64
# Compressed text chunks may otherwise inflate to 64 MB of metadata nobody keeps.
PngImagePlugin.MAX_TEXT_MEMORY = 1024 * 1024
# EXIF orientations that swap width and height.
TRANSPOSING_ORIENTATIONS = {5, 6, 7, 8}

Problem = Literal["too_large", "format", "pixels", "markup", "unreadable"]
PROBLEMS: dict[Problem, str] = {
    "too_large": "“{name}” is larger than {limit}; a {label} may be at most that.",
    "format": "“{name}” is not a JPEG, PNG, GIF or WebP picture.",
    "pixels": "“{name}” has too many pixels; a {label} may have at most {megapixels} megapixels.",
    "markup": MARKUP_MESSAGE,
    "unreadable": "“{name}” is not a picture we can read.",
}


class PictureBudget(TypedDict):
    """What one use of pictures allows (an entry of settings.PICTURE_UPLOADS)."""

    label: str
    max_bytes: int
    max_pixels: int


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _refusal(problem: Problem, *, upload, use: PictureBudget) -> ValidationError:
    message = PROBLEMS[problem].format(
        name=upload.name,
        label=use["label"],
        limit=f"{use['max_bytes'] / 1024 / 1024:g} MB",
        megapixels=f"{use['max_pixels'] / 1_000_000:g}",
    )
    return ValidationError(message, code=problem)


def _open(data: bytes) -> ImageFile.ImageFile:
    return Image.open(io.BytesIO(data), formats=PICTURE_FORMATS)


def _scale(size: tuple[int, int], box: tuple[int, int], *, crop: bool) -> float:
    """How much the picture shrinks to fill (`crop`) or fit in `box`; never grows here."""
    width, height = size
    if crop:
        return min(max(box[0] / width, box[1] / height), 1)
    return min(box[0] / width, box[1] / height, 1)


def _decoding_cost(image: ImageFile.ImageFile, *, full_size: tuple[int, int]) -> int:
    """What decoding will cost, in pixels of 4 bytes: a progressive JPEG keeps every
    coefficient of the full picture (about 6 bytes a pixel) whatever the scale it is drawn
    at, and a PNG of 16-bit samples inflates twice the data of an 8-bit one."""
    pixels = image.width * image.height
    if image.format == "JPEG" and image.info.get("progressive"):
        return full_size[0] * full_size[1] * 3 // 2
    if image.format == "PNG" and any(";16" in str(tile.args) for tile in image.tile):
        return pixels * 2
    return pixels


def _decoded(data: bytes, *, max_pixels: int, box: tuple[int, int], crop: bool) -> Image.Image:
    with _open(data) as probe:
        if probe.format == "JPEG" and data.count(b"\xff\xda") > MAX_JPEG_SCANS:
            raise _Refused("unreadable")
        probe.verify()
    # verify() leaves the image unusable; open it again to decode it.
    with _open(data) as image:
        full_size = image.size
        # Checked before getexif(), which decodes a PNG whole to look for a late eXIf chunk.
        if image.format != "JPEG" and _decoding_cost(image, full_size=full_size) > max_pixels:
            raise _Refused("pixels")
        orientation = image.getexif().get(ExifTags.Base.Orientation)
        if orientation in TRANSPOSING_ORIENTATIONS:
            box = (box[1], box[0])
        scale = _scale(image.size, box, crop=crop)
        # Only JPEG decodes at a lower scale (1/2, 1/4, 1/8); draft() keeps at least the
        # size asked for, and sets the size that will be decoded before anything is.
        image.draft(
            None,
            (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        )
        if _decoding_cost(image, full_size=full_size) > max_pixels:
            raise _Refused("pixels")
        image.load()
        if crop:
            result = ImageOps.fit(image, box, Image.Resampling.LANCZOS)
        else:
            result = image
            result.thumbnail(box, Image.Resampling.LANCZOS)
        result.getexif()[ExifTags.Base.Orientation] = orientation or 1
        # A new image either way, so it outlives the file closed here.
        return ImageOps.exif_transpose(result)


def picture_decoded(upload, *, use: str, box: tuple[int, int], crop: bool = False) -> Image.Image:
    """The upload as a picture no larger than `box` (exactly `box` with `crop`), upright.

    `use` names the budget in settings.PICTURE_UPLOADS; anything else raises a
    ValidationError whose message names the file and says what is wrong."""
    budget = settings.PICTURE_UPLOADS[use]
    if upload.size is None or upload.size > budget["max_bytes"]:
        raise _refusal("too_large", upload=upload, use=budget)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        if has_markup(data):
            raise _Refused("markup")
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; any bomb is refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                return _decoded(data, max_pixels=budget["max_pixels"], box=box, crop=crop)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _Refused("pixels") from None
            except UnidentifiedImageError:
                raise _Refused("format") from None
            except (OSError, SyntaxError, ValueError, EOFError):
                raise _Refused("unreadable") from None
    except _Refused as refused:
        raise _refusal(refused.problem, upload=upload, use=budget) from None


def has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def picture_cropped(upload, *, use: str, size: tuple[int, int]) -> ContentFile:
    """The upload cropped to fill `size`, as a JPEG (avatars, covers)."""
    image = picture_decoded(upload, use=use, box=size, crop=True)
    return ContentFile(encode_jpeg(image), name="picture.jpg")


def picture_scaled_down(upload, *, use: str, max_side: int) -> ContentFile:
    """The upload scaled to fit `max_side`, as a PNG when it has transparency, else a JPEG."""
    image = picture_decoded(upload, use=use, box=(max_side, max_side))
    if has_transparency(image):
        return ContentFile(encode_png(image), name="picture.png")
    return ContentFile(encode_jpeg(image), name="picture.jpg")
