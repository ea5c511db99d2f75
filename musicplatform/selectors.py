"""Reads for the site-wide pages (home); each runs a fixed number of queries."""

from django.db.models import Count, Q

from artists.models import Artist
from communities.models import Community
from content.models import Post
from shop.models import Product

HOME_LIST_SIZE = 6


def home_page() -> dict:
    return {
        "featured_artists": list(
            Artist.objects.filter(featured=True).order_by("artist_name")[:HOME_LIST_SIZE]
        ),
        "latest_posts": list(
            Post.objects.filter(deleted_at__isnull=True)
            .select_related("artist")
            .order_by("-created_at")[:HOME_LIST_SIZE]
        ),
        "communities": list(
            Community.objects.select_related("artist")
            .annotate(member_count=Count("subscriptions", filter=Q(subscriptions__is_active=True)))
            .order_by("-member_count", "name")[:HOME_LIST_SIZE]
        ),
        "products": list(
            Product.objects.filter(is_active=True)
            .select_related("artist")
            .order_by("-created_at")[:HOME_LIST_SIZE]
        ),
    }
