"""The signed-in user from Redis instead of PostgreSQL on every request (issue 26, item 2).

Django's AuthenticationMiddleware reads the user with a query on every signed-in request
(and, with CONN_HEALTH_CHECKS, a health check of the connection before it): on a bare
view that is most of the cost of being signed in. Here the user, once read, is kept in
the cache under its id; any save or delete of the user forgets it (accounts.receivers),
and so do the services that change users with an UPDATE (deactivation). A cached user is
used only if it is still active and its session hash (derived from the password) matches
the session's, as Django itself checks; anything else takes Django's own path, which
also flushes a session whose password changed.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

# Every change to a user forgets its copy at once; the timeout bounds the rare race of a
# request that read the old row just before a change and caches it just after.
USER_CACHE_SECONDS = 60


def user_cache_key(user_id) -> str:
    return f"accounts:user:v1:{user_id}"


def cached_user(request):
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None:
        return auth.get_user(request)  # anonymous, without a query
    backend = session.get(auth.BACKEND_SESSION_KEY)
    user = cache.get(user_cache_key(user_id))
    if (
        user is not None
        and backend in settings.AUTHENTICATION_BACKENDS
        and user.is_active
        and constant_time_compare(
            session.get(auth.HASH_SESSION_KEY, ""), user.get_session_auth_hash()
        )
    ):
        user.backend = backend
        return user
    user = auth.get_user(request)
    if user.is_authenticated:
        cache.set(user_cache_key(user.pk), user, USER_CACHE_SECONDS)
    return user


class CachedUserAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with `request.user` read through the cache (`request.auser` unchanged)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: cached_user(request))
