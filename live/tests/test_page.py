"""The live chat page opens the stream with a script the Content-Security-Policy allows,
and keeps its poller for browsers without it."""

import re

import pytest

from communities.models import LiveEventStatus, LiveEventType
from communities.tests.factories import CommunitySubscriptionFactory, LiveEventFactory

pytestmark = pytest.mark.django_db


def page_of(client, status):
    event = LiveEventFactory(event_type=LiveEventType.CHAT, status=status)
    client.force_login(CommunitySubscriptionFactory(community=event.community).user)
    return event, client.get(event.get_absolute_url())


def test_a_live_chat_streams_with_a_nonced_script_and_keeps_polling(client):
    event, response = page_of(client, LiveEventStatus.LIVE)
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]

    assert f'data-live-stream="/live/events/{event.pk}/"' in html
    assert re.search(rf'<script src="/static/js/live[^"]*\.js" defer nonce="{nonce}">', html)
    assert 'id="live-poller"' in html and 'hx-trigger="every 2s"' in html


def test_an_event_that_is_over_opens_no_stream(client):
    _event, response = page_of(client, LiveEventStatus.COMPLETED)
    html = response.content.decode()

    assert "data-live-stream" not in html and "live.js" not in html
