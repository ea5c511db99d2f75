"""Writes for artists: profiles, verification requests and decisions, payout methods."""

import uuid
from collections.abc import Iterable

from django.core.files.base import File
from django.core.files.storage import default_storage, storages
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from artists import crypto
from artists.models import (
    Artist,
    ArtistPayoutMethod,
    ArtistVerification,
    ArtistVerificationStatus,
    VerificationStatus,
)
from artists.signals import artist_removed, artists_featured
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import status_change
from musicplatform.locking import rows_locked_in_order
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType
from notifications.services import notifications_create

# artists.verification_status: a new artist is "pending" until staff decide; a rejected
# artist goes back to "pending" by submitting a new request.
ARTIST_TRANSITIONS = {
    VerificationStatus.PENDING: {VerificationStatus.VERIFIED, VerificationStatus.REJECTED},
    VerificationStatus.REJECTED: {VerificationStatus.PENDING},
    VerificationStatus.VERIFIED: set(),
}
# artist_verification.status: each request is decided once.
REQUEST_TRANSITIONS = {
    ArtistVerificationStatus.PENDING: {
        ArtistVerificationStatus.APPROVED,
        ArtistVerificationStatus.REJECTED,
    },
    ArtistVerificationStatus.APPROVED: set(),
    ArtistVerificationStatus.REJECTED: set(),
}
ARTIST_ENTITY = "artist"
REQUEST_ENTITY = "artist_verification"
# The notification is also emailed (verification decisions are emailed by default).
NOTIFICATION_TYPE = NotificationType.VERIFICATION


class ArtistError(Exception):
    """A request the artist's current state does not allow; the message is for the user."""


def _store_picture(*, artist_id: uuid.UUID, kind: str, content: File) -> str:
    name = default_storage.save(f"artists/{artist_id}/{kind}-{content.name}", content)
    return default_storage.url(name)


def _set_pictures(
    artist: Artist, *, profile_picture: File | None, cover_photo: File | None
) -> list[str]:
    """Store the pictures given (None keeps the current one); returns the fields changed."""
    changed = []
    for field, kind, upload in (
        ("profile_picture_url", "picture", profile_picture),
        ("cover_photo_url", "cover", cover_photo),
    ):
        if upload is not None:
            setattr(artist, field, _store_picture(artist_id=artist.id, kind=kind, content=upload))
            changed.append(field)
    return changed


def artist_create(
    *,
    user: User,
    artist_name: str,
    bio: str = "",
    profile_picture: File | None = None,
    cover_photo: File | None = None,
) -> Artist:
    """The user's artist profile; the user becomes an artist. One profile per user."""
    validate_single_line(artist_name)
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        if Artist.objects.filter(user=locked_user).exists():
            raise ArtistError("You already have an artist profile.")
        artist = Artist(user=locked_user, artist_name=artist_name, bio=bio or None)
        _set_pictures(artist, profile_picture=profile_picture, cover_photo=cover_photo)
        artist.save()
        if not locked_user.is_artist:
            locked_user.is_artist = True
            locked_user.save(update_fields=["is_artist"])
    user.is_artist = True
    return artist


def artist_update(
    *,
    artist: Artist,
    artist_name: str,
    bio: str = "",
    profile_picture: File | None = None,
    cover_photo: File | None = None,
) -> Artist:
    """New name and bio; pictures are replaced only when new ones are given."""
    validate_single_line(artist_name)
    with transaction.atomic():
        locked = Artist.objects.select_for_update().get(pk=artist.pk)
        locked.artist_name = artist_name
        locked.bio = bio or None
        pictures = _set_pictures(locked, profile_picture=profile_picture, cover_photo=cover_photo)
        locked.save(update_fields=["artist_name", "bio", *pictures])
    return locked


def artists_feature(*, artist_ids: Iterable[uuid.UUID], featured: bool) -> int:
    """Staff feature artists (or stop); how many. Every surface that shows featured
    artists (home, explore: `content.selectors.featured_section`) shows it at once."""
    artist_ids = list(artist_ids)
    updated = Artist.objects.filter(pk__in=artist_ids).update(featured=featured)
    artists_featured.send(sender=Artist, artist_ids=artist_ids)
    return updated


def artist_verification_submit(
    *,
    artist: Artist,
    documents: list[tuple[File, str]],
    third_party_platform: str | None,
    third_party_id: str | None,
    by: User,
) -> ArtistVerification:
    """A new verification request with its documents kept in private storage.

    `documents` are (file, extension) pairs already checked by `uploads.document_checked`.
    """
    if not documents:
        raise ArtistError("Add at least one document.")
    with transaction.atomic():
        locked = Artist.objects.select_for_update().get(pk=artist.pk)
        if locked.verification_status == VerificationStatus.VERIFIED:
            raise ArtistError("This artist is already verified.")
        if locked.verifications.filter(status=ArtistVerificationStatus.PENDING).exists():
            raise ArtistError("A verification request is already waiting for staff.")
        verification = ArtistVerification(artist=locked)
        private = storages["private"]
        verification.verification_document_urls = [
            private.save(
                f"artist-verification/{locked.id}/{verification.id}/{uuid.uuid4().hex}.{ext}",
                upload,
            )
            for upload, ext in documents
        ]
        verification.save()
        locked.third_party_platform = third_party_platform or None
        locked.third_party_id = third_party_id or None
        locked.save(update_fields=["third_party_platform", "third_party_id"])
        status_change(
            instance=locked,
            field="verification_status",
            new_status=VerificationStatus.PENDING,
            by=by,
            transitions=ARTIST_TRANSITIONS,
            entity_type=ARTIST_ENTITY,
        )
    return verification


def artist_verification_decide(
    *, verification: ArtistVerification, approve: bool, notes: str = "", by: User
) -> tuple[ArtistVerification, bool]:
    """Staff approve or reject a pending request; returns it and whether this call decided.

    Deciding an already decided request the same way again changes nothing.
    """
    request_status = (
        ArtistVerificationStatus.APPROVED if approve else ArtistVerificationStatus.REJECTED
    )
    artist_status = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    with transaction.atomic():
        # Artist before request: the same order as a submission takes its locks.
        artist = Artist.objects.select_for_update().get(pk=verification.artist_id)
        decided, changed = status_change(
            instance=verification,
            new_status=request_status,
            by=by,
            transitions=REQUEST_TRANSITIONS,
            entity_type=REQUEST_ENTITY,
        )
        if not changed:
            return decided, False
        decided.verified_by = by
        decided.verification_date = timezone.now()
        decided.admin_notes = notes or decided.admin_notes
        decided.save(update_fields=["verified_by", "verification_date", "admin_notes"])
        status_change(
            instance=artist,
            field="verification_status",
            new_status=artist_status,
            by=by,
            transitions=ARTIST_TRANSITIONS,
            entity_type=ARTIST_ENTITY,
        )
        if artist.user_id is not None:
            title, message = verification_decision_text(verification=decided, artist=artist)
            notifications_create(
                recipient_ids=[artist.user_id],
                notification_type=NOTIFICATION_TYPE,
                title=title,
                message=message,
                resource_type=REQUEST_ENTITY,
                resource_id=decided.pk,
            )
    return decided, True


def verification_decision_text(*, verification: ArtistVerification, artist: Artist):
    """The title and message that tell an artist about a decision (in-app and by email)."""
    if verification.status == ArtistVerificationStatus.APPROVED:
        title = f"{artist.artist_name} is now verified"
        message = "Staff approved your verification request: your page shows the verified badge."
    else:
        title = f"Verification of {artist.artist_name} was not approved"
        message = "Staff could not verify you from these documents. You can submit new ones."
    if verification.admin_notes:
        message = f"{message}\n\nNote from staff: {verification.admin_notes}"
    return title, message


ARTIST_ON_PLATFORM = "on_platform"
ARTIST_REMOVED = "removed"


def artist_remove(*, artist: Artist, by: User | None, reason: str) -> bool:
    """Take an artist off the platform: their account was deleted, or staff suspended them.

    The page answers 410 and nothing of theirs is listed or featured; their products stop
    selling (orders waiting for payment that hold one are cancelled); each membership of their communities ends now, its member notified and
    refunded for the unused part of the period (a task each, after commit), and the
    renewal job never charges one again (each by the app that owns it, told through
    `artists.signals.artist_removed`). Returns whether this call removed the artist: a
    removed one is left as it is, so a second call (a double click, both paths at once)
    changes nothing.
    """
    with transaction.atomic():
        locked = Artist.objects.select_for_update().get(pk=artist.pk)
        if locked.removed_at is not None:
            return False
        locked.removed_at = timezone.now()
        locked.removal_reason = reason
        locked.featured = False
        locked.save(update_fields=["removed_at", "removal_reason", "featured"])
        StatusHistory.objects.create(
            entity_type=ARTIST_ENTITY,
            entity_id=locked.pk,
            old_status=ARTIST_ON_PLATFORM,
            new_status=ARTIST_REMOVED,
            changed_by=by,
        )
        # Saving the artist already dropped the featured section (content.receivers).
        artist_removed.send(sender=Artist, artist=locked, by=by)
    artist.removed_at, artist.removal_reason = locked.removed_at, reason
    return True


def payout_method_add(*, artist: Artist, method_type: str, details: dict) -> ArtistPayoutMethod:
    """A payout method with its details encrypted; an artist's first method is the default."""
    with transaction.atomic():
        locked = Artist.objects.select_for_update().get(pk=artist.pk)
        return ArtistPayoutMethod.objects.create(
            artist=locked,
            method_type=method_type,
            account_details=crypto.encrypt_details(details),
            is_default=not locked.payout_methods.exists(),
        )


def payout_method_set_default(*, payout_method: ArtistPayoutMethod) -> None:
    with transaction.atomic():
        Artist.objects.select_for_update().get(pk=payout_method.artist_id)
        # The old default first: the database allows one default at any moment.
        ArtistPayoutMethod.objects.filter(
            artist_id=payout_method.artist_id, is_default=True
        ).exclude(pk=payout_method.pk).update(is_default=False)
        ArtistPayoutMethod.objects.filter(pk=payout_method.pk).update(is_default=True)


def payout_method_delete(*, payout_method: ArtistPayoutMethod) -> None:
    """Removes the method; when it was the default, the newest remaining one takes over."""
    with transaction.atomic():
        Artist.objects.select_for_update().get(pk=payout_method.artist_id)
        method = ArtistPayoutMethod.objects.filter(pk=payout_method.pk).first()
        if method is None:
            return
        method.delete()
        if not method.is_default:
            return
        successor = (
            ArtistPayoutMethod.objects.filter(artist_id=method.artist_id)
            .order_by("-created_at", "pk")
            .first()
        )
        if successor is not None:
            ArtistPayoutMethod.objects.filter(pk=successor.pk).update(is_default=True)


def payout_methods_rotate(*, batch_size: int = 500) -> int:
    """Re-encrypts every payout method with the newest key; returns how many rows it did.

    Run after putting a new key first in PAYOUT_ENCRYPTION_KEY and before removing the old.
    """
    done = 0
    pks = list(ArtistPayoutMethod.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            rows = rows_locked_in_order(ArtistPayoutMethod.objects).filter(
                pk__in=pks[start : start + batch_size]
            )
            for row in rows:
                row.account_details = crypto.reencrypt(row.account_details)
                row.save(update_fields=["account_details"])
                done += 1
    return done
