"""Every write of the catalogue: releases, tracks and their processing, buying, wishlists.

Lock order: release, then its tracks (by pk), then the release's product, then the tracks'.
"""

import datetime
import logging
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Genre
from catalogue.audio import UnusableAudio, transcode
from catalogue.models import (
    TRACK_TRANSITIONS,
    CollectionSettings,
    Release,
    Track,
    TrackStatus,
    WishlistItem,
)
from communities.models import Community
from musicplatform.audit.services import status_change
from musicplatform.locking import rows_locked_in_order
from musicplatform.tasks import enqueue_on_commit
from shop.models import Product, ProductDelivery, ProductType
from shop.services import ShopError
from shop.services.cart import cart_add, cart_quantities, cart_remove
from shop.services.products import price_problem

logger = logging.getLogger(__name__)


class CatalogueError(Exception):
    """A request the catalogue refuses; the message is shown as it is."""


@dataclass(frozen=True)
class ReleaseDetails:
    """What the artist's release form sets."""

    release_type: str
    title: str
    release_date: datetime.date
    description: str
    credits: str
    price: Decimal
    name_your_price: bool
    included_for_members: bool
    community: Community | None
    genres: list[Genre]
    tracks_sold_separately: bool = False
    track_price: Decimal | None = None


def _apply(release: Release, details: ReleaseDetails, cover) -> None:
    if details.included_for_members and details.community is None:
        raise CatalogueError("Choose the community whose members get this release.")
    if details.community is not None and details.community.artist_id != release.artist_id:
        raise CatalogueError("Choose one of your own communities.")
    # The shop's rule for what a download may cost: 0.00 (free) or what a gateway charges.
    problem = price_problem(price=details.price, delivery=ProductDelivery.DIGITAL)
    if problem:
        raise CatalogueError(problem)
    if details.tracks_sold_separately:
        if details.track_price is None:
            raise CatalogueError("Give the price of a track sold on its own.")
        problem = price_problem(price=details.track_price, delivery=ProductDelivery.DIGITAL)
        if problem:
            raise CatalogueError(f"Track price: {problem}")
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
    ):
        setattr(release, field, getattr(details, field))
    if cover is not None:
        release.cover.save(cover.name, cover, save=False)


def release_create(*, artist, details: ReleaseDetails, cover: File | None = None) -> Release:
    with transaction.atomic():
        release = Release(artist=artist)
        _apply(release, details, cover)
        release.save()
        release.genres.set(details.genres)
    return release


def release_update(*, release: Release, details: ReleaseDetails, cover: File | None = None):
    """Change a release; a published one's product follows (name, price)."""
    with transaction.atomic():
        release = Release.objects.select_for_update(of=("self",)).get(pk=release.pk)
        _apply(release, details, cover)
        release.save()
        release.genres.set(details.genres)
        if release.product_id:
            _product_sync(release)
    return release


def _product_sync(release: Release) -> None:
    """Make or bring up to date the shop product that sells `release`, and those of its
    tracks sold alone (release and tracks locked).

    Written here rather than through shop.services.products, which insists on a digital
    product's file: these have none of their own, their download links open the tracks
    (shop.services.downloads). They are digital products all the same (download links, no
    shipping, free at 0.00), and their prices were held to the shop's rule by `_apply`."""
    _sold_by(
        release,
        artist_id=release.artist_id,
        name=f"{release.title} — {release.artist.artist_name}",
        description=release.description or None,
        price=release.price,
        is_active=True,
    )
    for track in Track.objects.select_for_update().filter(release_id=release.pk).order_by("pk"):
        if release.tracks_sold_separately:
            _sold_by(
                track,
                artist_id=release.artist_id,
                name=f"{track.title} — {release.artist.artist_name} ({release.title})",
                description=None,
                price=release.track_price,
                is_active=True,
            )
        elif track.product_id is not None:
            # No longer sold alone; its buyers keep it (their paid order lines).
            Product.objects.filter(pk=track.product_id).update(is_active=False)


def _sold_by(item: Release | Track, *, artist_id, **fields) -> None:
    """Make `item`'s own digital `music_download` product, or update it, with `fields`."""
    fields["delivery"] = ProductDelivery.DIGITAL
    if item.product_id is None:
        item.product = Product.objects.create(
            artist_id=artist_id,
            product_type=ProductType.MUSIC_DOWNLOAD,
            stock_quantity=None,
            **fields,
        )
        item.save(update_fields=["product"])
    else:
        Product.objects.filter(pk=item.product_id).update(**fields)


def release_publish(*, release: Release) -> Release:
    """Put a release on sale and on the artist's page; every track must be ready."""
    with transaction.atomic():
        release = (
            Release.objects.select_for_update(of=("self",))
            .select_related("artist")
            .get(pk=release.pk)
        )
        statuses = list(
            rows_locked_in_order(Track.objects)
            .filter(release_id=release.pk)
            .values_list("status", flat=True)
        )
        if not statuses:
            raise CatalogueError("Add at least one track before publishing.")
        if any(status != TrackStatus.READY for status in statuses):
            raise CatalogueError("Every track must be processed (ready) before publishing.")
        _product_sync(release)
        if release.published_at is None:
            release.published_at = timezone.now()
            release.save(update_fields=["published_at"])
    return release


def track_add(
    *,
    release: Release,
    title: str,
    lyrics: str,
    streams_in_full: bool,
    upload: File,
    original_format: str,
) -> Track:
    """A new last track of `release`, queued for processing (`upload` already checked)."""
    with transaction.atomic():
        release = Release.objects.select_for_update(of=("self",)).get(pk=release.pk)
        last = Track.objects.filter(release_id=release.pk).aggregate(last=Max("position"))["last"]
        track = Track(
            release=release,
            position=(last or 0) + 1,
            title=title,
            lyrics=lyrics,
            streams_in_full=streams_in_full,
            original_format=original_format,
        )
        track.original.save(f"{track.pk}.{original_format}", upload, save=False)
        track.save()
        from catalogue.tasks import track_process

        enqueue_on_commit(track_process, str(track.pk))
    return track


def track_delete(*, track: Track) -> None:
    """Take a track off its release (a failed upload, a draft's track); the later ones move
    up. A ready track of a published release stays: its buyers own it."""
    with transaction.atomic():
        release = Release.objects.select_for_update(of=("self",)).get(pk=track.release_id)
        tracks = list(Track.objects.filter(release_id=release.pk).order_by("position"))
        current = next((t for t in tracks if t.pk == track.pk), None)
        if current is None:
            return
        if release.is_published and current.status == TrackStatus.READY:
            raise CatalogueError("A track of a published release cannot be removed.")
        if current.status == TrackStatus.PROCESSING:
            raise CatalogueError("Wait until the track is processed, then remove it.")
        files = [
            getattr(current, field)
            for field in ("original", "stream_mp3", "preview_mp3", "download_mp3", "download_flac")
            if getattr(current, field)
        ]
        current.delete()
        # Moved up one by one in order, so no two share a position at any moment.
        for later in tracks:
            if later.position > current.position:
                Track.objects.filter(pk=later.pk).update(position=later.position - 1)
        transaction.on_commit(lambda: [stored.delete(save=False) for stored in files])


def _fail(track: Track, reason: str) -> None:
    with transaction.atomic():
        track, _ = status_change(
            instance=track,
            new_status=TrackStatus.FAILED,
            transitions=TRACK_TRANSITIONS,
            entity_type="track",
        )
        Track.objects.filter(pk=track.pk).update(failure_reason=reason)


def track_process(*, track_id) -> None:
    """Transcode a queued track (the Celery task's work); safe to run twice.

    A track already ready or failed is left alone; one found `processing` (a worker died
    mid-way) is processed again. Whatever goes wrong ends in `failed` with the reason, so
    a track is never left `processing`.
    """
    track = Track.objects.filter(pk=track_id).first()
    if track is None or track.status in {TrackStatus.READY, TrackStatus.FAILED}:
        return
    track, _ = status_change(
        instance=track,
        new_status=TrackStatus.PROCESSING,
        transitions=TRACK_TRANSITIONS,
        entity_type="track",
    )
    try:
        with tempfile.TemporaryDirectory(prefix="track-") as workdir_name:
            workdir = Path(workdir_name)
            source = workdir / f"original.{track.original_format or 'audio'}"
            with track.original.open("rb") as stored, source.open("wb") as copy:
                for chunk in stored.chunks():
                    copy.write(chunk)
            result = transcode(source=source, workdir=workdir)
            _store_transcoded(track, result)
    except UnusableAudio as error:
        _fail(track, str(error))
    except Exception:
        logger.exception("Processing track %s failed", track.pk)
        _fail(track, "Processing failed unexpectedly; upload the file again or contact support.")


def _store_transcoded(track: Track, result) -> None:
    with transaction.atomic():
        locked = Track.objects.select_for_update(of=("self",)).get(pk=track.pk)
        for field, path in (
            ("stream_mp3", result.stream_mp3),
            ("preview_mp3", result.preview_mp3),
            ("download_mp3", result.download_mp3),
            ("download_flac", result.download_flac),
        ):
            with path.open("rb") as handle:
                getattr(locked, field).save(f"{locked.pk}{path.suffix}", File(handle), save=False)
        locked.duration_seconds = result.duration_seconds
        locked.failure_reason = ""
        locked.save(
            update_fields=[
                "stream_mp3",
                "preview_mp3",
                "download_mp3",
                "download_flac",
                "duration_seconds",
                "failure_reason",
            ]
        )
        status_change(
            instance=locked,
            new_status=TrackStatus.READY,
            transitions=TRACK_TRANSITIONS,
            entity_type="track",
        )


def release_cart_add(*, session, release: Release, amount: Decimal | None) -> None:
    """Put a published release in the cart, at the amount the fan chose if it is
    name-your-price (at least the minimum), at its price otherwise."""
    product = release.product
    if product is None or not product.is_active:
        raise CatalogueError("This release is not on sale.")
    if not release.name_your_price:
        amount = None
    elif amount is None or amount < release.price:
        raise CatalogueError(f"Pay at least ${release.price} for this release.")
    elif price_problem(price=amount, delivery=ProductDelivery.DIGITAL):
        # Below what a gateway charges: 0.00 (when the minimum allows it) is a free download.
        raise CatalogueError(
            f"Pay 0.00 or at least ${settings.SHOP_MIN_PRICE}: smaller amounts cannot be charged."
        )
    _cart_add(session=session, product=product, amount=amount)


def track_cart_add(*, session, track: Track) -> None:
    """Put a track of a published release in the cart on its own, at the track price."""
    release = track.release
    if (
        not release.is_published
        or not release.tracks_sold_separately
        or (product := track.product) is None
        or not product.is_active
    ):
        raise CatalogueError("This track is not sold on its own.")
    _cart_add(session=session, product=product, amount=None)


def _cart_add(*, session, product: Product, amount: Decimal | None) -> None:
    """One download of `product` in the cart, at `amount` if given: buying it again
    replaces the line (a new amount) rather than paying for two copies of one file."""
    try:
        if str(product.pk) in cart_quantities(session=session):
            cart_remove(session=session, product_id=product.pk)
        cart_add(session=session, product=product, quantity=1, chosen_price=amount)
    except ShopError as error:
        raise CatalogueError(str(error)) from error


def wishlist_add(*, user, release: Release) -> None:
    WishlistItem.objects.get_or_create(user=user, release=release)


def wishlist_remove(*, user, release_id) -> None:
    WishlistItem.objects.filter(user=user, release_id=release_id).delete()


def collection_visibility_set(*, user, is_public: bool) -> None:
    CollectionSettings.objects.update_or_create(user=user, defaults={"is_public": is_public})
