"""What other apps' events do to artist profiles."""

from django.dispatch import receiver

from accounts.signals import account_deleted
from artists.models import Artist
from artists.services import artist_remove


@receiver(account_deleted)
def artist_profiles_of_deleted_account_remove(*, user, **_) -> None:
    for artist in Artist.objects.filter(user=user, removed_at__isnull=True).order_by("pk"):
        artist_remove(artist=artist, by=user, reason="The artist's account was deleted.")
