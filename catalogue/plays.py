"""Play counts: counted in Redis, once per listener and track per window, and added to
`tracks.play_count` by a periodic flush, so playing never writes to PostgreSQL.

A listener is a signed-in user, or else the session or the address. Redis being down
loses the plays of that moment and nothing else: streaming never depends on counting.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from catalogue.models import Track

logger = logging.getLogger(__name__)
FLUSH_BATCH = 500


def _key(name: str) -> str:
    # The cache's own prefix, so each deployment (and test run) has its own counters.
    return cache.make_key(f"catalogue:plays:{name}")


def play_record(*, track_id, listener: str) -> bool:
    """Count a play of `track_id` unless this listener was counted within the window."""
    try:
        redis = get_redis_connection("default")
        first = redis.set(
            _key(f"seen:{track_id}:{listener}"),
            1,
            nx=True,
            ex=settings.CATALOGUE_PLAY_WINDOW_SECONDS,
        )
        if not first:
            return False
        pipe = redis.pipeline()
        pipe.incr(_key(f"count:{track_id}"))
        pipe.sadd(_key("dirty"), str(track_id))
        pipe.execute()
    except RedisError:
        logger.warning("Play of track %s not counted: Redis unavailable", track_id)
        return False
    return True


def plays_flush() -> int:
    """Move the counted plays into PostgreSQL; how many plays were added."""
    redis = get_redis_connection("default")
    added = 0
    while track_ids := redis.spop(_key("dirty"), FLUSH_BATCH):
        for raw_id in track_ids:
            track_id = raw_id.decode()
            count = int(redis.getdel(_key(f"count:{track_id}")) or 0)
            if not count:
                continue
            try:
                Track.objects.filter(pk=track_id).update(play_count=F("play_count") + count)
            except Exception:
                # Give the plays back to Redis for the next flush rather than lose them.
                redis.incrby(_key(f"count:{track_id}"), count)
                redis.sadd(_key("dirty"), track_id)
                raise
            added += count
    return added
