"""Announce live-event changes to the ASGI processes, once, after the commit.

The announcement carries the event and the message's `seq`, not the message: a hub that
hears it reads every message after its own cursor from PostgreSQL, so announcements that
arrive out of order, twice or not at all (Redis restarting) still deliver every message,
once, in `seq` order (commit order: inserts are serialised per event).
"""

import json
from functools import cache

import redis
from django.conf import settings
from django.db import transaction

# One channel for every event: each ASGI process subscribes once, whatever it serves.
CHANNEL = "live:events"


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)


def _publish(payload: dict) -> None:
    _redis().publish(CHANNEL, json.dumps(payload))


def live_message_announce(*, event_id, seq: int) -> None:
    # robust: Redis being down loses only the announcement (pollers and the next
    # announcement still carry the message), never the request that posted it.
    transaction.on_commit(lambda: _publish({"event": str(event_id), "seq": seq}), robust=True)


def live_event_end_announce(*, event_id) -> None:
    transaction.on_commit(lambda: _publish({"event": str(event_id), "end": True}), robust=True)
