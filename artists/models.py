from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.text import slugify

from musicplatform.db import created_at, updated_at, uuid_primary_key


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class ThirdPartyPlatform(models.TextChoices):
    SOUNDCHART = "soundchart", "Soundcharts"
    CHARTMETRIC = "chartmetric", "Chartmetric"
    VIBERATE = "viberate", "Viberate"
    MANUAL = "manual", "Manual review"


class ArtistQuerySet(models.QuerySet["Artist"]):
    def on_platform(self) -> "ArtistQuerySet":
        """Artists who may be listed: not removed or suspended (artists.services.artist_remove)."""
        return self.filter(removed_at__isnull=True)


class Artist(models.Model):
    id = uuid_primary_key("artist_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="artist_profiles",
    )
    artist_name = models.CharField(max_length=255)
    bio = models.TextField(null=True, blank=True)
    profile_picture_url = models.TextField(null=True, blank=True)
    cover_photo_url = models.TextField(null=True, blank=True)
    verification_status = models.CharField(
        max_length=50,
        choices=VerificationStatus.choices,
        default=VerificationStatus.PENDING,
        db_default=VerificationStatus.PENDING,
    )
    third_party_platform = models.CharField(
        max_length=50, choices=ThirdPartyPlatform.choices, null=True, blank=True
    )
    third_party_id = models.CharField(max_length=255, null=True, blank=True)
    featured = models.BooleanField(default=False, db_default=False)
    # Set when the artist left the platform (their account was deleted) or staff suspended
    # them: the page answers 410, nothing of theirs is listed, sold or renewed
    # (artists.services.artist_remove).
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.TextField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()

    objects = ArtistQuerySet.as_manager()

    class Meta:
        db_table = "artists"
        indexes = [
            models.Index(fields=["artist_name"], name="idx_artists_name"),
            # Search by name with typos (pg_trgm's word_similarity, `%>`): musicplatform/search.py.
            GinIndex(
                fields=["artist_name"], name="idx_artists_name_trgm", opclasses=["gin_trgm_ops"]
            ),
            # "Is this user an artist, which ones": every feed, post form and dashboard.
            models.Index(fields=["user"], name="idx_artists_user_id"),
        ]

    def __str__(self) -> str:
        return self.artist_name

    def get_absolute_url(self) -> str:
        return reverse("artists:detail", kwargs={"artist_id": self.pk, "slug": self.slug})

    @property
    def slug(self) -> str:
        # Only for readable URLs: the id in front of it is what finds the artist.
        return slugify(self.artist_name) or "artist"

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class ArtistVerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ArtistVerification(models.Model):
    id = uuid_primary_key("verification_id")
    artist = models.ForeignKey(
        Artist, on_delete=models.DB_CASCADE, db_index=False, related_name="verifications"
    )
    verification_document_urls = ArrayField(models.TextField(), null=True, blank=True)
    admin_notes = models.TextField(null=True, blank=True)
    status = models.CharField(
        max_length=50,
        choices=ArtistVerificationStatus.choices,
        default=ArtistVerificationStatus.PENDING,
        db_default=ArtistVerificationStatus.PENDING,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        db_column="verified_by",
    )
    submission_date = created_at()
    verification_date = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "artist_verification"

    def __str__(self) -> str:
        return f"Verification of {self.artist_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("artists:verification", args=[self.artist_id])


class PayoutMethodType(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    PAYPAL = "paypal", "PayPal"


class ArtistPayoutMethod(models.Model):
    """Where an artist is paid. `account_details` holds only ciphertext (see docs/schema.md)."""

    id = uuid_primary_key("payout_id")
    artist = models.ForeignKey(
        Artist, on_delete=models.DB_CASCADE, db_index=False, related_name="payout_methods"
    )
    method_type = models.CharField(max_length=50, choices=PayoutMethodType.choices)
    account_details = models.JSONField()
    is_default = models.BooleanField(default=False, db_default=False)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "artist_payout_methods"
        constraints = [
            # One default payout method per artist, whatever path writes the rows.
            models.UniqueConstraint(
                fields=["artist"],
                condition=Q(is_default=True),
                name="artist_payout_methods_one_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_type_display()} for {self.artist_id}"
