"""Reads for the site-wide pages (home); each runs a fixed number of queries."""

from artists.models import Artist
from communities.selectors import communities_by_members
from content.models import Post
from musicplatform.cache import cached
from shop.models import Product

HOME_LIST_SIZE = 6
HOME_CACHE_KEY = "home:page"
# The home page is the same for everyone and ranks communities by counting members,
# which grows with the data: computed at most once a minute.
HOME_CACHE_SECONDS = 60


def home_page() -> dict:
    return cached(HOME_CACHE_KEY, _home_page, timeout=HOME_CACHE_SECONDS)


def _home_page() -> dict:
    return {
        "featured_artists": list(
            Artist.objects.on_platform()
            .filter(featured=True)
            .order_by("artist_name")[:HOME_LIST_SIZE]
        ),
        "latest_posts": list(
            Post.objects.filter(deleted_at__isnull=True, artist__removed_at__isnull=True)
            .select_related("artist")
            .order_by("-created_at")[:HOME_LIST_SIZE]
        ),
        "communities": list(communities_by_members()[:HOME_LIST_SIZE]),
        "products": list(
            Product.objects.filter(is_active=True)
            .select_related("artist")
            .order_by("-created_at")[:HOME_LIST_SIZE]
        ),
    }
