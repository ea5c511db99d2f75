"""Reads for the site-wide pages (home); each runs a fixed number of queries."""

import time
from functools import cached_property

from accounts.selectors import FollowStates, follow_states
from artists.models import Artist
from communities.models import Community
from communities.selectors import communities_by_members
from content.models import Post
from content.selectors import FEATURED_SECTION, HOME_CACHE_KEY, readable_posts
from musicplatform.cache import CachedValue, cached_many
from shop.models import Product

HOME_LIST_SIZE = 6
# The home page is the same for everyone and ranks communities by counting members,
# which grows with the data: computed at most once a minute.
HOME_CACHE_SECONDS = 60


class HomePage:
    """The home page, read only as far as the template asks.

    Its HTML is a shared fragment (`{% fragment %}`): the same for every viewer whose
    Follow buttons read the same, until its lists or the featured section are computed
    again (`vary`). Rendering it was most of the page's time; a viewer served from the
    fragment costs the two cached reads below and the Follow buttons' query.
    """

    def __init__(self, *, viewer):
        self.viewer = viewer
        # What is featured comes from explore's own cache, which is invalidated the moment
        # a placement is paid or staff feature something: never a minute late here. Both
        # in one round trip to Redis.
        self._lists, self._featured = cached_many(
            CachedValue(HOME_CACHE_KEY, _home_lists, HOME_CACHE_SECONDS), FEATURED_SECTION
        )

    @cached_property
    def vary(self) -> tuple:
        return (self._lists["computed_at"], self._featured["computed_at"], self.follows.vary)

    @cached_property
    def follows(self) -> FollowStates:
        """The Follow buttons of the featured artists."""
        return follow_states(
            viewer=self.viewer, artist_ids=[artist.pk for artist in self.featured_artists]
        )

    @property
    def featured_artists(self) -> list[Artist]:
        return self._featured["artists"][:HOME_LIST_SIZE]

    @property
    def featured_products(self) -> list[Product]:
        return self._featured["products"][:HOME_LIST_SIZE]

    @property
    def latest_posts(self) -> list[Post]:
        return self._lists["latest_posts"]

    @property
    def communities(self) -> list[Community]:
        return self._lists["communities"]

    @property
    def products(self) -> list[Product]:
        return self._lists["products"]


def _home_lists() -> dict:
    return {
        # When these lists were read: the shared fragment of the page is rendered afresh
        # once they are read again (after a minute, or when a service invalidates them).
        "computed_at": time.time_ns(),
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
