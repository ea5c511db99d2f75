"""Every upload field of the project against every kind of bad file: refused, said why, nothing kept.

The kinds: a text file renamed to the field's own extension, a decompression bomb (a tiny
PNG declaring 50000 x 50000 pixels), a file over the field's limit (the limit lowered
for the test below a file the field otherwise takes), an SVG with a script, and two
polyglots (a real GIF followed by an HTML page, and the field's own good file with a
page appended). Each is posted, with an otherwise valid submission, by a user allowed
to use the form; the page must show the form's error, and no row and no stored file
may change. The fields are found in the apps' forms, so a new one cannot be forgotten.
"""

import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from accounts.forms import ProfileForm
from accounts.tests.images import huge_dimensions_png, jpeg_upload
from artists.forms import ArtistProfileForm, VerificationRequestForm
from artists.models import (
    Artist,
    ArtistVerification,
    ArtistVerificationStatus,
    VerificationStatus,
)
from communities.forms import ForumPostForm
from communities.models import ForumType
from communities.tests.factories import ForumFactory
from content.forms import PostEditForm, PostForm, ReviewForm
from content.tests.uploads import image_upload, mp3_upload
from musicplatform.tests import test_bad_input as bad_input
from shop.forms import ProductForm

module_world = bad_input.module_world
world = bad_input.world
posting = bad_input.posting
before = bad_input.before

PROJECT_APPS = {
    "accounts",
    "artists",
    "content",
    "communities",
    "shop",
    "payments",
    "notifications",
}
HTML_PAGE = b"<html><body><script>fetch('/settings/delete/')</script></body></html>"


def pdf_upload() -> SimpleUploadedFile:
    data = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n" * 40
    return SimpleUploadedFile("contract.pdf", data, content_type="application/pdf")


@dataclass(frozen=True)
class UploadField:
    view: str
    form: type[forms.BaseForm]
    name: str
    # A file the field takes, and the kind of file it is for a renamed text file's name.
    good: Callable[[], SimpleUploadedFile]
    extension: str
    # Where its size limit lives (a module or a settings dict, and the name), lowered for the test.
    limit: tuple[object, str]
    # Changes to the view's valid submission (test_bad_input.valid_submission).
    overrides: dict = field(default_factory=dict)


def _module(path: str):
    return importlib.import_module(path)


# Not a view of its own: the forum view, at the fan-art forum made by `fan_art_forum`.
FAN_ART = "communities:fan_art"


# A digital music download needs its file and has no stock.
DOWNLOAD = {"product_type": "music_download", "delivery": "digital", "stock_quantity": ""}


def picture_limit(use: str) -> tuple[dict, str]:
    return (settings.PICTURE_UPLOADS[use], "max_bytes")


UPLOAD_FIELDS = [
    UploadField(
        "accounts:settings_profile",
        ProfileForm,
        "profile_picture",
        jpeg_upload,
        "jpg",
        picture_limit("avatar"),
    ),
    UploadField(
        "artists:edit",
        ArtistProfileForm,
        "profile_picture",
        jpeg_upload,
        "jpg",
        picture_limit("avatar"),
    ),
    UploadField(
        "artists:edit",
        ArtistProfileForm,
        "cover_photo",
        jpeg_upload,
        "jpg",
        picture_limit("cover"),
    ),
    UploadField(
        "artists:verification",
        VerificationRequestForm,
        "documents",
        pdf_upload,
        "pdf",
        (_module("artists.uploads"), "MAX_DOCUMENT_BYTES"),
    ),
    UploadField(
        "content:post_create",
        PostForm,
        "media",
        mp3_upload,
        "mp3",
        (_module("content.media"), "MAX_AUDIO_BYTES"),
    ),
    UploadField(
        "content:post_edit",
        PostEditForm,
        "media",
        image_upload,
        "png",
        picture_limit("post"),
    ),
    UploadField(
        "content:review_create",
        ReviewForm,
        "images",
        image_upload,
        "png",
        picture_limit("review"),
    ),
    UploadField(
        FAN_ART,
        ForumPostForm,
        "images",
        jpeg_upload,
        "jpg",
        picture_limit("fan_art"),
    ),
    UploadField(
        "shop:product_create",
        ProductForm,
        "images",
        jpeg_upload,
        "jpg",
        picture_limit("product"),
    ),
    UploadField(
        "shop:product_edit",
        ProductForm,
        "images",
        jpeg_upload,
        "jpg",
        picture_limit("product"),
    ),
    UploadField(
        "shop:product_create",
        ProductForm,
        "digital_file",
        mp3_upload,
        "mp3",
        (_module("shop.forms"), "MAX_FILE_BYTES"),
        DOWNLOAD,
    ),
    UploadField(
        "shop:product_edit",
        ProductForm,
        "digital_file",
        mp3_upload,
        "mp3",
        (_module("shop.forms"), "MAX_FILE_BYTES"),
        DOWNLOAD,
    ),
]


def _renamed_text(upload_field: UploadField) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        f"holiday.{upload_field.extension}",
        b"Dear diary, today I renamed a text file.\n" * 20,
        content_type="image/jpeg",
    )


def _bomb(_upload_field) -> SimpleUploadedFile:
    return huge_dimensions_png(50_000, 50_000)


def _svg_with_script(_upload_field) -> SimpleUploadedFile:
    data = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script></svg>"
    )
    return SimpleUploadedFile("logo.svg", data, content_type="image/svg+xml")


def _gif_then_html(_upload_field) -> SimpleUploadedFile:
    gif = image_upload("dot.gif", size=(4, 4), fmt="GIF").read()
    return SimpleUploadedFile("funny.gif", gif + HTML_PAGE, content_type="image/gif")


def _good_file_then_html(upload_field: UploadField) -> SimpleUploadedFile:
    good = upload_field.good()
    return SimpleUploadedFile(good.name, good.read() + HTML_PAGE, content_type=good.content_type)


BAD_FILES = {
    "renamed text": _renamed_text,
    "decompression bomb": _bomb,
    "svg with a script": _svg_with_script,
    "gif followed by html": _gif_then_html,
    "good file with html appended": _good_file_then_html,
}


# The world -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fan_art_forum(module_world, django_db_blocker):
    """Only a fan-art forum takes pictures, and only an unverified artist without a pending
    request sends documents: the matrix's world has neither."""
    community_id = module_world["kwargs"]["communities:forum"]["community_id"]
    artist_id = module_world["kwargs"]["artists:verification"]["artist_id"]
    with django_db_blocker.unblock():
        forum = ForumFactory(community_id=community_id, forum_type=ForumType.FAN_ART)
        Artist.objects.filter(pk=artist_id).update(verification_status=VerificationStatus.REJECTED)
        ArtistVerification.objects.filter(artist_id=artist_id).update(
            status=ArtistVerificationStatus.REJECTED
        )
    return {"community_id": community_id, "forum_id": forum.pk}


def url_and_client(view: str, world, posting, fan_art_forum):
    if view == FAN_ART:
        return reverse("communities:forum", kwargs=fan_art_forum), posting[bad_input.MEMBER]
    kwargs = world["kwargs"].get(view)
    return reverse(view, kwargs=kwargs), posting[bad_input.role_for(view)]


def valid_submission(view: str, world) -> dict:
    return bad_input.valid_submission("communities:forum" if view == FAN_ART else view, world)


def _submission(upload_field: UploadField, world, upload) -> dict:
    valid = valid_submission(upload_field.view, world)
    return {**valid, **upload_field.overrides, upload_field.name: upload}


def stored_files() -> set[tuple[str, str]]:
    """Every file in the default (public) and private storages."""
    found = set()

    def walk(alias: str, folder: str) -> None:
        directories, files = storages[alias].listdir(folder)
        found.update((alias, f"{folder}/{name}") for name in files)
        for directory in directories:
            walk(alias, f"{folder}/{directory}".lstrip("/"))

    for alias in ("default", "private"):
        walk(alias, "")
    return found


def _field_id(upload_field: UploadField) -> str:
    return f"{upload_field.view}.{upload_field.name}"


def assert_refused_with_a_message(upload_field, world, posting, fan_art_forum, before, upload):
    url, client = url_and_client(upload_field.view, world, posting, fan_art_forum)
    files_before = stored_files()
    answer = bad_input.submit_undone(
        client, url, _submission(upload_field, world, upload), before=before
    )
    assert answer.problem is None, f"POST {url} answered {answer.status}:\n{answer.problem}"
    refusing = [form for form in bad_input.page_forms(answer.response) if form.errors]
    assert refusing, f"{upload.name} was not refused by {url} ({answer.status})"
    # Post media are checked by the service, whose error is the form's own.
    errors = refusing[0].errors.get(upload_field.name) or refusing[0].non_field_errors()
    assert errors, f"no error about the file: {refusing[0].errors}"
    page = answer.response.content.decode()
    assert all(escape(message) in page for message in errors)
    assert answer.changed == []
    assert stored_files() == files_before
    return errors


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
@pytest.mark.parametrize("upload_field", UPLOAD_FIELDS, ids=_field_id)
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_kept(
    world, posting, fan_art_forum, before, upload_field, kind
):
    upload = BAD_FILES[kind](upload_field)
    assert_refused_with_a_message(upload_field, world, posting, fan_art_forum, before, upload)


@pytest.mark.parametrize("upload_field", UPLOAD_FIELDS, ids=_field_id)
def test_a_file_over_the_limit_is_refused_with_a_message(
    world, posting, fan_art_forum, before, monkeypatch, upload_field
):
    upload = upload_field.good()
    holder, name = upload_field.limit
    if isinstance(holder, dict):
        monkeypatch.setitem(holder, name, upload.size - 1)
    else:
        monkeypatch.setattr(holder, name, upload.size - 1)
    errors = assert_refused_with_a_message(
        upload_field, world, posting, fan_art_forum, before, upload
    )
    assert any(re.search(r"larger|at most|limit", message) for message in errors), errors


@pytest.mark.parametrize("upload_field", UPLOAD_FIELDS, ids=_field_id)
def test_the_good_file_is_taken(world, posting, fan_art_forum, before, upload_field):
    """The bad files are refused for what they are: the same submission with a good file
    succeeds (and is rolled back)."""
    url, client = url_and_client(upload_field.view, world, posting, fan_art_forum)
    data = _submission(upload_field, world, upload_field.good())
    answer = bad_input.submit_undone(client, url, data, before=before)
    assert answer.status == 302, [form.errors for form in bad_input.page_forms(answer.response)]
    assert not bad_input.refused(answer.response)


def test_every_upload_field_is_tried():
    """Every file field of every form of our apps is in UPLOAD_FIELDS."""
    found = set()
    for app in apps.get_app_configs():
        if app.name.split(".")[0] not in PROJECT_APPS:
            continue
        for module_name in (f"{app.name}.forms", f"{app.name}.payments.forms"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for _name, form in inspect.getmembers(module, inspect.isclass):
                if issubclass(form, forms.BaseForm) and form.__module__ == module_name:
                    found.update(
                        (form, name)
                        for name, form_field in form.base_fields.items()
                        if isinstance(form_field, forms.FileField)
                    )
    assert found == {(item.form, item.name) for item in UPLOAD_FIELDS}
