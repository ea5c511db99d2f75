"""Profiles, verification requests and staff decisions, through the services."""

import pytest
from django.core import mail
from django.core.files.storage import storages

from accounts.tests.factories import UserFactory
from artists import services, uploads
from artists.models import ArtistVerificationStatus, VerificationStatus
from artists.tests.factories import (
    ArtistFactory,
    ArtistVerificationFactory,
    image_upload,
    pdf_upload,
)
from content.selectors import featured_section
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import StatusTransitionError
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _documents(count=1):
    return [uploads.document_checked(pdf_upload(f"doc{i}.pdf")) for i in range(count)]


def test_becoming_an_artist_links_the_profile_and_marks_the_user():
    user = UserFactory()
    picture = uploads.picture_resized(image_upload(), size=(400, 400), use="avatar")

    artist = services.artist_create(
        user=user, artist_name="Nova Lights", bio="Synth duo.", profile_picture=picture
    )

    user.refresh_from_db()
    assert user.is_artist
    assert artist.user == user
    assert artist.verification_status == VerificationStatus.PENDING
    assert artist.profile_picture_url.startswith("/media/artists/")
    assert artist.cover_photo_url is None


def test_a_user_has_one_artist_profile():
    artist = ArtistFactory()

    with pytest.raises(services.ArtistError, match="already have"):
        services.artist_create(user=artist.user, artist_name="Second Act")


def test_editing_keeps_pictures_that_are_not_replaced(artist):
    artist.profile_picture_url = "/media/old.jpg"
    artist.save()
    cover = uploads.picture_resized(image_upload(), size=(1500, 500), use="cover")

    updated = services.artist_update(
        artist=artist, artist_name="Renamed", bio="", cover_photo=cover
    )

    assert updated.artist_name == "Renamed"
    assert updated.bio is None
    assert updated.profile_picture_url == "/media/old.jpg"
    assert "/cover-" in updated.cover_photo_url


def test_a_request_keeps_its_documents_in_private_storage(artist):
    verification = services.artist_verification_submit(
        artist=artist,
        documents=_documents(2),
        third_party_platform="chartmetric",
        third_party_id="cm-42",
        by=artist.user,
    )

    assert len(verification.verification_document_urls) == 2
    for name in verification.verification_document_urls:
        assert storages["private"].exists(name)
        assert storages["private"].open(name).read().startswith(b"%PDF-")
    artist.refresh_from_db()
    assert (artist.third_party_platform, artist.third_party_id) == ("chartmetric", "cm-42")


def test_a_second_request_waits_for_the_first(artist):
    services.artist_verification_submit(
        artist=artist,
        documents=_documents(),
        third_party_platform=None,
        third_party_id=None,
        by=artist.user,
    )

    with pytest.raises(services.ArtistError, match="already waiting"):
        services.artist_verification_submit(
            artist=artist,
            documents=_documents(),
            third_party_platform=None,
            third_party_id=None,
            by=artist.user,
        )


def test_approval_verifies_the_artist_records_history_and_notifies(
    artist, staff_user, django_capture_on_commit_callbacks
):
    verification = ArtistVerificationFactory(artist=artist)

    with django_capture_on_commit_callbacks(execute=True):
        decided, changed = services.artist_verification_decide(
            verification=verification, approve=True, notes="Label contract checked.", by=staff_user
        )

    assert changed
    assert decided.status == ArtistVerificationStatus.APPROVED
    assert decided.verified_by == staff_user
    assert decided.verification_date is not None
    assert decided.admin_notes == "Label contract checked."
    artist.refresh_from_db()
    assert artist.verification_status == VerificationStatus.VERIFIED
    history = {
        (row.entity_type, row.old_status, row.new_status, row.changed_by_id)
        for row in StatusHistory.objects.all()
    }
    assert history == {
        ("artist_verification", "pending", "approved", staff_user.pk),
        ("artist", "pending", "verified", staff_user.pk),
    }
    notification = Notification.objects.get(user=artist.user)
    assert "now verified" in notification.title
    assert "Label contract checked." in notification.message
    assert [message.to for message in mail.outbox] == [[artist.user.email]]
    assert "now verified" in mail.outbox[0].subject


def test_deciding_twice_changes_nothing_the_second_time(
    artist, staff_user, django_capture_on_commit_callbacks
):
    verification = ArtistVerificationFactory(artist=artist)
    with django_capture_on_commit_callbacks(execute=True):
        services.artist_verification_decide(verification=verification, approve=False, by=staff_user)
        _decided, changed = services.artist_verification_decide(
            verification=verification, approve=False, by=staff_user
        )

    assert not changed
    assert Notification.objects.filter(user=artist.user).count() == 1
    assert len(mail.outbox) == 1
    with pytest.raises(StatusTransitionError):
        services.artist_verification_decide(verification=verification, approve=True, by=staff_user)


def test_a_rejected_artist_can_submit_again(artist, staff_user):
    first = ArtistVerificationFactory(artist=artist)
    services.artist_verification_decide(verification=first, approve=False, by=staff_user)
    artist.refresh_from_db()
    assert artist.verification_status == VerificationStatus.REJECTED

    second = services.artist_verification_submit(
        artist=artist,
        documents=_documents(),
        third_party_platform="manual",
        third_party_id=None,
        by=artist.user,
    )

    artist.refresh_from_db()
    assert second.status == ArtistVerificationStatus.PENDING
    assert artist.verification_status == VerificationStatus.PENDING
    assert StatusHistory.objects.filter(
        entity_type="artist", old_status="rejected", new_status="pending", changed_by=artist.user
    ).exists()


def test_a_verified_artist_cannot_submit_again():
    artist = ArtistFactory(verified=True)

    with pytest.raises(services.ArtistError, match="already verified"):
        services.artist_verification_submit(
            artist=artist,
            documents=_documents(),
            third_party_platform=None,
            third_party_id=None,
            by=artist.user,
        )


def test_featuring_artists_drops_the_cached_featured_section(django_capture_on_commit_callbacks):
    artist = ArtistFactory()
    assert artist not in featured_section()["artists"]  # now cached without it

    with django_capture_on_commit_callbacks(execute=True):
        services.artists_feature(artist_ids=[artist.pk], featured=True)

    assert artist in featured_section()["artists"]
