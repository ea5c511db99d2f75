"""Reads that tolerate a little lag go to PostgreSQL read replicas; the rest to the primary.

The replicas are the database aliases named `replica_<n>` (`DATABASE_REPLICA_URLS`). Only
a web request may read from one, through `ReplicaPinMiddleware`, and only while it has
not written; everything else reads the primary, because it is about to write or must see
a write that a replica may not have replayed yet:

- reads inside `transaction.atomic()` (services re-read the rows they change there);
- the rest of a request once it has written, and every POST, PUT, PATCH or DELETE;
- every request from a browser that wrote less than `REPLICA_PIN_SECONDS` ago (a cookie
  with the time of its last write, which shared fragments read too: see
  musicplatform/fragments.py), so a fan sees their own comment, like or follow;
- management commands, Celery tasks and the shell: they run outside any request and
  mostly write, so they never see a replica;
- the computation of cached values (`musicplatform.cache.cached`): a value computed
  from a lagging replica would otherwise outlive the lag by its whole cache timeout.

A request picks one replica at random and keeps it, so a page never mixes two replicas'
points in time. A replica that refuses the connection is skipped by this process for
`REPLICA_RETRY_SECONDS` and the request reads the primary instead: a replica down costs
load on the primary, never a page. With no replicas configured the router sends every
query to the primary and the middleware does nothing.
"""

import logging
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
WRITE_COOKIE = "mp_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass
class ReadScope:
    """What one request may read from: a replica until it writes, then the primary."""

    replica_allowed: bool
    wrote: bool = False
    replica: str | None = None


# No scope (outside a request, or in primary_reads()) means the primary.
_scope: ContextVar[ReadScope | None] = ContextVar("replica_read_scope", default=None)
# Per process: when each replica that refused a connection may be tried again.
_retry_after: dict[str, float] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in connections if alias.startswith(REPLICA_PREFIX)]


@contextmanager
def replica_reads(*, allowed: bool) -> Iterator[ReadScope]:
    """Run a request's reads under a scope that may use a replica while `allowed`."""
    scope = ReadScope(replica_allowed=allowed)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def _connects(alias: str) -> bool:
    connection = connections[alias]
    try:
        # A persistent connection to a replica that went away fails here rather than
        # halfway through the page.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except OperationalError:
        logger.warning(
            "Database replica %s is unreachable; reading from the primary for %s s",
            alias,
            settings.REPLICA_RETRY_SECONDS,
            exc_info=True,
        )
        _retry_after[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        return False
    return True


def _pick_replica() -> str:
    now = time.monotonic()
    candidates = [alias for alias in replica_aliases() if _retry_after.get(alias, 0) <= now]
    random.shuffle(candidates)
    return next((alias for alias in candidates if _connects(alias)), DEFAULT_DB_ALIAS)


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        scope = _scope.get()
        if (
            scope is None
            or not scope.replica_allowed
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if scope.replica is None:
            scope.replica = _pick_replica()
        return scope.replica

    def db_for_write(self, model, **hints) -> str:
        scope = _scope.get()
        if scope is not None:
            scope.replica_allowed = False
            scope.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A replica holds the primary's rows: an object read from one may point to an
        # object read from the other.
        databases = {DEFAULT_DB_ALIAS, *replica_aliases()}
        return (obj1._state.db in databases and obj2._state.db in databases) or None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # Replicas replay the primary's migrations; they cannot run their own.
        return False if db.startswith(REPLICA_PREFIX) else None


class ReplicaPinMiddleware:
    """Lets safe requests read from a replica unless this browser wrote a moment ago.

    The cookie holds the time of the browser's last write, and is set with or without
    replicas: shared fragments are rendered afresh for a browser that wrote within their
    cache time. It is not signed: forging it only sends that browser's own reads to the
    primary and its pages past the fragment cache, which a write would do anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        unsafe = request.method not in SAFE_METHODS
        allowed = (
            bool(replica_aliases())
            and not unsafe
            and seconds_since_write(request) >= settings.REPLICA_PIN_SECONDS
        )
        with replica_reads(allowed=allowed) as scope:
            response = self.get_response(request)
        if unsafe or scope.wrote:
            response.set_cookie(
                WRITE_COOKIE,
                f"{time.time():.3f}",
                max_age=max(settings.REPLICA_PIN_SECONDS, settings.FRAGMENT_CACHE_SECONDS),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def seconds_since_write(request: HttpRequest) -> float:
    """How long ago this browser last wrote; infinite if it never did (or the cookie is not
    a time)."""
    try:
        written_at = float(request.COOKIES.get(WRITE_COOKIE, ""))
    except ValueError:
        return math.inf
    if not math.isfinite(written_at):
        return math.inf
    # A time ahead of this server's clock was written a moment ago by a server whose clock
    # is ahead (or rounded up to the millisecond): the browser has just written. Read as
    # "never", it would send the writer's next page to a replica without their write.
    return max(time.time() - written_at, 0.0)
