"""Pictures for the demo data, drawn by code (no downloads): gradients, shapes and initials.

Each picture is derived from a seed text (an artist's name, a product's), so the same demo
looks the same on every machine; all of them together take well under a second to draw.
"""

import hashlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

# Pairs of colours that read well behind white initials (a contrast of at least 3:1).
PALETTES = (
    ("#5b21b6", "#db2777"),
    ("#1e3a8a", "#0891b2"),
    ("#7c2d12", "#d97706"),
    ("#14532d", "#0d9488"),
    ("#312e81", "#7c3aed"),
    ("#831843", "#ea580c"),
    ("#0f172a", "#2563eb"),
)


def _digest(seed: str) -> bytes:
    return hashlib.blake2b(seed.encode(), digest_size=16).digest()


def initials(name: str) -> str:
    words = [word for word in name.replace("_", " ").split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "♪"


def draw_picture(seed: str, size: tuple[int, int], *, label: str = "") -> bytes:
    """A JPEG: a diagonal gradient of the seed's palette, translucent circles placed by
    the seed, and `label` (initials) in the middle when given."""
    digest = _digest(seed)
    start, end = PALETTES[digest[0] % len(PALETTES)]
    width, height = size
    # A diagonal ramp: the mean of a vertical and a horizontal one, mirrored by the seed.
    vertical = Image.linear_gradient("L").resize(size)
    mask = Image.blend(
        vertical, Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(size), 0.5
    )
    if digest[1] % 2:
        mask = mask.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    picture = Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    for index in range(4):
        x = digest[2 + index] / 255 * width
        y = digest[6 + index] / 255 * height
        radius = (0.15 + digest[10 + index] / 255 * 0.35) * min(width, height)
        alpha = 40 + digest[14 - index] % 50
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255, alpha))
    picture = Image.alpha_composite(picture.convert("RGBA"), overlay)
    if label:
        font = ImageFont.load_default(size=int(min(width, height) * 0.38))
        ImageDraw.Draw(picture).text(
            (width / 2, height / 2), label, font=font, anchor="mm", fill=(255, 255, 255, 235)
        )
    output = io.BytesIO()
    picture.convert("RGB").save(output, "JPEG", quality=82)
    return output.getvalue()


def store_picture(path: str, data: bytes) -> str:
    """The picture saved under `path` in the uploads' storage; its URL."""
    if default_storage.exists(path):
        default_storage.delete(path)
    return default_storage.url(default_storage.save(path, ContentFile(data)))
