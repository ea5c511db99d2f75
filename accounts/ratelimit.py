"""Rate limits counted in PostgreSQL, so that they hold whatever Redis does.

allauth keeps its rate limits in the default cache, which ignores Redis errors: with Redis
down every limited action (sign-up, password reset, …) would refuse everybody, as its cache
lock can never be taken. Failed sign-ins are limited per address and per login name in
`login_failures`: Django's `user_login_failed` signal counts failures of every login form
(allauth's, the admin's, reauthentication); allauth's adapter and the admin site ask
`login_refused()` before they check a password. allauth's other limits keep their own
rules but are kept in the `rate_limits` table (`allauth_limits_in_postgresql()`).
"""

from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from allauth.core.ratelimit import respond_429
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.connection import ConnectionProxy

from accounts import selectors, services


def client_ip(request) -> str:
    # allauth's reading of the address honours its trusted-proxy settings.
    return get_adapter().get_client_ip(request)


def login_refused(request, login: str) -> bool:
    ip_amount, ip_window = settings.LOGIN_FAILURE_LIMITS["ip"]
    login_amount, login_window = settings.LOGIN_FAILURE_LIMITS["login"]
    now = timezone.now()
    by_ip, by_login = selectors.login_failures_since(
        ip_address=client_ip(request),
        ip_since=now - ip_window,
        login=login,
        login_since=now - login_window,
    )
    return by_ip >= ip_amount or by_login >= login_amount


def login_failed(request, login: str) -> None:
    keep = max(window for _amount, window in settings.LOGIN_FAILURE_LIMITS.values())
    services.login_failure_record(ip_address=client_ip(request), login=login, keep=keep)


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
