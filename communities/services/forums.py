"""Forums and their posts (including the forum chat)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communities import selectors
from communities.media import private_media_store
from communities.models import (
    Community,
    FlaggedKind,
    Forum,
    ForumPost,
    ForumType,
)
from communities.services import CommunityError, moderation
from communities.services.common import (
    CHAT_MESSAGE_MAX,
    ClockTimestamp,
    community_notify,
    invalidate_info,
    is_artist_of,
    require_access,
    require_manager,
    require_slow_mode_respected,
)
from content.media import check_upload
from content.models import MediaType
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType
from notifications.services import notifications_create, unannounced_ids


def forum_create(
    *, community: Community, by, name: str, forum_type: str, description: str = ""
) -> Forum:
    require_manager(community, by)
    if forum_type not in ForumType.values:
        raise CommunityError("Choose one of the four forum types.")
    name = name.strip()
    validate_single_line(name)
    try:
        with transaction.atomic():
            forum = Forum.objects.create(
                community=community,
                name=name,
                forum_type=forum_type,
                description=description.strip() or None,
            )
    except IntegrityError as error:
        raise CommunityError(f"This community already has a forum called “{name}”.") from error
    invalidate_info(community.pk)
    return forum


# Forum posts


def forum_post_create(
    *, forum: Forum, community: Community, by, title: str = "", content: str = "", image=None
) -> ForumPost:
    """A post under the forum type's rules; the caller has checked that `by` may see it.

    all_chat messages are serialised per forum and stamped with the wall clock, so their
    created_at follows commit order and a poll for "after t" never misses one.
    """
    require_access(community.pk, by)
    title, content = title.strip(), content.strip()
    validate_single_line(title)
    is_artist = is_artist_of(community, by)
    kind = forum.forum_type
    fields: dict = {"title": title or None, "content": content or None}
    if kind == ForumType.ARTIST_FORUM and not is_artist:
        raise CommunityError("Only the artist posts in the artist forum.")
    if kind == ForumType.ALL_CHAT:
        if not content:
            raise CommunityError("Write a message first.")
        if len(content) > CHAT_MESSAGE_MAX:
            raise CommunityError(f"Chat messages are at most {CHAT_MESSAGE_MAX} characters.")
        fields["title"] = None
    elif kind == ForumType.FAN_ART:
        if image is None:
            raise CommunityError("Choose a picture of your fan art.")
        try:
            checked = check_upload(image, picture_use="fan_art")
        except ValidationError as error:
            raise CommunityError(" ".join(error.messages)) from error
        if checked.media_type != MediaType.IMAGE:
            raise CommunityError("Fan art is a picture: JPEG, PNG, GIF or WebP.")
    elif not (title or content):
        raise CommunityError("Write a title or some text first.")
    with transaction.atomic():
        if kind == ForumType.ALL_CHAT:
            advisory_xact_lock(f"forum-chat:{forum.pk}")
            fields["created_at"] = ClockTimestamp()
        if forum.slow_mode_seconds:
            require_slow_mode_respected(
                community_id=community.pk,
                user=by,
                seconds=forum.slow_mode_seconds,
                last_posted_at=ForumPost.objects.filter(forum=forum, user=by)
                .order_by("-created_at")
                .values_list("created_at", flat=True)
                .first(),
            )
        if kind == ForumType.FAN_ART:
            fields["media_type"] = MediaType.IMAGE
            fields["media_urls"] = private_media_store(items=[checked], community_id=community.pk)
        post = ForumPost.objects.create(forum=forum, user=by, **fields)
        if kind == ForumType.ARTIST_FORUM:
            from communities.tasks import forum_post_notify_members

            enqueue_on_commit(forum_post_notify_members, str(post.pk))
    post.refresh_from_db(fields=["created_at"])
    return post


def forum_post_notify(*, post_id) -> int:
    """Tell every member about an artist-forum post (once, whatever the retries)."""
    post = ForumPost.objects.select_related("forum__community__artist").filter(pk=post_id).first()
    if post is None:
        return 0
    community = post.forum.community
    return community_notify(
        community=community,
        exclude_user_id=post.user_id,
        notification_type=NotificationType.FORUM_POST,
        title=f"New post by {community.artist.artist_name} in {community.name}",
        message=post.title or (post.content or "")[:200],
        resource_type="forum_post",
        resource_id=post.pk,
    )


def forum_posts_announce_sweep() -> int:
    """Announce the artist-forum posts whose fan-out task was lost; notifications made."""
    due = unannounced_ids(
        ForumPost.objects.filter(forum__forum_type=ForumType.ARTIST_FORUM),
        notification_type=NotificationType.FORUM_POST,
        resource_type="forum_post",
    )
    return sum(forum_post_notify(post_id=post_id) for post_id in due)


def forum_post_update(*, post: ForumPost, by, title: str = "", content: str = "") -> ForumPost:
    if post.user_id != by.pk:
        raise CommunityError("You can edit only your own posts.")
    title, content = title.strip(), content.strip()
    validate_single_line(title)
    kind = post.forum.forum_type
    if kind == ForumType.ALL_CHAT:
        if not content:
            raise CommunityError("A message cannot be empty; delete it instead.")
        if len(content) > CHAT_MESSAGE_MAX:
            raise CommunityError(f"Chat messages are at most {CHAT_MESSAGE_MAX} characters.")
        title = ""
    elif kind != ForumType.FAN_ART and not (title or content):
        raise CommunityError("A post needs a title or some text; delete it instead.")
    with transaction.atomic():
        locked = ForumPost.objects.select_for_update().get(pk=post.pk)
        locked.title, locked.content = title or None, content or None
        locked.save(update_fields=["title", "content"])
    locked.forum = post.forum
    return locked


def forum_post_delete(*, post: ForumPost, community: Community, by) -> None:
    """The author deletes their own post; the community's moderators delete any, and
    that goes in the moderation log."""
    if post.user_id == by.pk:
        ForumPost.objects.filter(pk=post.pk).delete()
        return
    if not selectors.is_moderator(info=moderation.community_info_of(community), user=by):
        raise CommunityError("You can delete only your own posts.")
    moderation.item_moderate(
        community=community, kind=FlaggedKind.FORUM_POST, object_id=post.pk, by=by, action="delete"
    )


def forum_post_pin(*, post: ForumPost, community: Community, by, pinned: bool) -> None:
    moderation.item_moderate(
        community=community,
        kind=FlaggedKind.FORUM_POST,
        object_id=post.pk,
        by=by,
        action="pin" if pinned else "unpin",
    )


def forum_post_mark_answered(*, post: ForumPost, community: Community, by, answered: bool) -> None:
    require_manager(community, by)
    if post.forum.forum_type != ForumType.SUGGESTIONS:
        raise CommunityError("Only suggestions are answered.")
    with transaction.atomic():
        changed = (
            ForumPost.objects.filter(pk=post.pk)
            .exclude(is_answered=answered)
            .update(is_answered=answered)
        )
        if changed and answered and post.user_id != by.pk:
            notifications_create(
                recipient_ids=[post.user_id],
                notification_type=NotificationType.SUGGESTION_ANSWERED,
                title=f"{community.artist.artist_name} answered your suggestion",
                message=post.title or (post.content or "")[:200],
                resource_type="forum_post",
                resource_id=post.pk,
            )
