"""Live events as iCalendar files (RFC 5545): "Add to calendar" on an event's page."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from communities.models import LiveEvent, LiveEventStatus

# An event without an end time is put in calendars for this long.
DEFAULT_LENGTH = timedelta(hours=1)


def event_calendar(*, event: LiveEvent, url: str) -> bytes:
    """One event, with a UID of its own so that a second download updates the same entry
    (a moved start, a cancellation) instead of adding another."""
    entry = Event()
    entry.add("uid", f"live-event-{event.pk}@musicplatform")
    entry.add("dtstamp", timezone.now())
    entry.add("dtstart", event.start_time)
    entry.add("dtend", event.end_time or event.start_time + DEFAULT_LENGTH)
    entry.add("summary", f"{event.title} ({event.community.name})")
    entry.add("description", f"{event.description or ''}\n\n{url}".strip())
    entry.add("url", url)
    entry.add("status", "CANCELLED" if event.status == LiveEventStatus.CANCELLED else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", "-//Music Platform//Live events//EN")
    calendar.add("version", "2.0")
    calendar.add_component(entry)
    return calendar.to_ical()
