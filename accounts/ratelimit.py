"""Rate limits counted in PostgreSQL, so that they hold whatever Redis does.

allauth keeps its rate limits in the default cache, which ignores Redis errors: with Redis
down every limited action (sign-up, password reset, …) would refuse everybody, as its cache
lock can never be taken. Failed sign-ins are limited per address and per login name in
`login_failures`: Django's `user_login_failed` signal counts failures of every login form
(allauth's, the admin's, reauthentication); allauth's adapter and the admin site ask
`login_refused()` before they check a password. The limits are made so that they cannot
be turned against the owner: failures count per account *and* address with a growing
delay, spraying is limited per address across accounts, and a browser the owner has
signed in with before (the signed `mp_device` cookie) is never refused. allauth's other limits keep their own
rules but are kept in the `rate_limits` table (`allauth_limits_in_postgresql()`).
"""

from datetime import timedelta

from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.core.ratelimit import respond_429
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.utils import timezone
from django.utils.connection import ConnectionProxy

from accounts import selectors, services


def client_ip(request) -> str:
    # The adapter's reading: X-Forwarded-For only from TRUSTED_PROXIES (accounts/adapters.py).
    return get_adapter().get_client_ip(request)


KNOWN_DEVICE_COOKIE = "mp_device"
KNOWN_DEVICE_SALT = "accounts.ratelimit.known-device"
KNOWN_DEVICE_AGE = 365 * 24 * 3600
# Logins remembered per browser (a shared family computer), newest kept.
KNOWN_DEVICE_LOGINS = 5


def known_logins(request) -> list[str]:
    """The login keys this browser has signed in with (a signed cookie)."""
    try:
        keys = signing.loads(
            request.COOKIES.get(KNOWN_DEVICE_COOKIE, ""),
            salt=KNOWN_DEVICE_SALT,
            max_age=KNOWN_DEVICE_AGE,
        )
    except signing.BadSignature:
        return []
    return [key for key in keys if isinstance(key, str)] if isinstance(keys, list) else []


def pair_delay(failures: int) -> timedelta:
    """How long after the last failure of an account from one address the next attempt
    waits: nothing for the first free ones, then doubling up to the longest delay."""
    over = failures - settings.LOGIN_PAIR_FREE_FAILURES
    if over < 0:
        return timedelta(0)
    first, longest = settings.LOGIN_PAIR_DELAY
    return min(first * 2 ** min(over, 20), longest)


def login_refused(request, login: str) -> bool:
    """Whether this sign-in attempt is refused before its password is checked."""
    if services.login_key(login) in known_logins(request):
        # The owner's own browser: no attacker elsewhere can lock it out.
        return False
    limits = settings.LOGIN_FAILURE_LIMITS
    now = timezone.now()
    failures = selectors.login_failures_since(
        ip_address=client_ip(request), login=login, since=now - settings.LOGIN_FAILURE_WINDOW
    )
    if failures.from_ip >= limits["ip"] or failures.ip_accounts >= limits["ip_accounts"]:
        return True
    if failures.for_login >= limits["login"]:
        return True
    return failures.pair_last is not None and now < failures.pair_last + pair_delay(failures.pair)


def login_failed(request, login: str) -> None:
    services.login_failure_record(
        ip_address=client_ip(request), login=login, keep=settings.LOGIN_FAILURE_WINDOW
    )


def login_succeeded(request, user) -> None:
    """Remember this browser for the user's logins; the cookie is set on the response."""
    keys = [services.login_key(user.email), services.login_key(user.username)]
    remembered = [key for key in known_logins(request) if key not in keys]
    request.known_device_logins = (keys + remembered)[: KNOWN_DEVICE_LOGINS * 2]


class KnownDeviceMiddleware:
    """Sets the known-device cookie after a successful sign-in (`login_succeeded`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        keys = getattr(request, "known_device_logins", None)
        if keys is not None:
            response.set_cookie(
                KNOWN_DEVICE_COOKIE,
                signing.dumps(keys, salt=KNOWN_DEVICE_SALT),
                max_age=KNOWN_DEVICE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response


def login_of(credentials: dict) -> str:
    # The name allauth itself counts failed logins under.
    return credentials.get("email", credentials.get("username", ""))


def too_many_failures(request):
    return respond_429(request)


def allauth_limits_in_postgresql() -> None:
    """Point allauth's rate limits at the database cache (`CACHES["ratelimits"]`).

    allauth has no setting for the cache its limits use: it reads, locks and writes them
    through its module's `cache`, the default one, which is replaced here. A proxy, like
    Django's own `cache`, so that each thread gets its own cache object.
    """
    allauth_ratelimit.cache = ConnectionProxy(caches, "ratelimits")
