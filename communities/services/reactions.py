"""Reactions to forum posts: a fixed set of emoji, one of each per member and post."""

from django.db import IntegrityError, transaction

from communities.models import Community, ForumPost, ForumPostReaction, Reaction
from communities.services import CommunityError
from communities.services.common import require_access


def reaction_toggle(*, post: ForumPost, community: Community, by, emoji: str) -> bool:
    """Add the member's `emoji` to `post`, or take it back; True when it is now there."""
    require_access(community.pk, by)
    if emoji not in Reaction.values:
        raise CommunityError("Choose one of the reactions shown.")
    if ForumPostReaction.objects.filter(post=post, user=by, emoji=emoji).delete()[0]:
        return False
    try:
        with transaction.atomic():
            ForumPostReaction.objects.create(post=post, user=by, emoji=emoji)
    except IntegrityError:
        pass  # a double click's other request added it: it is there, as asked
    return True
