"""Staff work the verification queue and feature artists in the Django admin."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.models import Artist, ArtistVerification
from artists.tests.factories import ArtistFactory, ArtistVerificationFactory
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:artists_artistverification_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, staff=True))
    return client


def change_url(verification) -> str:
    return reverse("admin:artists_artistverification_change", args=(verification.pk,))


def test_the_queue_opens_on_pending_requests_oldest_first(admin_client):
    second = ArtistVerificationFactory(submission_date=timezone.now())
    first = ArtistVerificationFactory(submission_date=timezone.now() - timedelta(days=2))
    ArtistVerificationFactory(approved=True, artist=ArtistFactory(artist_name="Done Deal"))

    queue = admin_client.get(CHANGELIST)
    decided = admin_client.get(CHANGELIST, {"queue": "decided"})

    assert list(queue.context["cl"].result_list) == [first, second]
    assert [v.artist.artist_name for v in decided.context["cl"].result_list] == ["Done Deal"]


def test_staff_approve_with_a_note_from_the_request_page(
    admin_client, django_capture_on_commit_callbacks
):
    verification = ArtistVerificationFactory()
    page = admin_client.get(change_url(verification))
    assert "Document 1" in page.text
    assert 'name="decision"' in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            change_url(verification),
            {"decision": "approve", "admin_notes": "Matches the label's roster."},
        )

    assert response.status_code == 302
    verification.refresh_from_db()
    staff = response.wsgi_request.user
    assert (verification.status, verification.verified_by, verification.admin_notes) == (
        "approved",
        staff,
        "Matches the label's roster.",
    )
    assert verification.verification_date is not None
    assert verification.artist.verification_status == "verified"
    assert StatusHistory.objects.filter(changed_by=staff).count() == 2
    notification = Notification.objects.get(user=verification.artist.user)
    assert "Matches the label's roster." in notification.message
    assert len(mail.outbox) == 1
    assert 'name="decision"' not in admin_client.get(change_url(verification)).text


def test_notes_alone_keep_the_request_pending(admin_client):
    verification = ArtistVerificationFactory()

    admin_client.post(change_url(verification), {"decision": "", "admin_notes": "Asked for ID."})

    verification.refresh_from_db()
    assert (verification.status, verification.admin_notes) == ("pending", "Asked for ID.")
    assert not StatusHistory.objects.exists()


def test_staff_reject_several_requests_at_once(admin_client, django_capture_on_commit_callbacks):
    requests = [ArtistVerificationFactory() for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "reject", "_selected_action": [str(r.pk) for r in requests]},
            follow=True,
        )

    assert "2 request(s) rejected." in response.text
    assert set(ArtistVerification.objects.values_list("status", flat=True)) == {"rejected"}
    assert set(Artist.objects.values_list("verification_status", flat=True)) == {"rejected"}
    assert len(mail.outbox) == 2


def test_a_decided_request_is_not_decided_again_by_an_action(admin_client):
    verification = ArtistVerificationFactory(approved=True)

    response = admin_client.post(
        f"{CHANGELIST}?queue=all",
        {"action": "reject", "_selected_action": [str(verification.pk)]},
        follow=True,
    )

    assert "already decided" in response.text
    verification.refresh_from_db()
    assert verification.status == "approved"


def test_non_staff_cannot_open_the_queue(client):
    client.force_login(ArtistFactory().user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_feature_artists_and_the_home_page_shows_them(admin_client):
    artist = ArtistFactory(artist_name="Spotlight Act")

    admin_client.post(
        reverse("admin:artists_artist_changelist"),
        {"action": "feature", "_selected_action": [str(artist.pk)]},
    )

    artist.refresh_from_db()
    assert artist.featured
    assert "Spotlight Act" in admin_client.get(reverse("home")).text


def test_the_verification_status_cannot_be_typed_in_the_artist_form(admin_client):
    artist = ArtistFactory()

    page = admin_client.get(reverse("admin:artists_artist_change", args=(artist.pk,)))

    assert 'name="verification_status"' not in page.text
