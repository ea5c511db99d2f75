"""The web glue's cached pages forget what the domains below tell them changed."""

from django.dispatch import receiver

from artists.signals import artist_removed
from content.selectors import HOME_CACHE_KEY
from musicplatform.cache import invalidate_on_commit


@receiver(artist_removed)
def home_page_forget(**_) -> None:
    invalidate_on_commit(HOME_CACHE_KEY)
