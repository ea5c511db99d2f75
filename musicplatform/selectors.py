"""Reads for the site-wide pages (home); each runs a fixed number of queries."""

from communities.selectors import communities_by_members
from content.selectors import HOME_CACHE_KEY, featured_section, readable_posts
from musicplatform.cache import cached
from shop.models import Product

HOME_LIST_SIZE = 6
# The home page is the same for everyone and ranks communities by counting members,
# which grows with the data: computed at most once a minute.
HOME_CACHE_SECONDS = 60


def home_page() -> dict:
    # What is featured comes from explore's own selector and cache, which are invalidated
    # the moment a placement is paid or staff feature something: never a minute late here.
    featured = featured_section()
    return {
        **cached(HOME_CACHE_KEY, _home_page, timeout=HOME_CACHE_SECONDS),
        "featured_artists": featured["artists"][:HOME_LIST_SIZE],
        "featured_products": featured["products"][:HOME_LIST_SIZE],
    }


def _home_page() -> dict:
    return {
        "latest_posts": list(
            # The same page for everyone, signed out included: public posts only.
            readable_posts(None)
            .filter(artist__removed_at__isnull=True)
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
