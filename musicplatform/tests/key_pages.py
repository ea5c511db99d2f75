"""The key pages of issue 12 over a data set of a chosen size, for the query-budget and
index tests (test_query_budgets.py, test_query_plans.py).

`key_pages(n)` adds one artist's world holding `n` of everything each page lists (posts,
comments with replies and likes, forum posts, live messages, reviews, products,
notifications, other artists and communities) and returns a signed-in fan of it with the
URL of each page, as bench/load.py names them.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory, UserPreferencesFactory
from artists.tests.factories import ArtistFactory
from communities.models import ForumType, LiveEventStatus, LiveEventType
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from content.tests.factories import CommentFactory, LikeFactory, PostFactory, ReviewFactory
from notifications.tests.factories import NotificationFactory
from shop.tests.factories import FeaturedItemFactory, ProductFactory

HTMX = {"HX-Request": "true"}


@dataclass
class KeyPages:
    client: Client
    urls: dict[str, str]

    def get(self, page: str, *, first_visit: bool = True):
        """The page as its first visitor gets it (nothing cached yet), or as the next one."""
        if first_visit:
            cache.clear()
        headers = HTMX if "poll" in page else {}
        response = self.client.get(self.urls[page], headers=headers)
        assert response.status_code == 200, (page, response.status_code)
        return response

    def queries(self, page: str, *, first_visit: bool = True) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            self.get(page, first_visit=first_visit)
        return [query["sql"] for query in captured.captured_queries]


def key_pages(n: int) -> KeyPages:
    artist = ArtistFactory(artist_name="Echo Lanterns")
    community = CommunityFactory(artist=artist)
    fan = UserFactory()
    CommunitySubscriptionFactory(user=fan, community=community)
    forums = {kind: ForumFactory(community=community, forum_type=kind) for kind in ForumType}
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    hot_post = PostFactory(artist=artist)
    product = ProductFactory(artist=artist)
    followed = [artist]
    for i in range(n):
        member = CommunitySubscriptionFactory(community=community).user
        for forum in forums.values():
            ForumPostFactory(forum=forum, user=member)
        ForumPostFactory(forum=forums[ForumType.ARTIST_FORUM], user=artist.user)
        LiveEventMessageFactory(event=event, user=member, seq=i + 1)
        post = PostFactory(artist=artist)
        LikeFactory(post=post, user=member)
        CommentFactory(post=post, user=member)
        LikeFactory(post=hot_post, user=member)
        comment = CommentFactory(post=hot_post, user=member)
        LikeFactory(on_comment=True, comment=comment, user=member)
        reply = CommentFactory(post=hot_post, parent_comment=comment)
        CommentFactory(post=hot_post, parent_comment=reply)
        ReviewFactory(artist=artist, user=member)
        ProductFactory(artist=artist)
        NotificationFactory(user=fan)
        other = ArtistFactory(artist_name=f"Echo Valley {i}")
        followed.append(other)
        PostFactory(artist=other)
        CommunitySubscriptionFactory(community=CommunityFactory(artist=other))
        FeaturedItemFactory(artist=other)
    UserPreferencesFactory(user=fan, favorite_artists=[a.pk for a in followed])

    client = Client()
    client.force_login(fan)
    base = f"/communities/{community.pk}/"
    return KeyPages(
        client=client,
        urls={
            "home": "/",
            "explore": "/explore/",
            "feed": "/feed/",
            "post page (many comments)": hot_post.get_absolute_url(),
            "community page": base,
            **{f"forum: {kind}": f"{base}forums/{forum.pk}/" for kind, forum in forums.items()},
            "live event page": f"{base}events/{event.pk}/",
            "live event poll": f"{base}events/{event.pk}/messages/?after=0",
            "artist page": artist.get_absolute_url(),
            # A typo: only pg_trgm's similarity finds the names.
            "search": "/artists/?q=echo valey",
            # Every kind at once: artists, posts, products, communities, forum topics, reviews.
            "site search": "/search/?q=echo",
            "product list": "/shop/",
            "product page": product.get_absolute_url(),
            "notifications": "/notifications/",
        },
    )
