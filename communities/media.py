"""Pictures of a community's members-only forums are private files, served to members only.

They are stored in the private storage (never the public one: no public URL reaches
them), and linked through `communities:media`, a view that wants both a short-lived
signature in the address (`signed_media_url`, made when the page is rendered) and a
viewer who may see the community's content. A copied link stops working after
PRIVATE_MEDIA_URL_AGE and never works for a non-member.
"""

import mimetypes
import uuid

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from content.media import CheckedMedia

SALT = "communities.media"
STORAGE = "private"


def _stored_name(community_id, name: str) -> str:
    return f"communities/{community_id}/{name}"


def private_media_store(*, items: list[CheckedMedia], community_id) -> list[str]:
    """Save in the private storage; returns the addresses of the serving view."""
    urls = []
    for item in items:
        name = f"{uuid.uuid4().hex}.{item.extension}"
        storages[STORAGE].save(_stored_name(community_id, name), item.content)
        urls.append(
            reverse("communities:media", kwargs={"community_id": community_id, "name": name})
        )
    return urls


def signed_media_url(url: str) -> str:
    """`url` with a signature valid for PRIVATE_MEDIA_URL_AGE from now."""
    if not url.startswith("/") or "/media/" not in url:
        # A public address from before pictures were private: shown as it is.
        return url
    signature = signing.TimestampSigner(salt=SALT).sign(url).split(":", 1)[1]
    return f"{url}?sig={signature}"


def signature_valid(path: str, signature: str) -> bool:
    try:
        signing.TimestampSigner(salt=SALT).unsign(
            f"{path}:{signature}", max_age=settings.PRIVATE_MEDIA_URL_AGE
        )
    except signing.BadSignature:
        return False
    return True


def media_response(*, community_id, name: str) -> HttpResponseBase:
    return private_file_response(_stored_name(community_id, name))


def private_file_response(stored: str) -> HttpResponseBase:
    """The private file, handed to the web server when it can serve private files itself
    (`X-Accel-Redirect` to PRIVATE_MEDIA_ACCEL_PREFIX), else streamed from storage; for
    a viewer the caller let through (members-only pictures, posts' media)."""
    name = stored.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response: HttpResponseBase
    if settings.PRIVATE_MEDIA_ACCEL_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.PRIVATE_MEDIA_ACCEL_PREFIX + stored
    else:
        response = FileResponse(storages[STORAGE].open(stored), content_type=content_type)
    # Members' browsers may keep it for as long as the link lives; no shared cache may.
    response["Cache-Control"] = f"private, max-age={settings.PRIVATE_MEDIA_URL_AGE}"
    return response
