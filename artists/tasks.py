from celery import shared_task
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string

from artists.models import ArtistVerification, ArtistVerificationStatus

# Long enough to outlive any retry of the task; the key only guards against a second send.
SENT_MARKER_SECONDS = 60 * 60 * 24 * 30


@shared_task
def send_verification_decision_email(*, verification_id: str) -> bool:
    """Emails the artist the staff decision on a verification request, once per decision."""
    from artists.services import verification_decision_text

    verification = (
        ArtistVerification.objects.select_related("artist__user").filter(pk=verification_id).first()
    )
    if verification is None or verification.status == ArtistVerificationStatus.PENDING:
        return False
    user = verification.artist.user
    if user is None or not user.email or not user.is_active:
        return False
    # cache.add is atomic in Redis: of two concurrent runs, only one sends.
    marker = f"artists:verification-email:{verification.pk}:{verification.status}"
    if not cache.add(marker, 1, SENT_MARKER_SECONDS):
        return False
    title, message = verification_decision_text(
        verification=verification, artist=verification.artist
    )
    body = render_to_string(
        "artists/email/verification_decision.txt",
        {"user": user, "artist": verification.artist, "message": message},
    )
    try:
        send_mail(subject=title, message=body, from_email=None, recipient_list=[user.email])
    except Exception:
        # Not sent: a retry must be able to send it.
        cache.delete(marker)
        raise
    return True
