"""CSRF on every state-changing request and no state change on GET, for every URL of the
project (docs/security.md, section 5).

The URLs and the world behind them are the authorization matrix's
(test_authorization.py): every named pattern of ours with an object of each kind, plus the
parameterless URLs of the admin and allauth. Each request runs in a transaction rolled
back afterwards, and PostgreSQL's own write counters tell whether it wrote anything. The
world lives in a transaction of its own for the whole module (and with reauthentication
switched off, as in the matrix), so this module holds only these tests.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from musicplatform.tests import test_authorization as authz
from musicplatform.tests.test_authorization import (
    ANON,
    MEMBER,
    OWNER,
    PATTERNS,
    POST_DATA,
    POST_ONLY,
    STAFF,
    client_for,
    request_undone,
)
from notifications.models import Notification

module_world = authz.module_world
world = authz.world

# Views that take no CSRF token on purpose, and what guards them instead.
CSRF_EXEMPT = {
    "payments:stripe_webhook": 400,  # Stripe's signature; an unsigned call is refused
    "ledger:stripe_webhook": 400,  # Stripe Connect's signature, the same way
}


def routes_without_parameters(namespaces: tuple[str, ...]) -> dict[str, str]:
    """Named patterns without parameters under these namespaces or allauth's URLconf:
    what test_authorization.PATTERNS leaves out (the admin, allauth)."""
    found: dict[str, str] = {}

    def walk(patterns, namespace: str, prefix: str, wanted: bool) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                inside = wanted or pattern.namespace in namespaces or module.startswith("allauth")
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern), inside)
            elif isinstance(pattern, URLPattern) and wanted and pattern.name:
                route = prefix + str(pattern.pattern)
                if "<" not in route and "(?P" not in route:
                    found[f"{namespace}{pattern.name}"] = route

    walk(get_resolver().url_patterns, "", "", False)
    return found


OTHER_ROUTES = routes_without_parameters(("admin",))


def test_the_admin_and_allauth_routes_are_found():
    assert {"account_login", "account_logout", "account_email", "admin:login"} <= set(OTHER_ROUTES)
    assert "admin:accounts_user_changelist" in OTHER_ROUTES


def url_of(world, name: str) -> str:
    return reverse(name, kwargs=world["kwargs"].get(name)) if name in PATTERNS else reverse(name)


def csrf_enforcing_client(world, role: str) -> Client:
    """The role's session in a client that checks CSRF tokens, as a browser's request
    forged by another site would meet it (no token)."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies = client_for(world, role).cookies
    return client


@pytest.mark.parametrize("name", sorted({*PATTERNS, *OTHER_ROUTES}))
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(world, name):
    url = url_of(world, name)
    failures = []
    for role in (OWNER, STAFF, ANON):
        client = csrf_enforcing_client(world, role)
        response, _text, changed = request_undone(client, "post", url, POST_DATA.get(name))
        expected = CSRF_EXEMPT.get(name, 403)
        if response.status_code != expected:
            failures.append(f"{role}: POST {url} answered {response.status_code}")
        if changed:
            failures.append(f"{role}: POST {url} changed {changed}")
    assert failures == []


# Views whose GET writes, and why that is no state change an attacker could use.
GET_WRITES = {
    # Following a notification (from the list or its email) marks it read: the reader's
    # own flag, set again to the same value.
    "notifications:open": {"notifications"},
    # Reading a topic moves the reader's own read position ("3 new replies") forward to
    # the newest reply shown; it never moves back, and nothing else is written.
    "communities:topic": {"forum_topic_reads"},
    # allauth records the account's own address when it has none in its table yet (an
    # account made by staff rather than by sign-up); nothing a request chooses.
    "account_email": {"account_emailaddress"},
    # Serving a bought file records that it was delivered (docs/payments.md, "Promises"):
    # what decides whether the buyer may still cancel it for a refund.
    "shop:download": {"download_uses"},
}


def buyer_client(world) -> Client:
    """The buyer of the world's orders, to whom its orders, payments and notifications
    belong (none of the matrix's roles is)."""
    notification_id = world["kwargs"]["notifications:open"]["notification_id"]
    client = Client(raise_request_exception=False)
    client.force_login(Notification.objects.get(pk=notification_id).user)
    return client


@pytest.mark.parametrize("name", sorted({*PATTERNS, *OTHER_ROUTES}))
def test_a_get_changes_no_row(world, name):
    url = url_of(world, name)
    failures = []
    clients = {role: client_for(world, role) for role in (OWNER, MEMBER, STAFF, ANON)}
    clients["buyer"] = buyer_client(world)
    for role, client in clients.items():
        response, _text, changed = request_undone(client, "get", url)
        if response.status_code >= 500:
            failures.append(f"{role}: GET {url} answered {response.status_code}")
        if unexpected := set(changed) - GET_WRITES.get(name, set()):
            failures.append(f"{role}: GET {url} changed {sorted(unexpected)}")
        if name in POST_ONLY and response.status_code not in (405, 302):
            failures.append(f"{role}: GET of POST-only {url} answered {response.status_code}")
    assert failures == []
