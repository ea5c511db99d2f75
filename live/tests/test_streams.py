"""The chat stream served by a real uvicorn (in a thread of the test process, so on the
test database) against the real Redis: what a viewer's EventSource receives."""

import asyncio
import datetime
import http.client
import json
import queue
import socket
import threading
import time

import pytest
import redis
import uvicorn
from django.conf import settings
from django.db import transaction
from django.test import Client

from accounts.tests.factories import UserFactory
from communities.models import LiveEventMessage, LiveEventStatus, LiveEventType
from communities.services.live import live_event_message_post, live_event_status_set
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from live.hub import HEARTBEAT_SECONDS
from live.publish import CHANNEL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def live_server_url():
    from live.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def cookie_of(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


class Stream:
    """An EventSource's view of /live/events/<id>/: its status, then its frames (read by
    a thread of its own, so that a test can also see that nothing arrives)."""

    def __init__(self, address, event, user=None, headers=None, query=""):
        self.connection = http.client.HTTPConnection(*address, timeout=30)
        headers = dict(headers or {})
        if user is not None:
            headers["Cookie"] = cookie_of(user)
        self.connection.request("GET", f"/live/events/{event.pk}/{query}", headers=headers)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.received = queue.Queue()
        self.comments = queue.Queue()
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        current = {}
        try:
            while line := self.response.readline():
                line = line.decode().rstrip("\n")
                if line.startswith(":"):
                    self.comments.put(line)
                elif line:
                    name, _, value = line.partition(": ")
                    current[name] = current.get(name, "") + value
                elif current:
                    if current.get("event") in ("message", "end"):
                        self.received.put(current)
                    current = {}
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed by the test

    def frames(self, count: int, timeout: float = 5.0) -> list[dict]:
        """The next `count` frames that are messages or the end (comments skipped)."""
        return [self.received.get(timeout=timeout) for _ in range(count)]

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.received.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self):
        self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()


@pytest.fixture
def chat():
    community = CommunityFactory()
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    members = [CommunitySubscriptionFactory(community=community).user for _ in range(3)]
    return event, members


def post(event, user, content):
    return live_event_message_post(event=event, by=user, content=content)


def test_a_message_reaches_the_stream_after_its_commit_in_order(live_server_url, chat):
    event, (alice, bob, carol) = chat
    stream = Stream(live_server_url, event, alice, query="?after=0")
    assert stream.status == 200
    assert stream.response.getheader("Content-Type") == "text/event-stream"
    with transaction.atomic():
        post(event, alice, "Not before the commit")
        assert stream.nothing_within(0.7)
    # Announced at the commit: it arrives without any later message to wake the stream.
    frames = stream.frames(1)
    for user, content in ((bob, "Second"), (carol, "Third")):
        post(event, user, content)
    frames += stream.frames(2)
    assert [frame["id"] for frame in frames] == ["1", "2", "3"]
    assert "Not before the commit" in frames[0]["data"]
    assert "Second" in frames[1]["data"] and "Third" in frames[2]["data"]
    assert frames[0]["data"].startswith('<li class="chat-message" id="live-1">')
    stream.close()


def test_a_reconnecting_viewer_resumes_after_last_event_id(live_server_url, chat):
    event, (alice, bob, carol) = chat
    for user, content in ((alice, "one"), (bob, "two"), (carol, "three")):
        post(event, user, content)
    stream = Stream(live_server_url, event, alice, headers={"Last-Event-ID": "1"}, query="?after=0")
    assert [frame["id"] for frame in stream.frames(2)] == ["2", "3"]
    post(event, alice, "four")
    assert [frame["id"] for frame in stream.frames(1)] == ["4"]
    assert stream.nothing_within(0.7)  # no message twice
    stream.close()


def test_a_viewer_without_a_cursor_gets_new_messages_only(live_server_url, chat):
    event, (alice, bob, _carol) = chat
    post(event, alice, "before")
    stream = Stream(live_server_url, event, bob)
    message = post(event, bob, "after")
    (frame,) = stream.frames(1)
    assert frame["id"] == "2" and "after" in frame["data"]
    # Rendered at the post, with the time PostgreSQL stored (the INSERT returned it).
    stored = LiveEventMessage.objects.get(pk=message.pk).created_at
    assert message.created_at == stored
    shown = stored.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
    assert f'<time datetime="{shown.replace("+00:00", "Z")}"' in frame["data"]
    stream.close()


def test_only_members_may_subscribe(live_server_url, chat):
    event, (alice, _bob, _carol) = chat
    outsider = UserFactory()
    refused = Stream(live_server_url, event, outsider)
    assert refused.status == 403
    assert refused.response.read() == b"This is for the community's members."
    assert Stream(live_server_url, event).status == 403  # signed out
    # A member of another community is no member of this one.
    elsewhere = CommunitySubscriptionFactory(community=CommunityFactory()).user
    assert Stream(live_server_url, event, elsewhere).status == 403
    assert Stream(live_server_url, event, alice).status == 200


def test_an_event_that_ends_closes_its_streams_and_refuses_new_ones(live_server_url, chat):
    event, (alice, _bob, _carol) = chat
    stream = Stream(live_server_url, event, alice)
    live_event_status_set(
        event=event,
        community=event.community,
        by=event.community.artist.user,
        new_status=LiveEventStatus.COMPLETED,
    )
    assert [frame["event"] for frame in stream.frames(1)] == ["end"]
    # 204: EventSource does not reconnect.
    assert Stream(live_server_url, event, alice).status == 204


def test_a_q_and_a_or_missing_event_has_no_stream(live_server_url, chat):
    _event, (alice, _bob, _carol) = chat
    qa = LiveEventFactory(event_type=LiveEventType.QA, status=LiveEventStatus.LIVE)
    assert Stream(live_server_url, qa, alice).status == 404


def test_one_redis_subscription_per_process_fans_out_to_every_viewer(live_server_url, chat):
    event, (alice, bob, carol) = chat
    other = LiveEventFactory(
        community=event.community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    streams = [Stream(live_server_url, event, user) for user in (alice, bob, carol)]
    streams += [Stream(live_server_url, other, user) for user in (alice, bob)]
    server = redis.Redis.from_url(settings.REDIS_URL)
    assert server.pubsub_numsub(CHANNEL) == [(CHANNEL.encode(), 1)]
    pubsub_clients = [c for c in server.client_list() if int(c["sub"]) or int(c["psub"])]
    assert len(pubsub_clients) == 1
    post(event, alice, "to all three")
    for stream in streams[:3]:
        (frame,) = stream.frames(1)
        assert "to all three" in frame["data"]
    assert streams[3].nothing_within(0.5)
    for stream in streams:
        stream.close()


def test_a_published_frame_goes_out_as_it_is_without_reading_the_database(live_server_url, chat):
    event, (alice, _bob, _carol) = chat
    stream = Stream(live_server_url, event, alice)
    # A frame for a seq that no row holds: only the publication itself can carry it.
    frame = 'id: 1\nevent: message\ndata: <li class="chat-message">Rendered once</li>\n\n'
    redis.Redis.from_url(settings.REDIS_URL).publish(
        CHANNEL, json.dumps({"event": str(event.pk), "seq": 1, "frame": frame})
    )
    (received,) = stream.frames(1)
    assert received["id"] == "1" and "Rendered once" in received["data"]
    stream.close()


def test_a_lost_publication_is_read_from_the_database_in_order(live_server_url, chat):
    event, (alice, bob, _carol) = chat
    stream = Stream(live_server_url, event, alice)
    # Committed, but its publication never reached Redis (Redis restarting, say).
    LiveEventMessageFactory(event=event, user=bob, seq=1, content="Never published")
    post(event, alice, "Published")
    frames = stream.frames(2)
    assert [frame["id"] for frame in frames] == ["1", "2"]
    assert "Never published" in frames[0]["data"] and "Published" in frames[1]["data"]
    assert stream.nothing_within(0.5)  # no message twice
    stream.close()


def test_an_idle_stream_gets_a_heartbeat_comment(live_server_url, chat):
    event, (alice, _bob, _carol) = chat
    stream = Stream(live_server_url, event, alice)
    # Proxies and load balancers close a connection silent for a minute or so.
    assert stream.comments.get(timeout=HEARTBEAT_SECONDS + 5) == ": "
    assert stream.nothing_within(0.1)  # a comment, not a message
    stream.close()
