"""Live events (issue 22 item 10): times in the viewer's zone, "Add to calendar", reminders,
stream links and players, and a page that follows the event's status."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from communities.models import LiveEventStatus, LiveEventType
from communities.services.live import live_event_status_set
from communities.tasks import live_event_reminders_send
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    LiveEventFactory,
)
from notifications.models import Notification, NotificationEmailPreference, NotificationType

pytestmark = pytest.mark.django_db


def _event_url(event, name="event"):
    return reverse(f"communities:{name}", args=[event.community_id, event.pk])


# Time zones


def test_the_browser_sends_its_time_zone_once_and_never_overrides_a_chosen_one(client):
    user = UserFactory()
    client.force_login(user)
    url = reverse("accounts:time_zone_guess")

    page = client.get("/")
    first = client.post(url, {"time_zone": "Europe/Berlin"})
    second = client.post(url, {"time_zone": "America/New_York"})

    assert f'data-time-zone-guess="{url}"' in page.text
    assert first.status_code == second.status_code == 204
    user.refresh_from_db()
    assert user.time_zone == "Europe/Berlin"
    assert 'data-time-zone="Europe/Berlin"' in client.get("/").text


def test_an_unknown_time_zone_is_refused_and_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:time_zone_guess"), {"time_zone": "Mars/Olympus"})

    assert response.status_code == 400
    assert "not a time zone we know" in response.text
    user.refresh_from_db()
    assert user.time_zone == ""


def test_an_event_shows_its_time_in_the_zone_chosen_in_settings(client, community, member):
    event = LiveEventFactory(
        community=community, start_time=datetime(2031, 6, 1, 18, 0, tzinfo=UTC)
    )
    client.force_login(member)

    before = client.get(_event_url(event))
    client.post(
        reverse("accounts:settings_profile"),
        {"full_name": member.full_name, "time_zone": "Asia/Tokyo"},
    )
    after = client.get(_event_url(event))

    assert "June 1, 2031, 6 p.m.</time>" in before.text
    assert "June 2, 2031, 3 a.m.</time>" in after.text
    assert 'data-time-zone="Asia/Tokyo"' in after.text


# Add to calendar


def test_members_download_the_event_as_a_calendar_file(client, community, member):
    event = LiveEventFactory(
        community=community,
        title="Acoustic hour",
        start_time=datetime(2031, 6, 1, 18, 0, tzinfo=UTC),
        end_time=datetime(2031, 6, 1, 19, 30, tzinfo=UTC),
    )
    client.force_login(member)

    page = client.get(_event_url(event))
    response = client.get(_event_url(event, "event_ics"))

    assert "Add to calendar" in page.text
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    entry = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(entry["SUMMARY"]) == f"Acoustic hour ({community.name})"
    assert entry.decoded("DTSTART") == datetime(2031, 6, 1, 18, 0, tzinfo=UTC)
    assert entry.decoded("DTEND") == datetime(2031, 6, 1, 19, 30, tzinfo=UTC)
    assert str(entry["UID"]) == f"live-event-{event.pk}@musicplatform"


def test_outsiders_get_no_calendar_file(client, community, outsider):
    event = LiveEventFactory(community=community, title="Acoustic hour")
    client.force_login(outsider)

    response = client.get(_event_url(event, "event_ics"))

    assert response.status_code == 403
    assert b"Acoustic hour" not in response.content


# Reminders


def test_members_are_reminded_once_before_the_start(
    community, member, django_capture_on_commit_callbacks
):
    soon = LiveEventFactory(community=community, start_time=timezone.now() + timedelta(minutes=20))
    LiveEventFactory(community=community, start_time=timezone.now() + timedelta(hours=3))
    emailed = CommunitySubscriptionFactory(community=community).user
    NotificationEmailPreference.objects.create(
        user=emailed, notification_type=NotificationType.LIVE_EVENT, send_email=True
    )

    with django_capture_on_commit_callbacks(execute=True):
        made = live_event_reminders_send.delay().get()
        again = live_event_reminders_send.delay().get()

    reminders = Notification.objects.filter(title=f"Starting soon: {soon.title}")
    assert made == 2
    assert again == 0
    assert sorted(n.user_id for n in reminders) == sorted([member.pk, emailed.pk])
    assert community.artist.user_id not in {n.user_id for n in reminders}
    # Email copies follow each member's preferences: live events are not emailed by default.
    assert [message.to for message in mail.outbox] == [[emailed.email]]


# Streams


def test_an_artist_schedules_an_event_with_a_youtube_stream_that_plays_on_its_page(
    client, community, member
):
    client.force_login(community.artist.user)
    start = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    client.post(
        reverse("communities:event_create", args=[community.pk]),
        {
            "title": "Album listening party",
            "event_type": LiveEventType.CHAT,
            "start_time": start,
            "stream_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        },
    )
    event = community.live_events.get()
    client.force_login(member)
    page = client.get(_event_url(event))

    assert event.stream_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert (
        '<iframe class="stream-player" src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"'
        in (page.text)
    )
    assert (
        "frame-src 'self' https://www.youtube-nocookie.com https://player.twitch.tv"
        in (page["Content-Security-Policy"])
    )


def test_a_twitch_channel_plays_and_any_other_https_link_is_a_link(client, community, member):
    twitch = LiveEventFactory(community=community, stream_url="https://www.twitch.tv/lunavega")
    other = LiveEventFactory(community=community, stream_url="https://stream.example.org/live")
    client.force_login(member)

    twitch_page = client.get(_event_url(twitch))
    other_page = client.get(_event_url(other))

    assert 'src="https://player.twitch.tv/?channel=lunavega&amp;parent=testserver"' in (
        twitch_page.text
    )
    assert "<iframe" not in other_page.text
    assert 'href="https://stream.example.org/live"' in other_page.text


@pytest.mark.parametrize(
    "link", ["http://www.youtube.com/watch?v=dQw4w9WgXcQ", "javascript:alert(1)", "ftp://x.org/"]
)
def test_a_stream_link_that_is_not_https_is_refused(client, community, link):
    client.force_login(community.artist.user)
    start = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        reverse("communities:event_create", args=[community.pk]),
        {
            "title": "Party",
            "event_type": LiveEventType.CHAT,
            "start_time": start,
            "stream_url": link,
        },
    )

    assert response.status_code == 400
    assert not community.live_events.exists()


# The page follows the status


def test_the_page_learns_that_the_event_went_live_and_then_ended(client, community, member):
    event = LiveEventFactory(community=community, event_type=LiveEventType.CHAT)
    client.force_login(member)
    page = client.get(_event_url(event))
    state_url = _event_url(event, "event_state") + "?status=scheduled"

    unchanged = client.get(state_url)
    live_event_status_set(
        event=event, community=community, by=community.artist.user, new_status="live"
    )
    went_live = client.get(state_url)
    live_event_status_set(
        event=event,
        community=community,
        by=community.artist.user,
        new_status=LiveEventStatus.COMPLETED,
    )
    ended = client.get(_event_url(event, "event_state") + "?status=live")

    assert f'data-hx-get="{state_url}"' in page.text.replace("&amp;", "&")
    assert "chat opens when the event goes live" in page.text
    assert unchanged.status_code == 204
    assert "<html" not in went_live.text
    assert "Live" in went_live.text
    assert 'id="live-log"' in went_live.text and "data-live-stream" in went_live.text
    assert "?status=live" in went_live.text
    assert "This event is over" in ended.text
    assert "data-hx-get" not in ended.text.split('id="live-log"')[0]


def test_an_artist_types_the_start_in_their_own_time_zone(client, community):
    artist_user = community.artist.user
    artist_user.time_zone = "Asia/Tokyo"
    artist_user.save(update_fields=["time_zone"])
    client.force_login(artist_user)

    form = client.get(reverse("communities:event_create", args=[community.pk]))
    client.post(
        reverse("communities:event_create", args=[community.pk]),
        {"title": "Late show", "event_type": LiveEventType.CHAT, "start_time": "2031-06-02T03:00"},
    )

    assert "Starts (Asia/Tokyo)" in form.text
    assert community.live_events.get().start_time == datetime(2031, 6, 1, 18, 0, tzinfo=UTC)
