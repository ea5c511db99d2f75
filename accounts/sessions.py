"""Django's `cached_db` sessions, able to read other cache entries in the session's round trip.

A signed-in request reads the session and then the user (accounts/middleware.py): two
Redis round trips, the second waiting for the first to name the user. When the user is
known beforehand (the hint cookie of accounts.middleware), `load_along_with()` reads the
session and the user's entry with one MGET.
"""

from typing import Any

from django.contrib.sessions.backends import cached_db
from django.core.cache.backends.base import BaseCache


class SessionStore(cached_db.SessionStore):
    _cache: BaseCache  # set by cached_db's __init__ (SESSION_CACHE_ALIAS); not in the stubs

    def load_along_with(self, keys: list[str]) -> dict[str, Any]:
        """The cache entries of `keys` that exist, read in one round trip with the session
        when the session is not loaded yet, which is then loaded as `load()` would."""
        if self.session_key is None or hasattr(self, "_session_cache"):
            return self._cache.get_many(keys)
        found = self._cache.get_many([self.cache_key, *keys])
        data = found.pop(self.cache_key, None)
        # Not in Redis (evicted, or Redis down): cached_db's own path, which reads
        # PostgreSQL and caches the session again.
        self._session_cache = data if data is not None else self.load()
        return found
