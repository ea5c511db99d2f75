"""Releases (albums, EPs, singles) and their tracks: what fans hear, buy and collect.

A published release is sold through its own `music_download` product in the shop
(`Release.product`), so carts, orders, payments and the ledger treat it like any product.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from musicplatform.db import created_at, updated_at, uuid_primary_key
from shop.models import private_storage


class ReleaseType(models.TextChoices):
    ALBUM = "album", "Album"
    EP = "ep", "EP"
    SINGLE = "single", "Single"


class Release(models.Model):
    id = uuid_primary_key("release_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DB_CASCADE, related_name="releases", db_index=False
    )
    release_type = models.CharField(max_length=20, choices=ReleaseType.choices)
    title = models.CharField(max_length=255)
    # Before this day the release is a pre-order: it can be bought, not yet heard or downloaded.
    release_date = models.DateField()
    cover = models.ImageField(upload_to="catalogue/covers/", max_length=255, null=True, blank=True)
    description = models.TextField(blank=True, default="", db_default="")
    credits = models.TextField(blank=True, default="", db_default="")
    genres = models.ManyToManyField("accounts.Genre", blank=True, through="ReleaseGenre")
    # With `name_your_price` this is the minimum a fan pays (0 makes it free to download).
    price = models.DecimalField(max_digits=10, decimal_places=2)
    name_your_price = models.BooleanField(default=False, db_default=False)
    # Members of `community` may download the release without buying it.
    included_for_members = models.BooleanField(default=False, db_default=False)
    community = models.ForeignKey(
        "communities.Community",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="releases",
        db_index=False,
    )
    # With it each track is sold on its own too, at `track_price` (its own product).
    tracks_sold_separately = models.BooleanField(default=False, db_default=False)
    track_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # The shop product that sells it, made when the release is first published.
    product = models.OneToOneField(
        "shop.Product",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="release",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()
    # Not a column: the tracks by position, set only where pages and downloads need them
    # (catalogue.selectors prefetches them; a download sets the ones it zips).
    tracks_in_order: list["Track"]

    class Meta:
        db_table = "releases"
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="releases_price_not_negative"),
            models.CheckConstraint(
                condition=Q(included_for_members=False) | Q(community__isnull=False),
                name="releases_members_need_community",
            ),
            models.CheckConstraint(
                # NULL >= 0 is not false, so a CHECK would let a missing price through.
                condition=Q(tracks_sold_separately=False)
                | Q(track_price__isnull=False, track_price__gte=0),
                name="releases_tracks_sold_need_price",
            ),
        ]
        indexes = [
            models.Index(fields=["artist", "-release_date"], name="idx_releases_artist_date"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalogue:release", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_preorder(self) -> bool:
        return self.release_date > timezone.localdate()


class ReleaseGenre(models.Model):
    id = models.BigAutoField(primary_key=True)
    release = models.ForeignKey(Release, on_delete=models.DB_CASCADE, db_index=False)
    genre = models.ForeignKey("accounts.Genre", on_delete=models.DB_CASCADE, related_name="+")

    class Meta:
        db_table = "release_genres"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "genre"], name="release_genres_release_id_genre_id_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.genre_id} on {self.release_id}"


class TrackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Every move a track's processing may make; status_change() enforces it. A new upload
# queues the track again from any state but `processing`.
TRACK_TRANSITIONS = {
    TrackStatus.QUEUED: (TrackStatus.PROCESSING, TrackStatus.FAILED),
    TrackStatus.PROCESSING: (TrackStatus.READY, TrackStatus.FAILED),
    TrackStatus.READY: (TrackStatus.QUEUED,),
    TrackStatus.FAILED: (TrackStatus.QUEUED,),
}


class Track(models.Model):
    id = uuid_primary_key("track_id")
    release = models.ForeignKey(
        Release, on_delete=models.DB_CASCADE, related_name="tracks", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=255)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    lyrics = models.TextField(blank=True, default="", db_default="")
    # Non-buyers hear the whole track when set, a short preview otherwise.
    streams_in_full = models.BooleanField(default=False, db_default=False)
    # The artist's upload as sent (a download format too), and what processing made of it.
    original = models.FileField(storage=private_storage, upload_to="catalogue/originals/")
    original_format = models.CharField(max_length=10, blank=True, default="", db_default="")
    stream_mp3 = models.FileField(
        storage=private_storage, upload_to="catalogue/streams/", blank=True, default=""
    )
    preview_mp3 = models.FileField(
        storage=private_storage, upload_to="catalogue/previews/", blank=True, default=""
    )
    download_mp3 = models.FileField(
        storage=private_storage, upload_to="catalogue/mp3/", blank=True, default=""
    )
    download_flac = models.FileField(
        storage=private_storage, upload_to="catalogue/flac/", blank=True, default=""
    )
    status = models.CharField(
        max_length=20,
        choices=TrackStatus.choices,
        default=TrackStatus.QUEUED,
        db_default=TrackStatus.QUEUED,
    )
    failure_reason = models.TextField(blank=True, default="", db_default="")
    # The shop product that sells the track alone, while its release's
    # `tracks_sold_separately` is set (made on publishing; deactivated when unset).
    product = models.OneToOneField(
        "shop.Product",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="track",
    )
    # Plays counted in Redis and added here by a periodic flush (catalogue.plays).
    play_count = models.BigIntegerField(default=0, db_default=0, editable=False)
    created_at = created_at()
    updated_at = updated_at()
    # Not a column: whether the viewer of a release page hears it in full, set by
    # catalogue.selectors.ReleasePage for the tracks it plays.
    heard_in_full: bool

    class Meta:
        db_table = "tracks"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "position"], name="tracks_release_id_position_key"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def duration_display(self) -> str:
        if self.duration_seconds is None:
            return ""
        return f"{self.duration_seconds // 60}:{self.duration_seconds % 60:02d}"


class CollectionSettings(models.Model):
    """Whether a fan's collection page is public; without a row it is private."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        primary_key=True,
        db_column="user_id",
        related_name="collection_settings",
    )
    is_public = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "collection_settings"

    def __str__(self) -> str:
        return f"Collection of {self.user_id}"


class WishlistItem(models.Model):
    id = uuid_primary_key("wishlist_item_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    release = models.ForeignKey(
        Release, on_delete=models.DB_CASCADE, related_name="wishlisted", db_index=False
    )
    created_at = created_at()

    class Meta:
        db_table = "wishlist_items"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "release"], name="wishlist_items_user_id_release_id_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release_id} wished by {self.user_id}"
