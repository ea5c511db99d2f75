"""Live events: scheduling, going live and ending, chat and questions."""

from datetime import datetime, timedelta
from functools import partial
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from communities import selectors
from communities.models import (
    LIVE_EVENT_TRANSITIONS,
    Community,
    LiveEvent,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
    LiveEventVote,
)
from communities.services import CommunityError
from communities.services.common import (
    CHAT_MESSAGE_MAX,
    ClockTimestamp,
    community_notify,
    invalidate_info,
    require_access,
    require_manager,
    require_slow_mode_respected,
)
from communities.streams import validate_stream_url
from live.publish import live_event_end_announce, live_message_publish
from musicplatform.audit.services import status_change
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType
from notifications.services import unannounced_ids

# At most this many live-event messages per user within the window.
MESSAGE_RATE_LIMIT = 5
MESSAGE_RATE_WINDOW = timedelta(seconds=10)


# Live events


def live_event_schedule(
    *,
    community: Community,
    by,
    title: str,
    event_type: str,
    start_time: datetime,
    end_time: datetime | None = None,
    description: str = "",
    stream_url: str = "",
) -> LiveEvent:
    require_manager(community, by)
    validate_single_line(title)
    if stream_url:
        try:
            validate_stream_url(stream_url)
        except ValidationError as error:
            raise CommunityError(" ".join(error.messages)) from error
    if event_type not in LiveEventType.values:
        raise CommunityError("Choose a chat or a Q&A.")
    if start_time <= timezone.now():
        raise CommunityError("An event is scheduled in the future.")
    if end_time is not None and end_time <= start_time:
        raise CommunityError("An event ends after it starts.")
    with transaction.atomic():
        event = LiveEvent.objects.create(
            community=community,
            title=title.strip(),
            description=description.strip() or None,
            event_type=event_type,
            start_time=start_time,
            end_time=end_time,
            stream_url=stream_url,
        )
        from communities.tasks import live_event_notify_members

        enqueue_on_commit(live_event_notify_members, str(event.pk), "scheduled")
    invalidate_info(community.pk)
    return event


def live_event_status_set(
    *, event: LiveEvent, community: Community, by, new_status: str
) -> LiveEvent:
    """scheduled → live → completed, or scheduled/live → cancelled; nothing else."""
    require_manager(community, by)
    with transaction.atomic():
        event, changed = status_change(
            instance=event,
            new_status=new_status,
            by=by,
            transitions=LIVE_EVENT_TRANSITIONS,
            entity_type="live_event",
        )
        if changed and new_status == LiveEventStatus.LIVE:
            from communities.tasks import live_event_notify_members

            enqueue_on_commit(live_event_notify_members, str(event.pk), "live")
        if changed and new_status in (LiveEventStatus.COMPLETED, LiveEventStatus.CANCELLED):
            # Open chat streams (live/) close and stop reconnecting.
            live_event_end_announce(event_id=event.pk)
    invalidate_info(community.pk)
    return event


def live_event_notify(*, event_id, kind: str) -> int:
    event = LiveEvent.objects.select_related("community__artist").filter(pk=event_id).first()
    if event is None:
        return 0
    community = event.community
    if kind == "live":
        title = f"{event.title} is live now"
        message = f"{community.artist.artist_name} is live in {community.name}. Join in!"
    else:
        title = f"New live event in {community.name}: {event.title}"
        message = f"Starts {event.start_time:%Y-%m-%d %H:%M} UTC."
    return community_notify(
        community=community,
        exclude_user_id=community.artist.user_id,
        notification_type=NotificationType.LIVE_EVENT,
        title=title,
        message=message,
        resource_type="live_event",
        resource_id=event.pk,
    )


def live_events_announce_sweep() -> int:
    """Announce the live events whose fan-out task was lost: an event still ahead that
    nobody was told about, and an event live now whose "live now" nobody was told about
    (it went live by an update, which stamped `updated_at`); notifications made."""
    unannounced = partial(
        unannounced_ids, notification_type=NotificationType.LIVE_EVENT, resource_type="live_event"
    )
    ahead = unannounced(
        LiveEvent.objects.filter(status=LiveEventStatus.SCHEDULED, start_time__gt=timezone.now())
    )
    live = unannounced(LiveEvent.objects.filter(status=LiveEventStatus.LIVE), news_at="updated_at")
    return sum(live_event_notify(event_id=event_id, kind="scheduled") for event_id in ahead) + sum(
        live_event_notify(event_id=event_id, kind="live") for event_id in live
    )


def live_event_message_post(*, event: LiveEvent, by, content: str) -> LiveEventMessage:
    """A chat message or a question, while the event is live; rate-limited per user.

    Inserts are serialised per event so that `seq` follows commit order.
    """
    require_access(event.community_id, by)
    content = content.strip()
    if not content:
        raise CommunityError("Write a message first.")
    if len(content) > CHAT_MESSAGE_MAX:
        raise CommunityError(f"Messages are at most {CHAT_MESSAGE_MAX} characters.")
    # The artist's badge in the published frame; cached, and read before the lock.
    # require_access above found the community's info (the event's community exists).
    info = cast(selectors.CommunityInfo, selectors.community_info(community_id=event.community_id))
    community = info.community
    with transaction.atomic():
        advisory_xact_lock(f"live-event:{event.pk}")
        status, slow_mode_seconds = LiveEvent.objects.values_list(
            "status", "slow_mode_seconds"
        ).get(pk=event.pk)
        if status != LiveEventStatus.LIVE:
            raise CommunityError("This event is not live.")
        if slow_mode_seconds:
            require_slow_mode_respected(
                community_id=event.community_id,
                user=by,
                seconds=slow_mode_seconds,
                last_posted_at=LiveEventMessage.objects.filter(event=event, user=by)
                .order_by("-seq")
                .values_list("created_at", flat=True)
                .first(),
            )
        recent = LiveEventMessage.objects.filter(
            event=event, user=by, created_at__gt=timezone.now() - MESSAGE_RATE_WINDOW
        ).count()
        if recent >= MESSAGE_RATE_LIMIT:
            raise CommunityError("You are sending messages too fast; wait a few seconds.")
        message = LiveEventMessage.objects.create(
            event=event,
            user=by,
            seq=selectors.last_seq(event=event) + 1,
            content=content,
            created_at=ClockTimestamp(),
        )
        # To the chat streams (live/), once the message is committed and visible; the
        # INSERT returned created_at, so the frame shows the stored time.
        live_message_publish(message=message, community=community)
    return message


def live_question_upvote(*, message: LiveEventMessage, event: LiveEvent, by) -> None:
    """One upvote per member and question; a second one changes nothing."""
    require_access(event.community_id, by)
    if event.event_type != LiveEventType.QA:
        raise CommunityError("Only questions are upvoted.")
    if event.status != LiveEventStatus.LIVE:
        raise CommunityError("This event is not live.")
    LiveEventVote.objects.bulk_create(
        [LiveEventVote(message=message, user=by)], ignore_conflicts=True
    )


def live_question_answer(
    *, message: LiveEventMessage, event: LiveEvent, community: Community, by
) -> None:
    require_manager(community, by)
    if event.event_type != LiveEventType.QA:
        raise CommunityError("Only questions are answered.")
    LiveEventMessage.objects.filter(pk=message.pk).update(is_answered=True)
