"""Read-through caching in Redis, with explicit invalidation by the services that write.

Each cached thing has a key built by one function next to the selector that computes it,
and the service that changes the underlying rows deletes that key in the same breath
(after commit). When Redis is down, django-redis ignores the error and the value is
computed from PostgreSQL: the cache makes pages faster, never makes them fail.
"""

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import transaction
from django_redis.cache import RedisCache, omit_exception

from musicplatform.routers import primary_reads


class OwnKeysRedisCache(RedisCache):
    """django-redis, except that `clear()` deletes only the keys under this cache's
    `KEY_PREFIX` instead of flushing the whole Redis database, which also holds the
    Celery broker's queues (and, in tests, other test runs' keys)."""

    @omit_exception
    def clear(self) -> None:
        self.delete_pattern("*")


class CachedValue[T](NamedTuple):
    """A value kept in Redis: its key, what computes it, for how many seconds."""

    key: str
    compute: Callable[[], T]
    timeout: int


def cached[T](key: str, compute: Callable[[], T], *, timeout: int) -> T:
    return cached_many(CachedValue(key, compute, timeout))[0]


def cached_many(*values: CachedValue) -> list:
    """Several cached values in one round trip to Redis (a page reading three of them
    paid three), each missing one computed and stored; in the order given."""
    return cached_many_reading(values, also=())[0]


def cached_many_reading(
    values: Iterable[CachedValue], *, also: Iterable[str]
) -> tuple[list, dict[str, Any]]:
    """`cached_many(*values)`, and the entries of the keys `also` that exist, read in the
    same round trip (never computed)."""
    values, also = list(values), list(also)
    found = cache.get_many([value.key for value in values] + also)
    others = {key: found.pop(key) for key in also if key in found}
    missing = [value for value in values if value.key not in found]
    if missing:
        # From the primary: a lagging replica's rows would stay cached for the whole
        # timeout, after the write that invalidated the key. (Storing evaluates a lazy
        # value, so it happens in the same block.)
        with primary_reads():
            computed = {value.key: value.compute() for value in missing}
            # One round trip per timeout (a pipeline), not one per value: a search of
            # new words stores its seven kinds' ids at once.
            for timeout in dict.fromkeys(value.timeout for value in missing):
                cache.set_many(
                    {
                        value.key: computed[value.key]
                        for value in missing
                        if value.timeout == timeout
                    },
                    timeout,
                )
        found.update(computed)
    return [found[value.key] for value in values], others


def invalidate_on_commit(*keys: str) -> None:
    """Forget the keys once the change that made them stale is committed.

    Deleting before the commit would let a concurrent reader cache the old rows again.
    """
    transaction.on_commit(lambda: cache.delete_many(list(keys)))
