"""What the communities services share: permission checks, cache invalidation, the chat's limits."""

from math import ceil

from django.db import models
from django.utils import timezone

from communities import selectors
from communities.models import (
    Community,
    CommunitySubscription,
)
from communities.services import CommunityError
from musicplatform.cache import invalidate_on_commit
from notifications.services import audience_notify

CHAT_MESSAGE_MAX = 500


class ClockTimestamp(models.Func):
    """The wall clock at the moment of the INSERT, not the transaction's start."""

    template = "clock_timestamp()"
    output_field = models.DateTimeField()


def invalidate_info(community_id) -> None:
    invalidate_on_commit(selectors.community_info_key(community_id))


def instance_of[M: models.Model](model: type[M], values: dict) -> M:
    """`model`'s instance from the columns a statement of ours read (by attname); the
    others load if asked for. Django's from_db wants them in the model's field order."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(None, names, [values[name] for name in names])


def invalidate_member(subscription: CommunitySubscription, *, tiers_below: list | None = None):
    """The member's cached access to the community and to the tiers below it (which their
    membership includes; `tiers_below` when the caller read them already), and the
    community's member count."""
    below = (
        selectors.tiers_below_ids(community_id=subscription.community_id)
        if tiers_below is None
        else tiers_below
    )
    invalidate_on_commit(
        selectors.community_info_key(subscription.community_id),
        *(
            selectors.access_key(community_id, subscription.user_id)
            for community_id in [subscription.community_id, *below]
        ),
    )


def is_artist_of(community: Community, user) -> bool:
    return community.artist.user_id is not None and community.artist.user_id == user.pk


def require_manager(community: Community, user) -> None:
    if not (is_artist_of(community, user) or user.is_staff):
        raise CommunityError("Only the community's artist can do that.")


def require_access(community_id, user) -> None:
    """That `user` may write (post, react, chat, vote) in the community: a member, the
    artist or staff, and neither muted nor banned (communities.services.moderation)."""
    # Views check this too; a service never trusts its caller with the paywall.
    refusal = selectors.write_refusal(community_id=community_id, user=user)
    if refusal:
        raise CommunityError(refusal)
    info = selectors.community_info(community_id=community_id)
    if info is None or not selectors.can_view_content(info=info, user=user):
        raise CommunityError("This is for the community's members.")


def community_notify(*, community: Community, **notification) -> int:
    audience = selectors.community_audience(community_id=community.pk)
    return audience_notify(audience=audience, **notification)


def require_slow_mode_respected(*, community_id, user, seconds: int, last_posted_at) -> None:
    """Slow mode: one message per `seconds` per member; moderators are not slowed down."""
    if not seconds or last_posted_at is None:
        return
    wait = seconds - (timezone.now() - last_posted_at).total_seconds()
    if wait <= 0:
        return
    info = selectors.community_info(community_id=community_id)
    if info is not None and selectors.is_moderator(info=info, user=user):
        return
    raise CommunityError(
        f"Slow mode is on: one message every {seconds} seconds. "
        f"Wait {ceil(wait)} more second{'s' if ceil(wait) != 1 else ''}."
    )
