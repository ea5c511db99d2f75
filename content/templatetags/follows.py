from django import template

register = template.Library()


@register.filter
def follow_of(follows, artist):
    """The FollowState of `artist` among a page's `follows` (accounts.selectors.follow_states)."""
    return follows.get(artist.pk) if follows else None
