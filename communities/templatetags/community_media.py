from django import template

from communities.media import signed_media_url as sign

register = template.Library()


@register.filter
def signed_media_url(url: str) -> str:
    """A members-only picture's address, signed for a short while (communities/media.py)."""
    return sign(url)
