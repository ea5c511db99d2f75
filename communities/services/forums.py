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
    SuggestionState,
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
)
from communities.services.topics import (
    forum_post_notify_mentions,
    require_forum_slow_mode_respected,
)
from content.media import check_uploads
from content.models import MediaType
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType
from notifications.services import unannounced_ids


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
    *,
    forum: Forum,
    community: Community,
    by,
    title: str = "",
    content: str = "",
    images: list | None = None,
) -> ForumPost:
    """A topic (or an all_chat message) under the forum type's rules; whoever it
    @mentions is told.

    all_chat messages are serialised per forum and stamped with the wall clock, so their
    created_at follows commit order and a poll for "after t" never misses one. A fan-art
    topic is a gallery of up to four pictures, each checked like every picture we take.
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
        if not images:
            raise CommunityError("Choose a picture of your fan art.")
        try:
            checked = check_uploads(images, picture_use="fan_art")
        except ValidationError as error:
            raise CommunityError(" ".join(error.messages)) from error
        if checked[0].media_type != MediaType.IMAGE:
            raise CommunityError("Fan art is pictures: JPEG, PNG, GIF or WebP.")
    elif not (title or content):
        raise CommunityError("Write a title or some text first.")
    with transaction.atomic():
        if kind == ForumType.ALL_CHAT:
            advisory_xact_lock(f"forum-chat:{forum.pk}")
            fields["created_at"] = ClockTimestamp()
        require_forum_slow_mode_respected(forum=forum, community=community, by=by)
        if kind == ForumType.FAN_ART:
            fields["media_type"] = MediaType.IMAGE
            fields["media_urls"] = private_media_store(items=checked, community_id=community.pk)
        if kind == ForumType.SUGGESTIONS:
            fields["suggestion_state"] = SuggestionState.OPEN
        post = ForumPost.objects.create(forum=forum, user=by, **fields)
        post.user = by
        forum_post_notify_mentions(post=post, community=community)
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
    elif post.topic_id is not None:
        # A reply has no title (a title is what makes a post a topic, search included).
        if not content:
            raise CommunityError("A reply cannot be empty; delete it instead.")
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
