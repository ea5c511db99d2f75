from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin, UserManager
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from musicplatform.db import created_at, updated_at, uuid_primary_key

# A deleted account keeps its row under the name `deleted-<hex>` (no one can sign up
# with it); pages show FORMER_MEMBER instead.
DELETED_USERNAME_PREFIX = "deleted-"
FORMER_MEMBER = "former member"


class User(AbstractBaseUser, PermissionsMixin):
    """A fan, an artist's account or a staff member: the document's `users` table."""

    id = uuid_primary_key("user_id")
    username = models.CharField(max_length=50)
    email = models.EmailField(max_length=255)
    # Accounts created through Google or Spotify have no usable password. (django-stubs types
    # AbstractBaseUser.password as str, not knowing a subclass may redefine the field.)
    password = models.CharField(max_length=255, null=True, db_column="password_hash")  # type: ignore[assignment]
    full_name = models.CharField(max_length=100)
    gender = models.CharField(max_length=20, null=True, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    city = models.CharField(max_length=100, null=True, blank=True)
    country = models.CharField(max_length=100, null=True, blank=True)
    mobile_number = models.CharField(max_length=20, null=True, blank=True)
    profile_picture_url = models.TextField(null=True, blank=True)
    bio = models.TextField(null=True, blank=True)
    is_verified = models.BooleanField(default=False, db_default=False)
    is_artist = models.BooleanField(default=False, db_default=False)
    google_id = models.CharField(max_length=255, null=True, blank=True)
    spotify_linked = models.BooleanField(default=False, db_default=False)
    is_staff = models.BooleanField(default=False, db_default=False)
    # An IANA name ("Europe/Berlin"): times on pages are rendered in it. Empty until the
    # browser's own is sent on a first visit or the user picks one; UTC meanwhile.
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    created_at = created_at()
    updated_at = updated_at()
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email", "full_name"]

    class Meta:
        db_table = "users"
        constraints = [
            models.UniqueConstraint(fields=["username"], name="users_username_key"),
            models.UniqueConstraint(fields=["email"], name="users_email_key"),
            models.UniqueConstraint(fields=["google_id"], name="users_google_id_key"),
        ]
        indexes = [
            models.Index(fields=["email"], name="idx_users_email"),
            models.Index(fields=["username"], name="idx_users_username"),
        ]

    def __str__(self) -> str:
        return self.username

    # Django documents is_active as an attribute a custom user may define as it likes;
    # django-stubs types AbstractBaseUser's default (True) as a writable bool.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        # A deleted account is a soft-deleted row: it can no longer sign in.
        return self.deleted_at is None

    @property
    def is_deleted(self) -> bool:
        """Deleted and anonymised by its owner (a deactivated account keeps its name)."""
        return self.username.startswith(DELETED_USERNAME_PREFIX)

    @property
    def display_name(self) -> str:
        """The name pages show for this user; the admin keeps the technical username."""
        return FORMER_MEMBER if self.is_deleted else self.username

    @property
    def profile_thumbnail_url(self) -> str | None:
        # accounts.services stores each picture as <key>-512.jpg beside <key>-128.jpg.
        url = self.profile_picture_url
        if url and "-512.jpg" in url:
            return url.replace("-512.jpg", "-128.jpg")
        return url

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username


class VerificationType(models.TextChoices):
    EMAIL = "email", "Email address"
    PASSWORD_RESET = "password_reset", "Password reset"


class UserVerification(models.Model):
    """A single-use token (stored hashed) that proves control of an email address."""

    id = uuid_primary_key("verification_id")
    user = models.ForeignKey(
        User, on_delete=models.DB_CASCADE, db_index=False, related_name="verifications"
    )
    verification_token = models.CharField(max_length=255)
    verification_type = models.CharField(max_length=50, choices=VerificationType.choices)
    expires_at = models.DateTimeField()
    created_at = created_at()
    is_used = models.BooleanField(default=False, db_default=False)

    class Meta:
        db_table = "user_verification"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "verification_type"],
                condition=Q(is_used=False),
                name="unique_active_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.verification_type} token for {self.user_id}"


class Genre(models.Model):
    id = uuid_primary_key("genre_id")
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "genres"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="genres_name_key")]

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    id = uuid_primary_key("language_id")
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "languages"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="languages_name_key")]

    def __str__(self) -> str:
        return self.name


class UserPreferences(models.Model):
    """A user's music taste; `favorite_artists` is also whom the user follows.

    The arrays hold ids of genres, languages and artists; PostgreSQL cannot enforce
    foreign keys on array elements, so accounts.services checks them on every write.
    """

    id = uuid_primary_key("preference_id")
    user = models.OneToOneField(User, on_delete=models.DB_CASCADE, related_name="preferences")
    genres = ArrayField(models.UUIDField(), default=list, db_default=[], blank=True)
    languages = ArrayField(models.UUIDField(), default=list, db_default=[], blank=True)
    favorite_artists = ArrayField(models.UUIDField(), default=list, db_default=[], blank=True)
    spotify_id = models.CharField(max_length=255, null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "user_preferences"
        verbose_name_plural = "user preferences"
        indexes = [
            # Who follows an artist (`favorite_artists @> ARRAY[id]`): follower counts on
            # every Follow button.
            GinIndex(fields=["favorite_artists"], name="idx_preferences_followed"),
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class LoginFailure(models.Model):
    """A failed sign-in (allauth's login, the admin's, reauthentication), counted per
    address and per login name by `accounts.ratelimit`.

    Kept in PostgreSQL rather than Redis so that the limit holds while Redis is down.
    Refused attempts are not recorded, so an attack writes at most the limit's rows.
    """

    id = models.BigAutoField(primary_key=True)
    ip_address = models.GenericIPAddressField()
    # SHA-256 of the lowercased login: the attempt is counted without storing the name.
    login_key = models.CharField(max_length=64)
    created_at = created_at()

    class Meta:
        db_table = "login_failures"
        indexes = [
            models.Index(fields=["ip_address", "created_at"], name="login_failures_ip_idx"),
            models.Index(fields=["login_key", "created_at"], name="login_failures_key_idx"),
            models.Index(fields=["created_at"], name="login_failures_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Failed login from {self.ip_address}"


class RateLimitEntry(models.Model):
    """allauth's rate limits other than the login's (sign-up, password reset, email
    confirmation, password and email changes): its counters and their locks, kept by
    Django's database cache (`CACHES["ratelimits"]`, `accounts.ratelimit`).

    In Redis they refused everybody while Redis was down (allauth's lock could never be
    taken); in PostgreSQL they keep limiting. The columns are the ones the database cache
    reads and writes.
    """

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField()

    class Meta:
        db_table = "rate_limits"
        indexes = [models.Index(fields=["expires"], name="rate_limits_expires_idx")]

    def __str__(self) -> str:
        return self.cache_key
