"""Failed sign-ins are limited per address and per login name, counted in PostgreSQL.

allauth keeps its rate limits in the default cache, which ignores Redis errors: with Redis
down its login limits would either lock everybody out (its cache lock can never be
taken) or, with another cache, count nothing. These counts live in `login_failures`
instead, so the limit holds whatever Redis does. Django's `user_login_failed` signal
counts failures of every login form (allauth's, the admin's, reauthentication); allauth's
adapter and the admin site ask `login_refused()` before they check a password.
"""

from allauth.account.adapter import get_adapter
from allauth.core.ratelimit import respond_429
from django.conf import settings
from django.utils import timezone

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
