import pytest
from django.core.cache import cache
from django.db import transaction

from musicplatform.cache import CachedValue, cached, cached_many, invalidate_on_commit

pytestmark = pytest.mark.django_db


def test_a_cached_value_is_computed_once_until_invalidated(django_capture_on_commit_callbacks):
    computed = []

    def compute():
        computed.append(1)
        return {"members": len(computed)}

    assert cached("community:1", compute, timeout=60) == {"members": 1}
    assert cached("community:1", compute, timeout=60) == {"members": 1}
    with django_capture_on_commit_callbacks(execute=True):
        invalidate_on_commit("community:1")
    assert cached("community:1", compute, timeout=60) == {"members": 2}


def test_several_values_read_together_come_in_order_and_only_the_missing_are_computed():
    computed = []

    def compute(name):
        def value():
            computed.append(name)
            return f"{name} {len(computed)}"

        return CachedValue(name, value, 60)

    cache.set("featured", "featured 0", 60)

    assert cached_many(compute("popular"), compute("featured"), compute("new")) == [
        "popular 1",
        "featured 0",
        "new 2",
    ]
    assert cached_many(compute("new"), compute("popular")) == ["new 2", "popular 1"]
    assert computed == ["popular", "new"]


def test_none_is_a_value_worth_caching():
    calls = []

    def compute():
        calls.append(1)

    cached("nothing", compute, timeout=60)
    cached("nothing", compute, timeout=60)

    assert len(calls) == 1


def test_invalidation_waits_for_the_commit(django_capture_on_commit_callbacks):
    cache.set("community:2", "old", 60)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            invalidate_on_commit("community:2")
        assert cache.get("community:2") == "old"

    for callback in callbacks:
        callback()
    assert cache.get("community:2") is None


def test_clearing_the_cache_keeps_the_broker_queue_that_shares_its_redis_database():
    """`cache.clear()` (every test starts with one) used to FLUSHDB: queued Celery tasks
    and other processes' keys went with it. Only this cache's own keys go now."""
    redis = cache.client.get_client()
    redis.rpush("celery", "a queued task")  # the broker's default queue, shaped like kombu's
    cache.set("page", "cached html")
    try:
        cache.clear()

        assert cache.get("page") is None
        assert redis.lrange("celery", 0, -1) == [b"a queued task"]
    finally:
        redis.delete("celery")
