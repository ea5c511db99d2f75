"""The catalogue's pages: parse input with a form, call a service or selector, render."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ratelimit import client_ip
from artists.models import Artist
from catalogue import selectors
from catalogue.downloads import release_zip
from catalogue.forms import (
    BuyForm,
    CollectionVisibilityForm,
    DownloadFormatForm,
    ReleaseForm,
    TrackForm,
)
from catalogue.models import Release, Track, TrackStatus
from catalogue.plays import play_record
from catalogue.services import (
    CatalogueError,
    collection_visibility_set,
    release_cart_add,
    release_create,
    release_publish,
    release_update,
    track_add,
    track_cart_add,
    track_delete,
    wishlist_add,
    wishlist_remove,
)
from content.models import ReviewedContentType
from content.selectors import latest_item_reviews
from shop.services import ShopError
from shop.services.downloads import download_item_for_token, download_use_record

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
STREAM_CHUNK = 64 * 1024


# --- Listening ---------------------------------------------------------------


@require_http_methods(["GET"])
def release_detail(request, release_id):
    release = selectors.release_for_viewer(release_id=release_id, user=request.user)
    if release is None:
        raise Http404
    page = selectors.ReleasePage(release=release, user=request.user)
    context = {"page": page, "release": release, "buy_form": BuyForm(release=release)}
    if release.is_published:
        context["reviews"] = latest_item_reviews(
            viewer=request.user, content_type=ReviewedContentType.ALBUM, content_id=str(release.pk)
        )
    return render(request, "catalogue/release_detail.html", context)


# Only the embeddable player may be framed, by any site; every other page refuses it
# (X-Frame-Options DENY and `frame-ancestors 'none'`, musicplatform/settings/base.py).
EMBED_CSP = {**settings.SECURE_CSP, "frame-ancestors": ["*"]}


@xframe_options_exempt
@csp_override(EMBED_CSP)
@require_http_methods(["GET"])
def release_embed(request, release_id):
    release = selectors.release_for_viewer(release_id=release_id, user=request.user)
    if release is None or not release.is_published:
        raise Http404
    page = selectors.ReleasePage(release=release, user=request.user)
    return render(request, "catalogue/embed.html", {"page": page, "release": release})


def _listener(request) -> str:
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    if request.session.session_key:
        return f"s{request.session.session_key}"
    return f"a{request.META.get('REMOTE_ADDR', '')}"


def _ranged_file(request, stored, content_type: str):
    """Serve a stored file whole (200) or the byte range asked for (206), seekable."""
    size = stored.size
    match = RANGE.match(request.headers.get("Range", "").strip())
    start, end = 0, size - 1
    status = 200
    if match and (match[1] or match[2]):
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:
            start = max(0, size - int(match[2]))
        if start > end or start >= size:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    handle = stored.open("rb")
    handle.seek(start)

    def chunks(remaining=end - start + 1):
        try:
            while remaining > 0:
                data = handle.read(min(STREAM_CHUNK, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            handle.close()

    response = StreamingHttpResponse(chunks(), status=status, content_type=content_type)
    response["Accept-Ranges"] = "bytes"
    response["Content-Length"] = str(end - start + 1)
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET"])
def track_audio(request, track_id):
    """A track's stream: in full for those who may hear it so, its preview otherwise.

    A request from the start of the file counts a play (seeks ask for later bytes)."""
    track = get_object_or_404(
        Track.objects.select_related("release__artist", "release__product"),
        pk=track_id,
        status=TrackStatus.READY,
    )
    release = selectors.release_for_viewer(release_id=track.release_id, user=request.user)
    if release is None:
        raise Http404
    page = selectors.ReleasePage(release=release, user=request.user)
    full = page.hears_track_in_full(track)
    stored = track.stream_mp3 if full else track.preview_mp3
    response = _ranged_file(request, stored, "audio/mpeg")
    range_header = request.headers.get("Range", "")
    if response.status_code in (200, 206) and range_header in ("", "bytes=0-"):
        play_record(track_id=track.pk, listener=_listener(request))
    return response


# --- Buying and downloading ---------------------------------------------------


@require_POST
def release_buy(request, release_id):
    release = selectors.release_for_viewer(release_id=release_id, user=request.user)
    if release is None or not release.is_published:
        raise Http404
    form = BuyForm(request.POST, release=release)
    if form.is_valid():
        try:
            release_cart_add(
                session=request.session, release=release, amount=form.cleaned_data["amount"]
            )
        except CatalogueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"“{release.title}” is in your cart.")
            return redirect("shop:cart")
    page = selectors.ReleasePage(release=release, user=request.user)
    return render(
        request,
        "catalogue/release_detail.html",
        {"page": page, "release": release, "buy_form": form},
        status=400,
    )


@require_POST
def track_buy(request, track_id):
    """A track on its own, when its artist sells tracks so; at the track price."""
    track = get_object_or_404(
        Track.objects.select_related("release__artist", "product"), pk=track_id
    )
    release = selectors.release_for_viewer(release_id=track.release_id, user=request.user)
    if release is None or not release.is_published:
        raise Http404
    track.release = release
    try:
        track_cart_add(session=request.session, track=track)
    except CatalogueError as error:
        messages.error(request, str(error))
        return redirect(release)
    messages.success(request, f"“{track.title}” is in your cart.")
    return redirect("shop:cart")


def _zip_response(release: Release, audio_format: str, track: Track | None = None):
    release.tracks_in_order = (
        [track]
        if track is not None
        else list(release.tracks.filter(status=TrackStatus.READY).order_by("position"))
    )
    archive = release_zip(release=release, audio_format=audio_format)
    title = f"{release.title} {track.title}" if track is not None else release.title
    name = slugify(f"{release.artist.artist_name} {title}") or "release"
    return FileResponse(archive, as_attachment=True, filename=f"{name}-{audio_format}.zip")


@login_required
@require_http_methods(["GET"])
def purchase_download(request, token):
    """The shop's signed link of a bought release: pick a format, get the zip."""
    try:
        item = download_item_for_token(token=token, user=request.user)
    except ShopError as error:
        return render(request, "shop/download_refused.html", {"reason": str(error)}, status=403)
    release = Release.objects.select_related("artist").filter(product=item.product).first()
    if release is not None:
        return _format_page_or_zip(request, release, item=item)
    track = get_object_or_404(Track.objects.select_related("release__artist"), product=item.product)
    return _format_page_or_zip(request, track.release, item=item, track=track)


@login_required
@require_http_methods(["GET"])
def release_download(request, release_id):
    """Members given the release, and its artist, download it here (buyers use the shop's
    link, which also works here)."""
    release = selectors.release_for_viewer(release_id=release_id, user=request.user)
    if release is None:
        raise Http404
    if not selectors.may_download(release=release, user=request.user):
        reason = (
            "This release is a pre-order: it can be downloaded from its release date."
            if release.is_preorder
            else "Buy this release (or join the community it is included for) to download it."
        )
        return render(request, "shop/download_refused.html", {"reason": reason}, status=403)
    return _format_page_or_zip(
        request,
        release,
        item=selectors.purchase_line(product_id=release.product_id, user=request.user),
    )


@login_required
@require_http_methods(["GET"])
def track_download(request, track_id):
    """A track bought on its own (its artist and the release's owners may too)."""
    track = get_object_or_404(
        Track.objects.select_related("release__artist"), pk=track_id, status=TrackStatus.READY
    )
    release = selectors.release_for_viewer(release_id=track.release_id, user=request.user)
    if release is None:
        raise Http404
    track.release = release
    if not selectors.may_download_track(track=track, user=request.user):
        reason = (
            "This release is a pre-order: it can be downloaded from its release date."
            if release.is_preorder
            else "Buy this track (or its release) to download it."
        )
        return render(request, "shop/download_refused.html", {"reason": reason}, status=403)
    item = selectors.purchase_line(product_id=track.product_id, user=request.user)
    return _format_page_or_zip(request, release, item=item, track=track)


def _format_page_or_zip(request, release: Release, item=None, track: Track | None = None):
    """The format choice, then the zip (of `track` alone, or of the release); a bought
    `item` served its zip is recorded as downloaded, so it counts as delivered (no
    automatic refund, docs/payments.md)."""
    if release.is_preorder:
        reason = "This release is a pre-order: it can be downloaded from its release date."
        return render(request, "shop/download_refused.html", {"reason": reason}, status=403)
    form = DownloadFormatForm(request.GET or None)
    if form.is_valid():
        if item is not None:
            try:
                download_use_record(item=item, user=request.user, ip_address=client_ip(request))
            except ShopError as error:
                return render(
                    request, "shop/download_refused.html", {"reason": str(error)}, status=403
                )
        return _zip_response(release, form.cleaned_data["format"], track)
    return render(
        request,
        "catalogue/download_formats.html",
        {"release": release, "track": track, "form": form},
        status=400 if request.GET else 200,
    )


# --- Collection and wishlist --------------------------------------------------


@require_http_methods(["GET"])
def collection(request, user_id):
    owner = get_object_or_404(get_user_model(), pk=user_id, deleted_at__isnull=True)
    page = selectors.Collection(owner=owner, viewer=request.user)
    if not page.is_own and not page.is_public:
        return render(request, "catalogue/collection_private.html", {"owner": owner}, status=403)
    form = CollectionVisibilityForm(initial={"is_public": page.is_public})
    return render(request, "catalogue/collection.html", {"page": page, "form": form})


@login_required
@require_POST
def collection_visibility(request):
    form = CollectionVisibilityForm(request.POST)
    if form.is_valid():
        collection_visibility_set(user=request.user, is_public=form.cleaned_data["is_public"])
        messages.success(request, "Your collection's visibility is saved.")
    return redirect("catalogue:collection", user_id=request.user.pk)


@login_required
@require_POST
def wishlist_toggle(request, release_id):
    release = selectors.release_for_viewer(release_id=release_id, user=request.user)
    if release is None or not release.is_published:
        raise Http404
    if request.POST.get("remove"):
        wishlist_remove(user=request.user, release_id=release.pk)
        messages.success(request, "Removed from your wishlist.")
    else:
        wishlist_add(user=request.user, release=release)
        messages.success(request, "Added to your wishlist.")
    return redirect(release)


# --- The artist's side --------------------------------------------------------


def _own_release(request, release_id) -> Release:
    return get_object_or_404(
        Release.objects.select_related("artist", "product"),
        pk=release_id,
        artist__user_id=request.user.pk,
        artist__removed_at__isnull=True,
    )


@login_required
@require_http_methods(["GET"])
def manage(request):
    return render(
        request,
        "catalogue/manage.html",
        {
            "releases": selectors.artist_releases_manage(user=request.user),
            "artists": Artist.objects.filter(user_id=request.user.pk, removed_at__isnull=True),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_new(request, artist_id):
    artist = get_object_or_404(
        Artist, pk=artist_id, user_id=request.user.pk, removed_at__isnull=True
    )
    form = ReleaseForm(request.POST or None, request.FILES or None, artist=artist)
    if request.method == "POST" and form.is_valid():
        try:
            release = release_create(
                artist=artist, details=form.details(), cover=form.cleaned_data["cover"]
            )
        except CatalogueError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Release created; now add its tracks.")
            return redirect("catalogue:release_edit", release_id=release.pk)
    return render(
        request,
        "catalogue/release_form.html",
        {"form": form, "artist": artist},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def release_edit(request, release_id):
    release = _own_release(request, release_id)
    initial = {
        field: getattr(release, field)
        for field in (
            "release_type",
            "title",
            "release_date",
            "description",
            "credits",
            "price",
            "name_your_price",
            "included_for_members",
            "community",
            "tracks_sold_separately",
            "track_price",
        )
    }
    initial["genres"] = list(release.genres.all())
    form = ReleaseForm(
        request.POST or None, request.FILES or None, artist=release.artist, initial=initial
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                release_update(
                    release=release, details=form.details(), cover=form.cleaned_data["cover"]
                )
            except CatalogueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Release saved.")
                return redirect("catalogue:release_edit", release_id=release.pk)
    return _edit_page(request, release, form=form, track_form=TrackForm(), status=status)


def _edit_page(request, release, *, form, track_form, status=200):
    tracks = list(release.tracks.order_by("position"))
    return render(
        request,
        "catalogue/release_edit.html",
        {
            "release": release,
            "form": form,
            "track_form": track_form,
            "tracks": tracks,
            "processing": any(
                t.status in (TrackStatus.QUEUED, TrackStatus.PROCESSING) for t in tracks
            ),
        },
        status=status,
    )


@login_required
@require_POST
def track_upload(request, release_id):
    release = _own_release(request, release_id)
    track_form = TrackForm(request.POST, request.FILES)
    if track_form.is_valid():
        data = track_form.cleaned_data
        track_add(
            release=release,
            title=data["title"],
            lyrics=data["lyrics"],
            streams_in_full=data["streams_in_full"],
            upload=data["audio"],
            original_format=track_form.original_format,
        )
        messages.success(request, f"“{data['title']}” is uploaded and queued for processing.")
        return redirect("catalogue:release_edit", release_id=release.pk)
    form = ReleaseForm(artist=release.artist)
    return _edit_page(request, release, form=form, track_form=track_form, status=400)


@login_required
@require_POST
def track_delete_view(request, release_id, track_id):
    release = _own_release(request, release_id)
    track = get_object_or_404(Track, pk=track_id, release_id=release.pk)
    try:
        track_delete(track=track)
    except CatalogueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{track.title}” is removed.")
    return redirect("catalogue:release_edit", release_id=release.pk)


@login_required
@require_POST
def release_publish_view(request, release_id):
    release = _own_release(request, release_id)
    try:
        release_publish(release=release)
    except CatalogueError as error:
        messages.error(request, str(error))
        return redirect("catalogue:release_edit", release_id=release.pk)
    messages.success(request, "Published: fans can now hear and buy it.")
    return redirect(release)
