"""What other apps' events do to artist profiles."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.signals import account_deleted
from artists.models import Artist
from artists.selectors import ARTIST_ROWS_VERSION_KEY
from artists.services import artist_remove
from musicplatform.cache import invalidate_on_commit


@receiver(account_deleted)
def artist_profiles_of_deleted_account_remove(*, user, **_) -> None:
    for artist in Artist.objects.filter(user=user, removed_at__isnull=True).order_by("pk"):
        artist_remove(artist=artist, by=user, reason="The artist's account was deleted.")


@receiver(post_save, sender=Artist)
@receiver(post_delete, sender=Artist)
def artist_rows_version_forget(**_) -> None:
    """Any save or delete of an artist (services, admin) forgets the version of artists'
    rows once committed: what was kept under it is no longer used. The one bulk UPDATE of
    artists (`artists_feature`) writes `featured`, which no kept row holds."""
    invalidate_on_commit(ARTIST_ROWS_VERSION_KEY)
