"""No upload makes a request cost more than ~1 s of CPU or ~100 MB of memory.

Every form that takes pictures is sent, by a user allowed to use it, as many of the worst
files we can make as it takes at once: PNGs and a GIF whose few KB inflate to just what
the use's pixel budget allows (settings.PICTURE_UPLOADS), 16-bit and Paeth-filtered, a
GIF of 3000 frames, progressive and noisy JPEGs, a 12-megapixel phone photo, a
7000 x 7000 JPEG of a few KB and a PNG declaring 50000 x 50000 pixels. Each request's CPU
time (this thread's) and peak memory (the process's resident peak, reset before the
request through /proc/self/clear_refs: Pillow allocates outside Python's allocator, so
tracemalloc would not see it) are measured. Accepted or refused, it must stay under the
bounds; docs/performance.md ("Picture uploads") has the measured figures.

CPU time is not compared with seconds, which move with the machine's load, but with a unit
measured in the same test just before: decoding one flat 8-bit PNG of 3.2 megapixels (a post
picture at its budget) with Pillow alone. A form of four pictures at the budget costs a few
units (decoding, scaling, encoding each); without the budgets one file of 7000 x 7000 costs
about 25 units by itself.
"""

import io
import math
import re
import time
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests import images
from musicplatform.images import picture_decoded
from musicplatform.tests import test_bad_input as bad_input
from musicplatform.tests import test_bad_uploads as bad_uploads

module_world = bad_input.module_world
world = bad_input.world
posting = bad_input.posting
before = bad_input.before
fan_art_forum = bad_uploads.fan_art_forum

# Generous: the worst request measured about 22 units (docs/performance.md); four unbounded
# 7000 x 7000 files, which this guards against, cost about 100 (the negative control below).
MAX_CPU_UNITS = 50
MAX_MEMORY_BYTES = 100 * 1024 * 1024

# Each form that takes pictures: its view and, per field, the budget it uses and how many
# files it takes at once.
PICTURE_FORMS = {
    "profile": ("accounts:settings_profile", {"profile_picture": ("avatar", 1)}),
    "artist": (
        "artists:edit",
        {"profile_picture": ("avatar", 1), "cover_photo": ("cover", 1)},
    ),
    "post": ("content:post_create", {"media": ("post", 4)}),
    "review": ("content:review_create", {"images": ("review", 4)}),
    "fan art": (bad_uploads.FAN_ART, {"image": ("fan_art", 1)}),
    "product": ("shop:product_create", {"images": ("product", 6)}),
}


def _side(pixels: float) -> int:
    return int(math.sqrt(pixels))


# The worst files for a budget of `pixels`: each just inside it, or far outside.
@cache
def worst_file(kind: str, pixels: int) -> tuple[str, bytes]:
    if kind == "16-bit png at the budget":
        side = _side(pixels / 2)
        return "flat.png", images.png_bytes(side, side)
    if kind == "8-bit png at the budget":
        side = _side(pixels)
        return "flat.png", images.png_bytes(side, side, sixteen_bit=False)
    if kind == "gif of 3000 frames at the budget":
        side = _side(pixels)
        return "frames.gif", images.gif_bytes(side, side, frames=3000)
    if kind == "progressive noisy jpeg at the budget":
        side = _side(pixels / 1.5)
        return "noise.jpg", images.jpeg_bytes(side, side, progressive=True, noise=True)
    if kind == "12 megapixel phone photo":
        return "phone.jpg", images.jpeg_bytes(4032, 3024, progressive=False, noise=True)
    if kind == "7000 x 7000 jpeg of a few kb":
        return "huge.jpg", images.jpeg_bytes(7000, 7000, progressive=False, noise=False)
    if kind == "png declaring 50000 x 50000":
        return "bomb.png", images.huge_dimensions_png(50_000, 50_000).read()
    raise ValueError(kind)


WORST_KINDS = (
    "16-bit png at the budget",
    "8-bit png at the budget",
    "gif of 3000 frames at the budget",
    "progressive noisy jpeg at the budget",
    "12 megapixel phone photo",
    "7000 x 7000 jpeg of a few kb",
    "png declaring 50000 x 50000",
)


def _status(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+)", Path("/proc/self/status").read_text(), re.M)[1])


def cpu_unit() -> float:
    """CPU seconds this thread takes to decode a flat 3.2-megapixel PNG (the best of three)."""
    data = images.png_bytes(1789, 1789, sixteen_bit=False)
    timings = []
    for _ in range(3):
        started = time.thread_time()
        Image.open(io.BytesIO(data)).load()
        timings.append(time.thread_time() - started)
    return min(timings)


def measured(send) -> tuple[object, float, int]:
    """What `send()` returns, the CPU seconds it took and the memory it added at its peak."""
    # Writing 5 resets the peak resident size (VmHWM) to the current one.
    Path("/proc/self/clear_refs").write_text("5")
    resident = _status("VmRSS")
    started = time.thread_time()
    result = send()
    cpu = time.thread_time() - started
    return result, cpu, (_status("VmHWM") - resident) * 1024


def _request(form: str, kind: str, world, posting, fan_art_forum):
    view, fields = PICTURE_FORMS[form]
    url, client = bad_uploads.url_and_client(view, world, posting, fan_art_forum)
    data = bad_uploads.valid_submission(view, world)
    for name, (use, count) in fields.items():
        file_name, content = worst_file(kind, settings.PICTURE_UPLOADS[use]["max_pixels"])
        data[name] = [SimpleUploadedFile(file_name, content) for _ in range(count)]
    return url, client, data


@pytest.mark.parametrize("kind", WORST_KINDS)
@pytest.mark.parametrize("form", sorted(PICTURE_FORMS))
def test_the_worst_files_cost_a_request_under_a_second_and_100_mb(
    world, posting, fan_art_forum, before, form, kind
):
    url, client, data = _request(form, kind, world, posting, fan_art_forum)

    unit = cpu_unit()
    answer, cpu, memory = measured(
        lambda: bad_input.submit_undone(client, url, data, before=before)
    )

    units = cpu / unit
    print(
        f"{form}, {kind}: {cpu:.2f} s of CPU ({units:.1f} units of {unit * 1000:.0f} ms), "
        f"{memory / 2**20:.0f} MB"
    )
    assert answer.problem is None, answer.problem
    assert units < MAX_CPU_UNITS, f"{form}, {kind}: {units:.1f} units of CPU"
    assert memory < MAX_MEMORY_BYTES, f"{form}, {kind}: {memory / 2**20:.0f} MB"


def test_without_the_budget_the_meter_sees_the_cost(
    world, posting, fan_art_forum, before, monkeypatch
):
    """Negative control: with the avatar's pixel budget lifted, a flat 6000 x 6000 PNG of a
    few KB decodes into more than 100 MB, and the meter above sees it."""
    monkeypatch.setitem(settings.PICTURE_UPLOADS["avatar"], "max_pixels", 10**9)
    url, client, data = _request(
        "profile", "8-bit png at the budget", world, posting, fan_art_forum
    )
    data["profile_picture"] = SimpleUploadedFile(
        "flat.png", images.png_bytes(6000, 6000, sixteen_bit=False)
    )

    _answer, _cpu, memory = measured(
        lambda: bad_input.submit_undone(client, url, data, before=before)
    )

    assert memory > MAX_MEMORY_BYTES


def test_without_the_budget_the_cpu_meter_sees_the_cost(
    world, posting, fan_art_forum, before, monkeypatch
):
    """Negative control of the CPU bound: with the review pictures' budget lifted, four flat
    7000 x 7000 PNGs of a few KB each cost more than the bound."""
    monkeypatch.setitem(settings.PICTURE_UPLOADS["review"], "max_pixels", 10**9)
    url, client, data = _request("review", "8-bit png at the budget", world, posting, fan_art_forum)
    bomb = images.png_bytes(7000, 7000, sixteen_bit=False)
    data["images"] = [SimpleUploadedFile("flat.png", bomb) for _ in range(4)]

    unit = cpu_unit()
    _answer, cpu, _memory = measured(
        lambda: bad_input.submit_undone(client, url, data, before=before)
    )

    print(f"review, 4 unbounded 7000 x 7000 PNGs: {cpu / unit:.1f} units of {unit * 1000:.0f} ms")
    assert cpu / unit > MAX_CPU_UNITS


def test_a_jpeg_of_thousands_of_scans_is_refused_before_it_is_decoded():
    """A progressive JPEG is decoded once per scan; repeating its last scan makes a small
    file cost minutes, so more scans than any encoder writes are refused unread."""
    data = images.jpeg_bytes(64, 64, progressive=True, noise=True)
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    upload = SimpleUploadedFile("scans.jpg", data[:-2] + last_scan * 100 + data[-2:])

    with pytest.raises(ValidationError, match="not a picture we can read"):
        picture_decoded(upload, use="post", box=(100, 100))
    # The same file with its scans as written is a picture.
    assert picture_decoded(SimpleUploadedFile("scans.jpg", data), use="post", box=(100, 100))
