"""The catalogue's reads; every page runs a fixed number of queries whatever the data size."""

import uuid
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum

from accounts.models import User
from artists.models import Artist
from catalogue.models import CollectionSettings, Release, Track, TrackStatus, WishlistItem
from communities.models import CommunitySubscription
from communities.selectors import is_member
from content.models import ReviewedContentType
from shop.models import OrderItem
from shop.services.downloads import OWNED_STATUSES

ALSO_BOUGHT_LIMIT = 6


def _tracks_in_order() -> Prefetch:
    return Prefetch(
        "tracks", queryset=Track.objects.order_by("position"), to_attr="tracks_in_order"
    )


def published_releases() -> QuerySet[Release]:
    """Releases anyone may see: published, by an artist still on the platform."""
    return Release.objects.filter(published_at__isnull=False, artist__removed_at__isnull=True)


def releases_matching(*, query: str) -> QuerySet[Release]:
    """Published releases whose title, artist or a track's title contains `query` (the site
    search), newest first, each with `matching_track`: the first track whose title does."""
    matching_tracks = Track.objects.filter(
        release_id=OuterRef("pk"), title__icontains=query
    ).order_by("position")
    return (
        published_releases()
        .annotate(matching_track=Subquery(matching_tracks.values("title")[:1]))
        .filter(
            Q(title__icontains=query)
            | Q(artist__artist_name__icontains=query)
            | Q(matching_track__isnull=False)
        )
        .select_related("artist")
        .order_by("-release_date", "title", "pk")
    )


REVIEWABLE_ITEMS_LIMIT = 10


@dataclass(frozen=True)
class CatalogueItem:
    """A release (reviewed as an album) or a track (a song) here, as a review names it:
    `content_id` is its id, so every review of it groups together (content.Review)."""

    content_type: str
    content_id: str
    name: str
    artist: Artist
    release: Release

    @property
    def key(self) -> str:
        return f"{self.content_type}:{self.content_id}"

    @property
    def label(self) -> str:
        if self.content_type == ReviewedContentType.ALBUM:
            kind = self.release.get_release_type_display()
            return f"{kind}: {self.name} by {self.artist.artist_name}"
        return f"Song: {self.name} by {self.artist.artist_name} (on {self.release.title})"


def _album_item(release: Release) -> CatalogueItem:
    return CatalogueItem(
        ReviewedContentType.ALBUM, str(release.pk), release.title, release.artist, release
    )


def _song_item(track: Track) -> CatalogueItem:
    release = track.release
    return CatalogueItem(
        ReviewedContentType.SONG, str(track.pk), track.title, release.artist, release
    )


def _reviewable_tracks() -> QuerySet[Track]:
    return Track.objects.filter(release__in=published_releases()).select_related("release__artist")


def catalogue_item(*, content_type: str, content_id: str) -> CatalogueItem | None:
    """The published release or track a review's content type and id name, if any."""
    try:
        pk = uuid.UUID(str(content_id))
    except ValueError:
        return None
    if content_type == ReviewedContentType.ALBUM:
        release = published_releases().select_related("artist").filter(pk=pk).first()
        return _album_item(release) if release else None
    if content_type == ReviewedContentType.SONG:
        track = _reviewable_tracks().filter(pk=pk).first()
        return _song_item(track) if track else None
    return None


def catalogue_item_by_key(key: str) -> CatalogueItem | None:
    """`CatalogueItem.key` ("album:<id>", "song:<id>") back to its item."""
    content_type, _, content_id = (key or "").partition(":")
    return catalogue_item(content_type=content_type, content_id=content_id)


def catalogue_items_matching(
    *, query: str, limit: int = REVIEWABLE_ITEMS_LIMIT
) -> list[CatalogueItem]:
    """Releases and tracks whose title or artist contains `query`, to pick one to review:
    releases first, then tracks (two queries)."""
    named = Q(title__icontains=query)
    releases = (
        published_releases()
        .filter(named | Q(artist__artist_name__icontains=query))
        .select_related("artist")
        .order_by("-release_date", "title", "pk")[:limit]
    )
    tracks = (
        _reviewable_tracks()
        .filter(named | Q(release__artist__artist_name__icontains=query))
        .order_by("-release__release_date", "release__title", "position", "pk")[:limit]
    )
    return [*map(_album_item, releases), *map(_song_item, tracks)]


def release_for_viewer(*, release_id, user) -> Release | None:
    """A release with its artist, genres and tracks; unpublished ones only for their artist."""
    release = (
        Release.objects.select_related("artist", "product", "community")
        .prefetch_related("genres", _tracks_in_order())
        .filter(pk=release_id, artist__removed_at__isnull=True)
        .first()
    )
    if release is None or (not release.is_published and not is_release_artist(release, user)):
        return None
    return release


def is_release_artist(release: Release, user) -> bool:
    return user.is_authenticated and release.artist.user_id == user.pk


def _bought(user) -> QuerySet[OrderItem]:
    """The user's paid lines; a refunded line was given back, so it owns nothing."""
    return OrderItem.objects.filter(
        order__user_id=user.pk, order__status__in=OWNED_STATUSES, refund__isnull=True
    )


def owns_release(*, release: Release, user) -> bool:
    """Bought it (a paid order), or is a member of the community it is included for."""
    if not user.is_authenticated:
        return False
    if (
        release.included_for_members
        and release.community_id
        and is_member(community_id=release.community_id, user=user)
    ):
        return True
    return (
        release.product_id is not None
        and _bought(user).filter(product_id=release.product_id).exists()
    )


def purchase_line(*, product_id, user) -> OrderItem | None:
    """The user's first paid, unrefunded line of the product selling a release or a track,
    if they bought it: downloading it delivers that line."""
    if not user.is_authenticated or product_id is None:
        return None
    return _bought(user).filter(product_id=product_id).order_by("order__created_at", "pk").first()


def may_download(*, release: Release, user) -> bool:
    return (
        release.is_published
        and not release.is_preorder
        and (is_release_artist(release, user) or owns_release(release=release, user=user))
    )


def may_download_track(*, track: Track, user) -> bool:
    """The release's downloaders, and whoever bought this track alone."""
    release = track.release
    return may_download(release=release, user=user) or (
        release.is_published
        and not release.is_preorder
        and purchase_line(product_id=track.product_id, user=user) is not None
    )


def also_bought(*, release: Release, limit: int = ALSO_BOUGHT_LIMIT) -> list[Release]:
    """Other published releases most often bought by the fans who bought this one."""
    if release.product_id is None:
        return []
    buyers = OrderItem.objects.filter(
        product_id=release.product_id, order__status__in=OWNED_STATUSES
    ).values("order__user_id")
    return list(
        published_releases()
        .exclude(pk=release.pk)
        .filter(
            product__order_items__order__user_id__in=buyers,
            product__order_items__order__status__in=OWNED_STATUSES,
        )
        .annotate(
            fans=Count("product__order_items__order__user_id", distinct=True),
        )
        .select_related("artist")
        .order_by("-fans", "-release_date", "pk")[:limit]
    )


@dataclass
class ReleasePage:
    release: Release
    user: AbstractBaseUser | AnonymousUser

    @cached_property
    def is_artist(self) -> bool:
        return is_release_artist(self.release, self.user)

    @cached_property
    def owned(self) -> bool:
        return owns_release(release=self.release, user=self.user)

    @cached_property
    def may_download(self) -> bool:
        return may_download(release=self.release, user=self.user)

    @cached_property
    def hears_in_full(self) -> bool:
        return self.is_artist or (self.owned and not self.release.is_preorder)

    @cached_property
    def wishlisted(self) -> bool:
        return (
            self.user.is_authenticated
            and WishlistItem.objects.filter(user_id=self.user.pk, release=self.release).exists()
        )

    @cached_property
    def also_bought(self) -> list[Release]:
        return also_bought(release=self.release)

    @cached_property
    def tracks_bought(self) -> set:
        """Ids of the release's tracks the user bought on their own (one query)."""
        if not self.user.is_authenticated:
            return set()
        return set(
            Track.objects.filter(
                release_id=self.release.pk,
                product_id__in=_bought(self.user).values("product_id"),
            ).values_list("pk", flat=True)
        )

    def hears_track_in_full(self, track: Track) -> bool:
        return (
            track.streams_in_full
            or self.hears_in_full
            or (track.pk in self.tracks_bought and not self.release.is_preorder)
        )

    @cached_property
    def playable_tracks(self) -> list[Track]:
        tracks = [t for t in self.release.tracks_in_order if t.status == TrackStatus.READY]
        for track in tracks:
            track.heard_in_full = self.hears_track_in_full(track)
        return tracks


def artist_releases(*, artist_id, include_unpublished: bool = False) -> list[Release]:
    """An artist's releases, newest first (the artist page's section, the artist's list)."""
    releases = Release.objects.filter(artist_id=artist_id)
    if not include_unpublished:
        releases = releases.filter(published_at__isnull=False)
    return list(
        releases.annotate(track_count=Count("tracks"), plays=Sum("tracks__play_count")).order_by(
            "-release_date", "pk"
        )
    )


def artist_releases_manage(*, user) -> list[Release]:
    """Every release of the user's artist profiles, with track counts by state."""
    return list(
        Release.objects.filter(artist__user_id=user.pk)
        .select_related("artist")
        .annotate(
            track_count=Count("tracks"),
            ready_count=Count("tracks", filter=Q(tracks__status=TrackStatus.READY)),
            plays=Sum("tracks__play_count"),
        )
        .order_by("-release_date", "pk")
    )


@dataclass
class Collection:
    owner: User
    viewer: AbstractBaseUser | AnonymousUser

    @cached_property
    def is_public(self) -> bool:
        return CollectionSettings.objects.filter(user_id=self.owner.pk, is_public=True).exists()

    @property
    def is_own(self) -> bool:
        return self.viewer.is_authenticated and self.viewer.pk == self.owner.pk

    @cached_property
    def releases(self) -> list[Release]:
        """What the owner bought, and what their memberships give them."""
        bought = _bought(self.owner).filter(product_id=OuterRef("product_id"))
        member_of = CommunitySubscription.objects.members().filter(
            user_id=self.owner.pk, community_id=OuterRef("community_id")
        )
        return list(
            published_releases()
            .filter(Exists(bought) | (Q(included_for_members=True) & Exists(member_of)))
            .select_related("artist")
            .order_by("-release_date", "pk")
        )

    @cached_property
    def tracks(self) -> list[Track]:
        """Tracks the owner bought on their own."""
        bought = _bought(self.owner).filter(product_id=OuterRef("product_id"))
        return list(
            Track.objects.filter(Exists(bought), release__in=published_releases())
            .select_related("release__artist")
            .order_by("-release__release_date", "release_id", "position")
        )

    @cached_property
    def wishlist(self) -> list[Release]:
        return list(
            published_releases()
            .filter(wishlisted__user_id=self.owner.pk)
            .select_related("artist")
            .order_by("-wishlisted__created_at", "pk")
        )


def featured_catalogue(*, album_ids, song_ids) -> dict[str, dict]:
    """The featured albums and songs that are releases and tracks here, by id, each with
    the release, and the track its play button plays (the first of an album). Ids of the
    external catalogue (D8) find nothing and keep their review names."""
    ready_tracks = Prefetch(
        "tracks",
        queryset=Track.objects.filter(status=TrackStatus.READY).order_by("position"),
        to_attr="ready_tracks",
    )
    found: dict[str, dict] = {}
    if album_ids:
        for release in (
            published_releases()
            .filter(pk__in=album_ids)
            .select_related("artist")
            .prefetch_related(ready_tracks)
        ):
            first = release.ready_tracks[0] if release.ready_tracks else None
            found[str(release.pk)] = {"release": release, "track": first}
    if song_ids:
        tracks = Track.objects.filter(
            pk__in=song_ids,
            status=TrackStatus.READY,
            release__in=published_releases(),
        ).select_related("release__artist")
        for track in tracks:
            found[str(track.pk)] = {"release": track.release, "track": track}
    return found
