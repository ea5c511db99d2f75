"""Moderation (issue 22, items 7 and 8): flags and their review, the community's
moderators, hiding, deleting, locking and pinning, muting and banning members, slow mode.

Every moderator action is written to `moderation_actions` in the transaction that makes
it, so the log the other moderators read is never missing one.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities import selectors
from communities.models import (
    FLAG_TRANSITIONS,
    Community,
    CommunityModerator,
    CommunityRestriction,
    ContentFlag,
    FlaggedKind,
    FlagReason,
    FlagStatus,
    Forum,
    ForumPost,
    LiveEvent,
    LiveEventMessage,
    ModerationAction,
    ModerationActionType,
)
from communities.services import CommunityError
from communities.services.common import invalidate_info
from communities.services.renewals import subscription_end_refunding_unused
from musicplatform.audit.services import status_change
from musicplatform.locking import advisory_xact_lock
from musicplatform.validators import one_line
from notifications.models import NotificationType
from notifications.services import notifications_create

# How long a mute may last, in hours: the choices the moderator's form offers.
MUTE_HOURS = (1, 24, 24 * 7, 24 * 30)
SLOW_MODE_MAX_SECONDS = 3600
NOTE_MAX = 500


def require_moderator(community: Community, user) -> None:
    if not selectors.is_moderator(info=community_info_of(community), user=user):
        raise CommunityError("Only the community's moderators can do that.")


def _log(
    *, community: Community, by, action: str, target: str, target_user_id=None, reason: str = ""
) -> None:
    ModerationAction.objects.create(
        community=community,
        moderator=by,
        action=action,
        target=one_line(target)[:255],
        target_user_id=target_user_id,
        reason=reason.strip()[:NOTE_MAX],
    )


# Moderators


def moderator_name(*, community: Community, by, user) -> CommunityModerator:
    """The artist names a member moderator; naming one twice changes nothing."""
    if not (
        selectors.is_community_artist(info=community_info_of(community), user=by) or by.is_staff
    ):
        raise CommunityError("Only the community's artist names moderators.")
    if not selectors.is_member(community_id=community.pk, user=user):
        raise CommunityError(f"{user.display_name} is not a member of {community.name}.")
    with transaction.atomic():
        moderator, created = CommunityModerator.objects.get_or_create(
            community=community, user=user
        )
        if created:
            _log(
                community=community,
                by=by,
                action=ModerationActionType.NAME_MODERATOR,
                target=user.display_name,
                target_user_id=user.pk,
            )
    invalidate_info(community.pk)
    return moderator


def moderator_remove(*, community: Community, by, user) -> None:
    if not (
        selectors.is_community_artist(info=community_info_of(community), user=by) or by.is_staff
    ):
        raise CommunityError("Only the community's artist removes moderators.")
    with transaction.atomic():
        removed, _ = CommunityModerator.objects.filter(community=community, user=user).delete()
        invalidate_info(community.pk)
        if removed:
            _log(
                community=community,
                by=by,
                action=ModerationActionType.REMOVE_MODERATOR,
                target=user.display_name,
                target_user_id=user.pk,
            )


def community_info_of(community: Community):
    info = selectors.community_info(community_id=community.pk)
    if info is None:
        raise CommunityError("This community no longer exists.")
    return info


# Flags


def flag_create(*, kind: str, object_id, by, reason: str, note: str = "") -> ContentFlag:
    """A member flags an item they can see; once per member and item.

    With FLAGS_TO_HIDE open flags the item is hidden until a moderator reviews it; the
    first open flag on an item tells the artist and the moderators.
    """
    if reason not in FlagReason.values:
        raise CommunityError("Choose why you flag it: spam, harassment, off-topic or other.")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise CommunityError(f"A note is at most {NOTE_MAX} characters.")
    item = selectors.flaggable_item(kind=kind, object_id=object_id)
    if item is None:
        raise CommunityError("That is no longer there.")
    if item.community is not None:
        info = selectors.community_info(community_id=item.community.pk)
        if info is None or not selectors.can_view_content(info=info, user=by):
            raise CommunityError("This is for the community's members.")
    if item.author_id == by.pk:
        raise CommunityError("You cannot flag what you wrote yourself.")
    try:
        with transaction.atomic():
            # Flags on one item one at a time: two at once both count the other's, so the
            # item is hidden at the threshold and the moderators are told exactly once.
            advisory_xact_lock(f"flags:{kind}:{item.pk}")
            flag = ContentFlag.objects.create(
                kind=kind,
                object_id=item.pk,
                artist_id=item.artist_id,
                community=item.community,
                flagged_by=by,
                author_id=item.author_id,
                reason=reason,
                note=note,
            )
            open_flags = ContentFlag.objects.filter(
                kind=kind, object_id=item.pk, status=FlagStatus.OPEN
            ).count()
            if open_flags >= settings.FLAGS_TO_HIDE:
                _set_hidden(kind=kind, object_id=item.pk, hidden=True)
            if open_flags == 1:
                _flag_notify(item=item, flag=flag)
    except IntegrityError as error:
        raise CommunityError("You have already flagged this; the moderators will look.") from error
    return flag


def _flag_notify(*, item: "selectors.FlaggableItem", flag: ContentFlag) -> None:
    recipients = selectors.moderator_user_ids(artist_id=item.artist_id, community=item.community)
    notifications_create(
        recipient_ids=[user_id for user_id in recipients if user_id != flag.flagged_by_id],
        notification_type=NotificationType.FLAG,
        title=f"A {FlaggedKind(flag.kind).label.lower()} was flagged: {flag.get_reason_display()}",
        message=item.excerpt,
        resource_type="community" if item.community else None,
        resource_id=item.community.pk if item.community else None,
    )


def _set_hidden(*, kind: str, object_id, hidden: bool) -> None:
    hidden_at = timezone.now() if hidden else None
    if kind == FlaggedKind.FORUM_POST:
        ForumPost.objects.filter(pk=object_id).update(hidden_at=hidden_at)
    elif kind == FlaggedKind.LIVE_MESSAGE:
        LiveEventMessage.objects.filter(pk=object_id).update(hidden_at=hidden_at)


def _resolve_flags(*, kind: str, object_id, by, status: str) -> None:
    """Close the item's open flags, each with its status history."""
    flags = list(
        ContentFlag.objects.filter(kind=kind, object_id=object_id, status=FlagStatus.OPEN)
        .order_by("pk")
        .only("pk", "status")
    )
    for flag in flags:
        status_change(
            instance=flag,
            new_status=status,
            by=by,
            transitions=FLAG_TRANSITIONS,
            entity_type="content_flag",
        )


# Acting on items


ITEM_ACTIONS = {
    "hide": ModerationActionType.HIDE,
    "unhide": ModerationActionType.UNHIDE,
    "dismiss": ModerationActionType.DISMISS_FLAGS,
    "delete": ModerationActionType.DELETE,
    "lock": ModerationActionType.LOCK,
    "unlock": ModerationActionType.UNLOCK,
    "pin": ModerationActionType.PIN,
    "unpin": ModerationActionType.UNPIN,
}


def item_moderate(
    *, community: Community, kind: str, object_id, by, action: str, reason: str = ""
) -> None:
    """A moderator hides, shows again, deletes, locks or pins an item, or dismisses its
    flags (the item is shown again). Hiding or deleting upholds the item's open flags."""
    require_moderator(community, by)
    if action not in ITEM_ACTIONS:
        raise CommunityError("Choose what to do with it.")
    item = selectors.flaggable_item(kind=kind, object_id=object_id)
    if item is None or not item.moderated_in(community):
        raise CommunityError("That is no longer there.")
    if action in ("lock", "unlock", "pin", "unpin") and kind != FlaggedKind.FORUM_POST:
        raise CommunityError("Only forum posts are locked or pinned.")
    if action in ("hide", "unhide") and kind not in (
        FlaggedKind.FORUM_POST,
        FlaggedKind.LIVE_MESSAGE,
    ):
        raise CommunityError("Comments and reviews are deleted, not hidden.")
    with transaction.atomic():
        if action in ("hide", "delete"):
            _resolve_flags(kind=kind, object_id=item.pk, by=by, status=FlagStatus.UPHELD)
        elif action in ("unhide", "dismiss"):
            _resolve_flags(kind=kind, object_id=item.pk, by=by, status=FlagStatus.DISMISSED)
        if action in ("hide", "unhide", "dismiss"):
            _set_hidden(kind=kind, object_id=item.pk, hidden=action == "hide")
        elif action == "delete":
            item.delete(by=by)
        elif action in ("lock", "unlock"):
            ForumPost.objects.filter(pk=item.pk).update(is_locked=action == "lock")
        else:
            ForumPost.objects.filter(pk=item.pk).update(is_pinned=action == "pin")
        _log(
            community=community,
            by=by,
            action=ITEM_ACTIONS[action],
            target=f"{FlaggedKind(kind).label.lower()} by {item.author_name}: “{item.excerpt}”",
            target_user_id=item.author_id,
            reason=reason,
        )


# Members


def _restriction(community: Community, user) -> CommunityRestriction:
    restriction, _ = CommunityRestriction.objects.select_for_update().get_or_create(
        community=community, user=user
    )
    return restriction


def _require_restrictable(community: Community, by, user) -> None:
    require_moderator(community, by)
    if user.pk == by.pk:
        raise CommunityError("You cannot mute or ban yourself.")
    if user.is_staff or selectors.is_moderator(info=community_info_of(community), user=user):
        raise CommunityError(
            f"{user.display_name} is a moderator here; the artist can remove them as moderator first."
        )


def member_mute(
    *, community: Community, by, user, hours: int, reason: str = "", now: datetime | None = None
) -> CommunityRestriction:
    """Read-only for `hours`: the member reads but cannot post, react or chat."""
    _require_restrictable(community, by, user)
    if hours not in MUTE_HOURS:
        raise CommunityError("Choose how long the mute lasts.")
    until = (now or timezone.now()) + timedelta(hours=hours)
    with transaction.atomic():
        restriction = _restriction(community, user)
        restriction.muted_until = until
        restriction.save(update_fields=["muted_until"])
        _log(
            community=community,
            by=by,
            action=ModerationActionType.MUTE,
            target=f"{user.display_name} for {hours_text(hours)}",
            target_user_id=user.pk,
            reason=reason,
        )
    return restriction


def hours_text(hours: int) -> str:
    if hours % 24:
        return f"{hours} hour{'s' if hours > 1 else ''}"
    days = hours // 24
    return f"{days} day{'s' if days > 1 else ''}"


def member_unmute(*, community: Community, by, user, reason: str = "") -> None:
    require_moderator(community, by)
    with transaction.atomic():
        unmuted = CommunityRestriction.objects.filter(
            community=community, user=user, muted_until__gt=timezone.now()
        ).update(muted_until=None)
        if unmuted:
            _log(
                community=community,
                by=by,
                action=ModerationActionType.UNMUTE,
                target=user.display_name,
                target_user_id=user.pk,
                reason=reason,
            )


def member_ban(*, community: Community, by, user, reason: str):
    """End the member's membership, refund the unused period through the payment service,
    and keep them from joining again. Banning a banned member changes nothing."""
    _require_restrictable(community, by, user)
    if selectors.is_community_artist(info=community_info_of(community), user=user):
        raise CommunityError("The artist cannot be banned from their own community.")
    reason = reason.strip()
    if not reason:
        raise CommunityError("Say why you ban them; the other moderators will read it.")
    subscription = selectors.subscription_of(community_id=community.pk, user=user)
    with transaction.atomic():
        restriction = _restriction(community, user)
        if restriction.banned_at is not None:
            return restriction
        restriction.banned_at = timezone.now()
        restriction.save(update_fields=["banned_at"])
        _log(
            community=community,
            by=by,
            action=ModerationActionType.BAN,
            target=user.display_name,
            target_user_id=user.pk,
            reason=reason,
        )
        if subscription is not None:
            # In the ban's transaction: a refund the gateway refuses leaves no ban
            # without its refund, and the moderator can try again.
            subscription_end_refunding_unused(
                subscription_id=subscription.pk, by=by, reason=f"Banned: {reason}"
            )
    invalidate_info(community.pk)
    return restriction


# Slow mode


def slow_mode_set(
    *, community: Community, by, target: Forum | LiveEvent, seconds: int, reason: str = ""
) -> None:
    require_moderator(community, by)
    if not 0 <= seconds <= SLOW_MODE_MAX_SECONDS:
        raise CommunityError(f"Slow mode is between 0 (off) and {SLOW_MODE_MAX_SECONDS} seconds.")
    with transaction.atomic():
        type(target).objects.filter(pk=target.pk).update(slow_mode_seconds=seconds)
        _log(
            community=community,
            by=by,
            action=ModerationActionType.SLOW_MODE,
            target=f"{target}: {f'{seconds} seconds' if seconds else 'off'}",
            reason=reason,
        )
    invalidate_info(community.pk)
