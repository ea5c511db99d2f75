"""Every page is valid HTML by the Nu HTML checker (vnu, the W3C's validator), signed out
and as a fan, a member, an artist and staff.

The pages are the authorization matrix's (musicplatform/tests/test_authorization.py) in its
world, each fetched as every one of these roles that may see it, plus allauth's pages. The
checker is a JVM program from npm (`vnu-jar`, installed by `make`): it starts once and reads
every page in one batch.
"""

import json
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from musicplatform.tests import test_authorization
from musicplatform.tests.test_authorization import (
    ANON,
    EXPECTED,
    FAN,
    MEMBER,
    OK,
    OWNER,
    STAFF,
    client_for,
    request_undone,
)
from musicplatform.tests.test_pages import ALLAUTH_PAGES, page_views

module_world = test_authorization.module_world
world = test_authorization.world

VNU_JAR = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ROLES_CHECKED = (ANON, FAN, MEMBER, OWNER, STAFF)


def vnu_errors(files: list[Path]) -> dict[str, list[str]]:
    """The checker's errors per file name (warnings and notes aside)."""
    java = shutil.which("java")
    assert java, "the Nu HTML checker needs a Java runtime (Debian: apt-get install default-jre)"
    assert VNU_JAR.exists(), "the Nu HTML checker is missing: run `make install` (npm ci)"
    finished = subprocess.run(
        [java, "-Xss4m", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"]
        + [str(file) for file in files],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    errors: dict[str, list[str]] = {}
    for message in json.loads(finished.stderr)["messages"]:
        if message["type"] == "error":
            where = Path(message.get("url", "?")).name
            line = message.get("lastLine", "?")
            errors.setdefault(where, []).append(f"line {line}: {message['message']}")
    return errors


def test_the_checker_finds_errors(tmp_path):
    """Its silence over the pages means something: htmx's bare attributes, a datetime in
    microseconds and a missing alt are errors to it."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><title>Broken</title></head><body>"
        "<button hx-post='/like/'>Like</button>"
        "<time datetime='2026-01-01T10:00:00.123456+00:00'>then</time>"
        "<img src='a.png'></body></html>"
    )
    valid = tmp_path / "valid.html"
    valid.write_text(
        "<!doctype html><html lang='en'><head><title>Valid</title></head><body>"
        "<button data-hx-post='/like/'>Like</button>"
        "<time datetime='2026-01-01T10:00:00.123+00:00'>then</time>"
        "<img src='a.png' alt=''></body></html>"
    )

    errors = vnu_errors([page, valid])

    assert len(errors["broken.html"]) == 3
    assert "valid.html" not in errors


def pages_to_check(world) -> list[tuple[str, str]]:
    """(role, url) of every page each checked role may see."""
    pages = [
        (role, reverse(name, kwargs=world["kwargs"].get(name)))
        for name in page_views()
        for role in ROLES_CHECKED
        if EXPECTED[name][role] == OK
    ]
    pages += [(role, reverse(name)) for role, names in ALLAUTH_PAGES.items() for name in names]
    return pages


def test_every_page_is_valid_html_for_every_role(world, tmp_path):
    files: dict[str, tuple[str, str]] = {}
    for number, (role, url) in enumerate(pages_to_check(world)):
        response, text, _changed = request_undone(client_for(world, role), "get", url)
        assert response.status_code == 200, f"{role}: GET {url}"
        name = f"page{number}.html"
        (tmp_path / name).write_text(text)
        files[name] = (role, url)

    errors = vnu_errors([tmp_path / name for name in files])

    report = [
        f"{files[name][0]}: GET {files[name][1]} {message}"
        for name, found in sorted(errors.items())
        for message in found
    ]
    assert report == [], "\n".join(report)
