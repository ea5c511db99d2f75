"""Forum topics' replies, @mentions, suggestion votes and states, and read positions.

A reply is a row of forum_posts whose `topic` is the topic's row (one level: a reply
never has replies), so reactions, flags and moderation treat topics and replies alike.
"""

import re

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communities import selectors
from communities.models import (
    SUGGESTION_TRANSITIONS,
    Community,
    Forum,
    ForumPost,
    ForumPostVote,
    ForumType,
    SuggestionState,
)
from communities.services import CommunityError
from communities.services.common import (
    ClockTimestamp,
    require_access,
    require_manager,
    require_slow_mode_respected,
)
from musicplatform.audit.services import StatusTransitionError, status_change
from notifications.models import NotificationType
from notifications.services import notifications_create

REPLY_MAX = 20000
# More names than this in one post is a broadcast, not a mention: the rest are not told.
MENTIONS_NOTIFIED = 10
# `@name` at the start or after a space or punctuation (not inside an email address).
MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,50})")


def mentioned_usernames(text: str | None) -> list[str]:
    """The distinct `@username`s in `text`, in order, without trailing punctuation."""
    names = (match.rstrip(".+-") for match in MENTION.findall(text or ""))
    return list(dict.fromkeys(name for name in names if name))


def _notify_mentions(*, post: ForumPost, community: Community, skip_user_ids: set) -> None:
    """Tell the community's people named in `post` (members and the artist) about it."""
    names = mentioned_usernames(post.content)[:MENTIONS_NOTIFIED]
    if not names:
        return
    people = selectors.community_people_named(community=community, usernames=names)
    recipients = [user_id for user_id in people if user_id not in skip_user_ids]
    if recipients:
        notifications_create(
            recipient_ids=recipients,
            notification_type=NotificationType.MENTION,
            title=f"{post.user.display_name} mentioned you in {community.name}",
            message=(post.content or "")[:200],
            resource_type="forum_post",
            resource_id=post.pk,
        )


def forum_post_notify_mentions(*, post: ForumPost, community: Community) -> None:
    """A new topic or chat message: whoever it @mentions (except its author) is told."""
    _notify_mentions(post=post, community=community, skip_user_ids={post.user_id})


def require_forum_slow_mode_respected(*, forum: Forum, community: Community, by) -> None:
    """A forum in slow mode takes one topic, reply or chat message per member per interval."""
    if not forum.slow_mode_seconds:
        return
    require_slow_mode_respected(
        community_id=community.pk,
        user=by,
        seconds=forum.slow_mode_seconds,
        last_posted_at=ForumPost.objects.filter(forum=forum, user=by)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first(),
    )


def topic_reply_create(*, topic: ForumPost, community: Community, by, content: str) -> ForumPost:
    """A member's reply to a topic; the topic's author and the people it @mentions are told."""
    require_access(community.pk, by)
    if topic.topic_id is not None or topic.forum.forum_type == ForumType.ALL_CHAT:
        raise CommunityError("Replies go under a topic.")
    content = content.strip()
    if not content:
        raise CommunityError("Write a reply first.")
    if len(content) > REPLY_MAX:
        raise CommunityError(f"A reply is at most {REPLY_MAX} characters.")
    # Moderation locks a topic by setting the flag; refusing the replies is ours.
    if topic.is_locked:
        raise CommunityError("This topic is locked: it takes no more replies.")
    with transaction.atomic():
        require_forum_slow_mode_respected(forum=topic.forum, community=community, by=by)
        # The wall clock, not the transaction's start: read positions compare these times.
        reply = ForumPost.objects.create(
            forum=topic.forum, topic=topic, user=by, content=content, created_at=ClockTimestamp()
        )
        reply.refresh_from_db(fields=["created_at"])
        reply.user = by
        notified = {by.pk}
        if topic.user_id not in notified:
            notifications_create(
                recipient_ids=[topic.user_id],
                notification_type=NotificationType.FORUM_REPLY,
                title=f"{by.display_name} replied to “{topic.title or 'your topic'}”",
                message=content[:200],
                resource_type="forum_post",
                resource_id=reply.pk,
            )
            notified.add(topic.user_id)
        _notify_mentions(post=reply, community=community, skip_user_ids=notified)
        # The author has read their own reply, and everything before it.
        topic_mark_read(topic=topic, user=by, up_to=reply.created_at)
    return reply


def topic_mark_read(*, topic: ForumPost, user, up_to) -> None:
    """Remember that `user` has seen `topic`'s replies up to `up_to` (never moves back:
    a page of older replies read later does not undo newer reading)."""
    if not user.is_authenticated:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO forum_topic_reads (topic_id, user_id, last_read_at)
            VALUES (%s, %s, %s)
            ON CONFLICT (user_id, topic_id) DO UPDATE
                SET last_read_at = GREATEST(forum_topic_reads.last_read_at, EXCLUDED.last_read_at)
            """,
            [topic.pk, user.pk, up_to],
        )


def suggestion_vote(*, post: ForumPost, community: Community, by, voted: bool) -> bool:
    """Vote for a suggestion (once per member) or take the vote back; True if it changed."""
    require_access(community.pk, by)
    if post.forum.forum_type != ForumType.SUGGESTIONS or post.topic_id is not None:
        raise CommunityError("Only suggestions take votes.")
    if not voted:
        return ForumPostVote.objects.filter(post=post, user=by).delete()[0] > 0
    try:
        with transaction.atomic():
            ForumPostVote.objects.create(post=post, user=by)
    except IntegrityError:
        return False  # already voted: one vote per member
    return True


def suggestion_state_set(*, post: ForumPost, community: Community, by, state: str) -> bool:
    """The artist answers a suggestion: planned, answered or declined; True if it changed.

    Its author is told when the state changes.
    """
    require_manager(community, by)
    if post.forum.forum_type != ForumType.SUGGESTIONS or post.topic_id is not None:
        raise CommunityError("Only suggestions are answered.")
    if state not in SuggestionState.values:
        raise CommunityError("Choose planned, answered or declined.")
    try:
        with transaction.atomic():
            if post.suggestion_state is None:
                # Written before states existed (or by the seed data): open it first.
                ForumPost.objects.filter(pk=post.pk, suggestion_state__isnull=True).update(
                    suggestion_state=SuggestionState.OPEN
                )
            updated, changed = status_change(
                instance=post,
                new_status=state,
                by=by,
                field="suggestion_state",
                transitions=SUGGESTION_TRANSITIONS,
                entity_type="forum_post",
                with_fields={
                    "is_answered": state == SuggestionState.ANSWERED,
                    "updated_at": timezone.now(),
                },
            )
            if changed and updated.user_id != by.pk:
                label = SuggestionState(state).label.lower()
                notifications_create(
                    recipient_ids=[updated.user_id],
                    notification_type=NotificationType.SUGGESTION_ANSWERED,
                    title=f"Your suggestion “{updated.title or ''}” is {label}",
                    message=f"{community.artist.artist_name} marked it {label}.",
                    resource_type="forum_post",
                    resource_id=updated.pk,
                )
    except StatusTransitionError as error:
        raise CommunityError(
            f"A suggestion cannot go from {error.old} back to {SuggestionState(state).label.lower()}."
        ) from error
    return changed
