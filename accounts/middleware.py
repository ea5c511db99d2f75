"""The signed-in user from Redis instead of PostgreSQL on every request (issue 26, item 2).

Django's AuthenticationMiddleware reads the user with a query on every signed-in request
(and, with CONN_HEALTH_CHECKS, a health check of the connection before it): on a bare
view that is most of the cost of being signed in. Here the user, once read, is kept in
the cache under its id; any save or delete of the user forgets it (accounts.receivers),
and so do the services that change users with an UPDATE (deactivation). A cached user is
used only if it is still active and its session hash (derived from the password) matches
the session's, as Django itself checks; anything else takes Django's own path, which
also flushes a session whose password changed.

The user's key is known only once the session is read: a second Redis round trip,
waiting for the first. So the browser also keeps the id of the user it is signed in as
in a cookie (`mp_uid`, set and removed here when it differs from the request's user),
and the session and the cached user are read together with one MGET
(accounts.sessions). The cookie is only a hint of which entry to fetch: the user is
the session's, always; a cached entry of any other user is ignored, so a changed or
forged cookie costs a round trip, never an identity.

Apps above this one that read a cache entry of the user's on every page (the header's
unread count) name its key with `read_with_the_user()`, and it comes in the same MGET,
kept in `request.read_with_the_user` only when the hint was the session's user.
"""

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject, empty

from accounts.sessions import SessionStore

# Every change to a user forgets its copy at once; the timeout bounds the rare race of a
# request that read the old row just before a change and caches it just after.
USER_CACHE_SECONDS = 60
USER_HINT_COOKIE = "mp_uid"


_KEYS_READ_WITH_THE_USER: list[Callable[[uuid.UUID], str]] = []


def read_with_the_user(key_of: Callable[[uuid.UUID], str]) -> None:
    """Read the cache entry `key_of(user_id)` in the session's round trip from now on
    (called from an `AppConfig.ready()`)."""
    _KEYS_READ_WITH_THE_USER.append(key_of)


def user_cache_key(user_id) -> str:
    return f"accounts:user:v1:{user_id}"


def _hinted_user_id(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.COOKIES.get(USER_HINT_COOKIE, ""))
    except ValueError:
        return None


def cached_user(request):
    session = request.session
    hinted_id = _hinted_user_id(request)
    hinted_key = None if hinted_id is None else user_cache_key(hinted_id)
    read_along = (
        [] if hinted_id is None else [key_of(hinted_id) for key_of in _KEYS_READ_WITH_THE_USER]
    )
    prefetched = (
        session.load_along_with([hinted_key, *read_along])
        if hinted_key is not None and isinstance(session, SessionStore)
        else {}
    )
    user_id = session.get(auth.SESSION_KEY)
    if user_id is None:
        return auth.get_user(request)  # anonymous, without a query
    backend = session.get(auth.BACKEND_SESSION_KEY)
    key = user_cache_key(user_id)
    user = prefetched.get(key) if key == hinted_key else cache.get(key)
    if (
        user is not None
        and backend in settings.AUTHENTICATION_BACKENDS
        and user.is_active
        and constant_time_compare(
            session.get(auth.HASH_SESSION_KEY, ""), user.get_session_auth_hash()
        )
    ):
        user.backend = backend
        if key == hinted_key:  # else the entries read along are another user's
            request.read_with_the_user = {
                entry: prefetched[entry] for entry in read_along if entry in prefetched
            }
        return user
    user = auth.get_user(request)
    if user.is_authenticated:
        cache.set(user_cache_key(user.pk), user, USER_CACHE_SECONDS)
    return user


def _remember_user_hint(request, response) -> None:
    """The hint cookie follows the request's user: set at sign-in (or on the first request
    of a session from before it existed), removed at sign-out."""
    user = request.user
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return  # nobody asked who the user is: nothing learnt, nothing to pay for
    hint = str(user.pk) if user.is_authenticated else None
    if hint == request.COOKIES.get(USER_HINT_COOKIE):
        return
    if hint is None:
        response.delete_cookie(
            USER_HINT_COOKIE,
            path=settings.SESSION_COOKIE_PATH,
            domain=settings.SESSION_COOKIE_DOMAIN,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
        return
    response.set_cookie(
        USER_HINT_COOKIE,
        hint,
        max_age=None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


class CachedUserAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with `request.user` read through the cache (`request.auser` unchanged)."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: cached_user(request))

    def process_response(self, request, response):
        _remember_user_hint(request, response)
        return response
