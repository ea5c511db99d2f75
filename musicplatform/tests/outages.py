"""Our own services really down, for the fault tests: a Redis server that served and was
then shut down (its port closed, pooled connections broken), never a mock."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis
from django.core.cache import cache

from musicplatform.celery import app as celery_app
from scripts.devservices import embedded_redis


def redis_shutdown(url: str) -> None:
    """Stop the Redis server at `url` for real: the process exits, the port closes."""
    redis.Redis.from_url(url).shutdown(nosave=True)


def point_celery_at(broker_url: str) -> None:
    # Celery caches its broker connections and producers; drop them so the next publish
    # connects to the new URL.
    celery_app.conf.broker_url = broker_url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def celery_broker_at(broker_url: str) -> Iterator[None]:
    """Tasks are published to `broker_url` (not run in the test's process) until the end
    of the block; then the suite's broker and in-process tasks are back."""
    broker = celery_app.conf.broker_url
    point_celery_at(broker_url)
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        point_celery_at(broker)
        celery_app.conf.task_always_eager = True


@contextmanager
def broker_down() -> Iterator[None]:
    """The Celery broker stops answering for the duration of the block."""
    with embedded_redis() as url:
        redis_shutdown(url)
        with celery_broker_at(url):
            yield


@pytest.fixture
def redis_down(settings):
    """Cache, sessions' fast copy and Celery broker on one Redis, which served a request and
    then stopped, as in production where they share one server."""
    with embedded_redis() as url:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                **settings.CACHES["default"],
                "LOCATION": url,
                "OPTIONS": {**settings.CACHES["default"]["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2},
            },
        }
        cache.set("warm", True)  # the pool now holds a live connection, broken next
        redis_shutdown(url)
        with celery_broker_at(url):
            yield url
