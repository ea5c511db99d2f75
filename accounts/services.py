"""Every write of the accounts domain: tokens, verification, profiles, preferences, deletion."""

import functools
import hashlib
import secrets
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from accounts.middleware import user_cache_key
from accounts.models import (
    DELETED_USERNAME_PREFIX,
    Genre,
    Language,
    LoginFailure,
    User,
    UserPreferences,
    UserVerification,
    VerificationType,
)
from accounts.signals import account_deleted
from artists.models import Artist
from musicplatform.cache import invalidate_on_commit
from musicplatform.images import encode_jpeg, picture_decoded

TOKEN_LIFETIMES = {
    VerificationType.EMAIL: timedelta(days=3),
    VerificationType.PASSWORD_RESET: timedelta(hours=1),
}
PICTURE_SIZES = {"512": 512, "128": 128}
PICTURE_DIR = "profile-pictures"


class VerificationTokenError(Exception):
    """A token that is unknown, expired or already used; `reason` says which."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class SpotifyNotLinked(Exception):
    pass


class SpotifyUnavailable(Exception):
    pass


# --- Verification tokens ---------------------------------------------------------------


def _digest(raw_token: str, *, bound_to: str = "") -> str:
    # A random 256-bit token needs no slow hash; binding the email address into the digest
    # makes a token verify only the address it was sent to.
    return hashlib.sha256(f"{bound_to.lower()}\n{raw_token}".encode()).hexdigest()


def verification_token_issue(
    *, user: User, verification_type: VerificationType, bound_to: str = ""
) -> str:
    """A new single-use token for `user`; any unused one of the same type is retired.

    Returns the raw token (to be mailed); only its digest is stored.
    """
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Locking the user serialises two requests for the same user and type, so the
        # "one unused token" index never turns a double click into an IntegrityError.
        User.objects.select_for_update().filter(pk=user.pk).first()
        UserVerification.objects.filter(
            user=user, verification_type=verification_type, is_used=False
        ).update(is_used=True)
        UserVerification.objects.create(
            user=user,
            verification_type=verification_type,
            verification_token=_digest(raw, bound_to=bound_to),
            expires_at=timezone.now() + TOKEN_LIFETIMES[verification_type],
        )
    return raw


def verification_token_check(
    *, user: User, verification_type: str, raw_token: str, bound_to: str = "", lock: bool = False
) -> UserVerification:
    """The stored token matching `raw_token`, or VerificationTokenError."""
    queryset = UserVerification.objects.filter(
        user=user,
        verification_type=verification_type,
        verification_token=_digest(raw_token, bound_to=bound_to),
    )
    if lock:
        queryset = queryset.select_for_update()
    token = queryset.order_by("-created_at").first()
    if token is None:
        raise VerificationTokenError("invalid")
    if token.is_used:
        raise VerificationTokenError("used")
    if token.expires_at <= timezone.now():
        raise VerificationTokenError("expired")
    return token


def email_verification_send(*, email_address: EmailAddress) -> str:
    """Issue an email token for this address; returns the raw token for the link."""
    return verification_token_issue(
        user=email_address.user,
        verification_type=VerificationType.EMAIL,
        bound_to=email_address.email,
    )


def email_verify(*, email_address_id: int, raw_token: str) -> EmailAddress:
    """Consume an email token and mark its address verified (and primary if none is)."""
    with transaction.atomic():
        email_address = (
            EmailAddress.objects.select_for_update()
            .select_related("user")
            .filter(pk=email_address_id)
            .first()
        )
        if email_address is None or not email_address.user.is_active:
            raise VerificationTokenError("invalid")
        token = verification_token_check(
            user=email_address.user,
            verification_type=VerificationType.EMAIL,
            raw_token=raw_token,
            bound_to=email_address.email,
            lock=True,
        )
        token.is_used = True
        token.save(update_fields=["is_used"])
        if not email_address.set_verified(commit=False):
            # Someone else verified this address meanwhile (unique-email setting).
            raise VerificationTokenError("invalid")
        email_address.set_as_primary(conditional=True)
        email_address.save()
        user_sync_flags(user=email_address.user)
    return email_address


def password_reset_token_issue(*, user: User) -> str:
    return verification_token_issue(user=user, verification_type=VerificationType.PASSWORD_RESET)


def password_reset_token_valid(*, user: User, raw_token: str) -> bool:
    try:
        verification_token_check(
            user=user, verification_type=VerificationType.PASSWORD_RESET, raw_token=raw_token
        )
    except VerificationTokenError:
        return False
    return True


def password_reset(*, user: User, raw_token: str, password: str) -> None:
    """Set a new password, consuming the reset token in the same transaction."""
    with transaction.atomic():
        token = verification_token_check(
            user=user,
            verification_type=VerificationType.PASSWORD_RESET,
            raw_token=raw_token,
            lock=True,
        )
        token.is_used = True
        token.save(update_fields=["is_used"])
        user.set_password(password)
        user.save(update_fields=["password"])


# --- Flags kept in step with allauth's email addresses and social accounts ------------


def user_sync_flags(*, user: User) -> User:
    """Recompute is_verified, google_id, spotify_linked and preferences.spotify_id.

    They are copies of what allauth's tables say; every allauth signal that changes those
    tables calls this, so the copies never drift.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        accounts = {
            a.provider: a.uid
            for a in SocialAccount.objects.filter(user=locked, provider__in=["google", "spotify"])
        }
        is_verified = EmailAddress.objects.filter(
            user=locked, email__iexact=locked.email, verified=True
        ).exists()
        locked.is_verified = is_verified
        locked.google_id = accounts.get("google")
        locked.spotify_linked = "spotify" in accounts
        locked.save(update_fields=["is_verified", "google_id", "spotify_linked"])
        spotify_id = accounts.get("spotify")
        if spotify_id or UserPreferences.objects.filter(user=locked).exists():
            UserPreferences.objects.update_or_create(
                user=locked, defaults={"spotify_id": spotify_id}
            )
    for field in ("is_verified", "google_id", "spotify_linked"):
        setattr(user, field, getattr(locked, field))
    return locked


def email_addresses_verified_by_provider(*, user: User, emails: list[str]) -> None:
    """Mark the user's addresses that a provider (Google) vouches for as verified.

    allauth logs a provider-verified email into the matching account but leaves the local
    address unverified; the provider's word is the same proof our link gives.
    """
    if emails:
        addresses = [e.lower() for e in emails]
        EmailAddress.objects.filter(user=user, email__in=addresses, verified=False).update(
            verified=True
        )
    user_sync_flags(user=user)


# --- Profile -------------------------------------------------------------------------


PROFILE_FIELDS = (
    "full_name",
    "gender",
    "date_of_birth",
    "city",
    "country",
    "mobile_number",
    "bio",
    "time_zone",
)
# Profile columns that are NOT NULL: left empty they hold "" (time_zone: none chosen).
NOT_NULL_PROFILE_FIELDS = {"full_name", "time_zone"}


@functools.cache
def time_zone_names() -> list[str]:
    """The IANA zones a user may choose ("Europe/Berlin"), in name order."""
    return sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")


def user_time_zone_guess(*, user: User, time_zone: str) -> User:
    """The browser's zone, sent on a first visit: kept only while the user has none, so it
    never overrides one they chose."""
    if time_zone not in time_zone_names():
        raise ValidationError("That is not a time zone we know.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.time_zone:
            locked.time_zone = time_zone
            locked.save(update_fields=["time_zone"])
    return locked


def user_update_profile(
    *,
    user: User,
    data: dict[str, Any],
    pictures: dict[str, bytes] | None = None,
    remove_picture: bool = False,
) -> User:
    """Save validated profile fields; `pictures` comes from profile_picture_process()."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            update_fields = [f for f in PROFILE_FIELDS if f in data]
            for field in update_fields:
                # Optional columns hold NULL, not "", when left empty.
                value = data[field]
                if not value and field not in NOT_NULL_PROFILE_FIELDS:
                    value = None
                setattr(locked, field, value)
            if pictures is not None:
                key = f"{PICTURE_DIR}/{locked.pk}/{uuid.uuid4().hex}"
                for size in PICTURE_SIZES:
                    name = default_storage.save(f"{key}-{size}.jpg", ContentFile(pictures[size]))
                    stored.append(name)
                locked.profile_picture_url = default_storage.url(stored[0])
                update_fields.append("profile_picture_url")
            elif remove_picture:
                locked.profile_picture_url = None
                update_fields.append("profile_picture_url")
            locked.save(update_fields=update_fields)
            if pictures is not None or remove_picture:
                transaction.on_commit(lambda: _delete_pictures_except(locked.pk, keep=stored))
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    for field in (*PROFILE_FIELDS, "profile_picture_url"):
        setattr(user, field, getattr(locked, field))
    return locked


def profile_picture_process(*, upload) -> dict[str, bytes]:
    """The upload checked (musicplatform.images) and re-encoded as 512 px and 128 px JPEGs.

    Raises ValidationError with a message for the user; nothing is stored here.
    """
    largest = max(PICTURE_SIZES.values())
    image = picture_decoded(upload, use="avatar", box=(largest, largest), crop=True)
    return {
        name: encode_jpeg(image.resize((side, side), Image.Resampling.LANCZOS))
        for name, side in PICTURE_SIZES.items()
    }


def _delete_pictures_except(user_id, *, keep: list[str]) -> None:
    folder = f"{PICTURE_DIR}/{user_id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        path = f"{folder}/{name}"
        if path not in keep:
            default_storage.delete(path)


# --- Music preferences ------------------------------------------------------------------


def preferences_set(
    *,
    user: User,
    genre_ids: list[uuid.UUID],
    language_ids: list[uuid.UUID],
    artist_ids: list[uuid.UUID],
) -> UserPreferences:
    """Replace the user's preferences; every id must exist (the arrays have no FKs)."""
    genre_ids, language_ids, artist_ids = (
        list(dict.fromkeys(ids)) for ids in (genre_ids, language_ids, artist_ids)
    )
    for model, ids, label in (
        (Genre, genre_ids, "genre"),
        (Language, language_ids, "language"),
        (Artist, artist_ids, "artist"),
    ):
        if model.objects.filter(pk__in=ids).count() != len(ids):
            raise ValueError(f"Unknown {label} selected.")
    with transaction.atomic():
        preferences, _ = UserPreferences.objects.select_for_update().get_or_create(user=user)
        follower_counts_forget({*preferences.favorite_artists} ^ {*artist_ids})
        preferences.genres = genre_ids
        preferences.languages = language_ids
        preferences.favorite_artists = artist_ids
        preferences.save(update_fields=["genres", "languages", "favorite_artists"])
    return preferences


def follower_count_key(artist_id) -> str:
    """Where an artist's follower count is kept (accounts.selectors.follow_states)."""
    return f"followers:{artist_id}"


def follower_counts_forget(artist_ids) -> None:
    """These artists gained or lost a follower: their kept counts are forgotten now, for
    what the same transaction reads next (the htmx answer to a Follow click shows the
    button with its new count), and again once the change is committed, for a count
    another request read and kept meanwhile from the rows before it."""
    keys = [follower_count_key(artist_id) for artist_id in set(artist_ids)]
    if keys:
        cache.delete_many(keys)
        invalidate_on_commit(*keys)


def preferences_skip_onboarding(*, user: User) -> UserPreferences:
    """An empty preferences row marks onboarding as done."""
    preferences, _ = UserPreferences.objects.get_or_create(user=user)
    return preferences


@dataclass(frozen=True)
class SpotifyImport:
    matched: list[str]
    unmatched: list[str]


def spotify_import_top_artists(*, user: User) -> SpotifyImport:
    """Add the user's Spotify top artists that we know (by Spotify id or name) to favourites."""
    token = (
        SocialToken.objects.filter(account__user=user, account__provider="spotify")
        .order_by("-id")
        .first()
    )
    if token is None:
        raise SpotifyNotLinked
    try:
        response = requests.get(
            f"{settings.SPOTIFY_API_URL}/me/top/artists",
            params={"limit": "50", "time_range": "medium_term"},
            headers={"Authorization": f"Bearer {token.token}"},
            timeout=10,
        )
    except requests.RequestException as exc:
        raise SpotifyUnavailable("Spotify did not answer; please try again later.") from exc
    if response.status_code == 401:
        raise SpotifyUnavailable("Spotify access has expired; please reconnect Spotify.")
    if not response.ok:
        raise SpotifyUnavailable("Spotify did not answer; please try again later.")
    items = [i for i in response.json().get("items", []) if i.get("id") and i.get("name")]
    ids = {i["id"] for i in items}
    match = Q(third_party_id__in=ids)
    for item in items:
        match |= Q(artist_name__iexact=item["name"])
    candidates = Artist.objects.filter(match) if items else Artist.objects.none()
    by_id: dict[str, Artist] = {}
    by_name: dict[str, Artist] = {}
    for artist in candidates.only("id", "artist_name", "third_party_id"):
        if artist.third_party_id:
            by_id[artist.third_party_id] = artist
        by_name.setdefault(artist.artist_name.casefold(), artist)
    matched: list[str] = []
    unmatched: list[str] = []
    found_ids: list[uuid.UUID] = []
    for item in items:
        found = by_id.get(item["id"]) or by_name.get(item["name"].casefold())
        if found is None:
            unmatched.append(item["name"])
        else:
            matched.append(found.artist_name)
            found_ids.append(found.pk)
    with transaction.atomic():
        preferences, _ = UserPreferences.objects.select_for_update().get_or_create(user=user)
        merged = list(dict.fromkeys([*preferences.favorite_artists, *found_ids]))
        if merged != preferences.favorite_artists:
            follower_counts_forget({*merged} - {*preferences.favorite_artists})
            preferences.favorite_artists = merged
            preferences.save(update_fields=["favorite_artists"])
    return SpotifyImport(matched=matched, unmatched=unmatched)


# --- Deletion and deactivation --------------------------------------------------------


def user_deactivate(*, user: User) -> None:
    """Staff's switch: refuse logins without touching the data (undone by user_reactivate)."""
    User.objects.filter(pk=user.pk, deleted_at__isnull=True).update(deleted_at=timezone.now())
    # An UPDATE sends no post_save: the signed-in copy in the cache is forgotten here.
    invalidate_on_commit(user_cache_key(user.pk))


def user_reactivate(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(deleted_at=None)
    invalidate_on_commit(user_cache_key(user.pk))


def user_delete_account(*, user: User) -> None:
    """Soft-delete and anonymise; orders, payments, posts and comments stay.

    Everything that could charge the account ends with it: its memberships end now, each
    refunded for its unused part (a task per membership, after commit); its saved cards
    are detached at the gateway and forgotten; its pending orders are cancelled and their
    stock released; its artist profiles leave the platform (`artist_remove`): each by the
    app that owns it, told through `accounts.signals.account_deleted`. The renewal
    job stops seeing the user as soon as this commits (`deleted_at`).

    Sessions end because the password hash (part of every session's auth hash) changes
    and the user is no longer active.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_deleted:
            return
        marker = locked.pk.hex
        locked.username = f"{DELETED_USERNAME_PREFIX}{marker}"
        locked.email = f"deleted-{marker}@deleted.invalid"
        locked.full_name = "Deleted user"
        for field in (
            "gender",
            "date_of_birth",
            "city",
            "country",
            "mobile_number",
            "profile_picture_url",
            "bio",
            "google_id",
        ):
            setattr(locked, field, None)
        locked.password = make_password(None)
        locked.is_verified = False
        locked.spotify_linked = False
        locked.deleted_at = timezone.now()
        locked.save()
        EmailAddress.objects.filter(user=locked).delete()
        SocialAccount.objects.filter(user=locked).delete()
        UserVerification.objects.filter(user=locked).delete()
        UserPreferences.objects.filter(user=locked).delete()
        transaction.on_commit(lambda: _delete_pictures_except(locked.pk, keep=[]))
        account_deleted.send(sender=User, user=locked)


# Spent and expired tokens are kept a week for support questions ("my link did not
# work"), then removed: they prove nothing any more.
TOKEN_RETENTION = timedelta(days=7)


def verification_tokens_purge() -> int:
    cutoff = timezone.now() - TOKEN_RETENTION
    deleted, _ = UserVerification.objects.filter(
        Q(expires_at__lt=cutoff) | Q(is_used=True, created_at__lt=cutoff)
    ).delete()
    return deleted


def login_key(login: str) -> str:
    """What a failed login is counted under: a digest, so no login name is stored."""
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def login_failure_record(*, ip_address: str, login: str, keep: timedelta) -> None:
    """Count one failed sign-in; failures older than `keep` count for nothing and go."""
    now = timezone.now()
    LoginFailure.objects.filter(created_at__lt=now - keep).delete()
    # The time of this attempt, not of the transaction it may be part of.
    LoginFailure.objects.create(ip_address=ip_address, login_key=login_key(login), created_at=now)
