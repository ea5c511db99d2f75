"""One way to read an uploaded picture safely; every picture upload goes through here.

Callers decide the size and the message; this module decides what counts as a picture:
one of PICTURE_FORMATS, no more pixels than the caller allows (read from the header,
before anything is decoded, so a decompression bomb is never allocated), no web page or
script hidden in the file (musicplatform.uploads), and fully decodable. Re-encoding the returned image drops EXIF (location, camera serials) and
anything hidden after the image data.
"""

import io
import warnings
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

from musicplatform.uploads import has_markup

PICTURE_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP"})

Reason = Literal["format", "pixels", "markup", "unreadable"]


class UnusablePicture(Exception):
    def __init__(self, reason: Reason):
        self.reason = reason
        super().__init__(reason)


def decode_picture(data: bytes, *, max_pixels: int) -> Image.Image:
    """The picture, decoded and turned upright (its EXIF orientation applied)."""
    if has_markup(data):
        raise UnusablePicture("markup")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; any bomb is refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PICTURE_FORMATS:
                    raise UnusablePicture("format")
                if probe.width * probe.height > max_pixels:
                    raise UnusablePicture("pixels")
                probe.verify()
            # verify() leaves the image unusable; decode it again for real.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnusablePicture("pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnusablePicture("unreadable") from None


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
    image.convert("RGBA").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
