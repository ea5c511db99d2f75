"""Reminders before a live event starts (issue 22 item 10)."""

from datetime import timedelta

from django.utils import timezone

from communities.models import LiveEvent, LiveEventStatus
from communities.services.common import community_notify
from notifications.models import NotificationType

# Members are reminded this long before the start; the beat sweep runs more often than
# this, so every event is inside the window for at least one run.
REMINDER_LEAD = timedelta(minutes=30)


def reminder_title(event: LiveEvent) -> str:
    return f"Starting soon: {event.title}"


def live_event_reminders_send() -> int:
    """Remind the members of each community with an event starting within REMINDER_LEAD;
    notifications made. Safe to run again and again: a community's fan-out finds the
    reminder it already made (same type, resource and title) and makes none, and email
    copies follow each member's preferences for live events."""
    now = timezone.now()
    soon = LiveEvent.objects.filter(
        status=LiveEventStatus.SCHEDULED, start_time__gt=now, start_time__lte=now + REMINDER_LEAD
    ).select_related("community__artist")
    made = 0
    for event in soon:
        community = event.community
        made += community_notify(
            community=community,
            exclude_user_id=community.artist.user_id,
            notification_type=NotificationType.LIVE_EVENT,
            title=reminder_title(event),
            message=f"{community.artist.artist_name} goes live in {community.name} soon.",
            resource_type="live_event",
            resource_id=event.pk,
        )
    return made
