"""Publish live-event changes to the ASGI processes, once, after the commit.

A message is published as its SSE frame, rendered here once for every viewer, so the ASGI
processes only write bytes. Publishing follows commit order almost always (inserts are
serialised per event, each published right after its commit), but two commits close
together may publish out of order, and Redis restarting loses what it was sent: a hub that
sees a `seq` that is not the next one reads what it misses from PostgreSQL instead
(live/hub.py), so every message still reaches every viewer once, in `seq` order.
"""

import json
from functools import cache

import redis
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

# One channel for every event: each ASGI process subscribes once, whatever it serves.
CHANNEL = "live:events"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _publish(payload: dict) -> None:
    _redis().publish(CHANNEL, json.dumps(payload))


def message_frame(*, message, community) -> bytes:
    """The chat message as the SSE frame every viewer receives (`id:` is its seq)."""
    html = render_to_string(
        "communities/_live_message.html", {"message": message, "community": community}
    )
    data = "".join(f"data: {line}\n" for line in html.strip().splitlines())
    return f"id: {message.seq}\nevent: message\n{data}\n".encode()


def live_message_publish(*, message, community) -> None:
    """Once the message is committed: its frame to every ASGI process."""

    def publish() -> None:
        frame = message_frame(message=message, community=community)
        _publish({"event": str(message.event_id), "seq": message.seq, "frame": frame.decode()})

    # robust: Redis being down loses only the publication (pollers and the next message's
    # gap read still carry the message), never the request that posted it.
    transaction.on_commit(publish, robust=True)


def live_event_end_announce(*, event_id) -> None:
    transaction.on_commit(lambda: _publish({"event": str(event_id), "end": True}), robust=True)
