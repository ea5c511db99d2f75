"""Web security (docs/security.md, section 5): deployment checks, Content-Security-Policy,
HSTS and cookies, redirects that stay on our host, sessions, reauthentication, login rate
limits and password resets that reveal nothing. CSRF and safe GETs on every URL are
test_csrf_and_safe_methods.py's."""

import html.parser
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginFailure, User
from accounts.tests.factories import (
    FACTORY_PASSWORD,
    UserFactory,
    UserPreferencesFactory,
    sign_in_recently,
    verified_user,
)
from artists.models import ArtistPayoutMethod
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunitySubscriptionFactory
from content.tests.factories import PostFactory, ReviewFactory
from musicplatform.tests.test_settings import PRODUCTION_ENVIRONMENT, settings_in_subprocess

# --- 1. Deployment checks and production settings -------------------------------------------

DEPLOY_ENVIRONMENT = {
    **PRODUCTION_ENVIRONMENT,
    # The checks reach the suite's own database and Redis.
    "DATABASE_URL": os.environ["DATABASE_URL"],
    "REDIS_URL": os.environ["REDIS_URL"],
    # Django's own rules for a production key: long, varied, not "django-insecure-".
    "SECRET_KEY": "p7Rk2vXq9LmZ4tWb8NcY1sHd6FgJ3uQe5AoTiKyPzVxMnBrCwDlSjGhEfUaQ0",
    # Without SMTP production would print mail to a console nobody reads (mail.E001).
    "EMAIL_HOST": "smtp.example.com",
}


def test_deploy_checks_pass_with_the_production_settings():
    variables = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=musicplatform.settings.production",
        ],
        env={**variables, **DEPLOY_ENVIRONMENT},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_hsts_and_secure_same_site_cookies_and_reads_the_client_address():
    result = settings_in_subprocess(
        "musicplatform.settings.production",
        PRODUCTION_ENVIRONMENT,
        "(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE,"
        " s.ALLAUTH_TRUSTED_PROXY_COUNT)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "(31536000, True, True, True, True, True, 'Lax', True, 'Lax', 1)"
    )


# --- 2. Content-Security-Policy ----------------------------------------------------------------


class Tags(html.parser.HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def csp_violations(response) -> list[str]:
    """What in this page the policy would block, or a policy that would allow inline code."""
    policy = policy_of(response)
    nonces = {value for value in policy["script-src"] if value.startswith("'nonce-")}
    assert len(nonces) == 1, policy["script-src"]
    nonce = nonces.pop()[len("'nonce-") : -1]
    problems = [
        f"{directive} allows {value}"
        for directive in ("script-src", "style-src", "default-src")
        for value in policy.get(directive, [])
        if value in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")
    ]
    if f"'nonce-{nonce}'" not in policy["style-src"]:
        problems.append("style-src lacks the nonce")
    for tag, attrs in Tags(response.content.decode()).tags:
        if tag == "script" and "src" not in attrs and attrs.get("nonce") != nonce:
            problems.append(f"inline <script> without the nonce: {attrs}")
        if tag == "style" and attrs.get("nonce") != nonce:
            problems.append("<style> without the nonce")
        problems += [
            f"<{tag} {name}=…>" for name in attrs if name == "style" or name.startswith("on")
        ]
    return problems


@pytest.fixture
def pages(db):
    """A page of each kind our templates make, with the data that fills them: (who asks
    for it, its address)."""
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    ReviewFactory(artist=artist, rating=5)  # the rating bars
    post = PostFactory(artist=artist)
    staff = UserFactory(staff=True, is_superuser=True)
    UserPreferencesFactory(user=staff)
    everyone = [
        reverse("home"),
        reverse("content:explore"),
        reverse("artists:search") + "?q=midnight",
        reverse("artists:detail", kwargs={"artist_id": artist.pk, "slug": artist.slug}),
        reverse("content:artist_reviews", kwargs={"artist_id": artist.pk}),
        reverse("shop:list"),
        reverse("communities:list"),
    ]
    return [
        *((None, url) for url in everyone),
        (None, reverse("account_login")),
        (None, reverse("account_signup")),
        (None, reverse("account_reset_password")),
        *((staff, url) for url in everyone),
        (staff, reverse("content:post_detail", kwargs={"post_id": post.pk})),
        (staff, reverse("content:feed")),
        (staff, reverse("notifications:list")),
        (staff, reverse("accounts:settings_profile")),
        (staff, reverse("account_email")),
        (staff, reverse("admin:index")),
        (staff, reverse("admin:accounts_user_changelist")),
    ]


def test_every_page_has_a_nonce_policy_without_unsafe_inline_and_obeys_it(pages):
    failures = {}
    for user, url in pages:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        if problems := csp_violations(response):
            failures[url] = problems

    assert failures == {}


def test_a_fresh_nonce_on_every_response(client, db):
    first, second = client.get(reverse("home")), client.get(reverse("home"))

    assert policy_of(first)["script-src"] != policy_of(second)["script-src"]


def test_htmx_is_told_not_to_inject_its_own_styles_or_evaluate_code(client, db):
    tags = Tags(client.get(reverse("home")).content.decode()).tags
    config = [attrs["content"] for tag, attrs in tags if attrs.get("name") == "htmx-config"]
    scripts = [attrs["src"] for tag, attrs in tags if tag == "script"]
    htmx = (settings.BASE_DIR / "node_modules/htmx.org/dist/htmx.min.js").read_text()

    assert config == ['{"includeIndicatorStyles": false, "allowEval": false}']
    assert any(src.endswith("vendor/htmx/htmx.min.js") for src in scripts)
    # The htmx we ship reads both options (it would inject a <style> without the first).
    assert "includeIndicatorStyles" in htmx and "allowEval" in htmx


def our_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", *base.glob("*/templates")]
    return sorted(path for root in roots for path in root.rglob("*.html"))


INLINE_CODE = {
    "style attribute": re.compile(r"""<[^>]*\sstyle\s*=""", re.I),
    "event handler attribute": re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.I),
    "hx-on attribute (evaluated code)": re.compile(r"""\shx-on""", re.I),
    "<script> without src or nonce": re.compile(r"<script(?![^>]*\b(?:src|nonce)=)[^>]*>", re.I),
    "<style> without nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
}


def test_no_template_holds_inline_code_or_styles():
    templates = our_templates()
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates
        for what, pattern in INLINE_CODE.items()
        if pattern.search(path.read_text())
    ]

    assert len(templates) > 50
    assert found == []


# --- 5. Redirects stay on our host --------------------------------------------------------------

EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(document.cookie)",
    "https://testserver.evil.example/",
]


def stays_on_our_host(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
        and "evil" not in location.split("?")[0]
    )


def with_next(url: str, target: str) -> str:
    return f"{url}?next={quote(target, safe='')}"


def onboarded_user():
    user = verified_user()
    UserPreferencesFactory(user=user)
    return user


def login(client, target):
    user = onboarded_user()
    data = {"login": user.username, "password": FACTORY_PASSWORD, "next": target}
    return client.post(with_next(reverse("account_login"), target), data)


def logout(client, target):
    client.force_login(onboarded_user())
    return client.post(with_next(reverse("account_logout"), target), {"next": target})


def signup(client, target):
    data = {
        "email": "newcomer@example.com",
        "username": "newcomer",
        "full_name": "New Comer",
        "password1": "violet-harbour-tango-91",
        "password2": "violet-harbour-tango-91",
        "next": target,
    }
    return client.post(with_next(reverse("account_signup"), target), data)


def reauthenticate(client, target):
    client.force_login(onboarded_user())
    url = with_next(reverse("account_reauthenticate"), target)
    return client.post(url, {"password": FACTORY_PASSWORD, "next": target})


def admin_login(client, target):
    staff = UserFactory(staff=True, is_superuser=True)
    data = {"username": staff.username, "password": FACTORY_PASSWORD, "next": target}
    return client.post(with_next(reverse("admin:login"), target), data)


def follow_artist(client, target):
    client.force_login(onboarded_user())
    url = reverse("content:artist_follow", kwargs={"artist_id": ArtistFactory().pk})
    return client.post(url, {"next": target})


def cancel_subscription(client, target):
    subscription = CommunitySubscriptionFactory()
    client.force_login(subscription.user)
    url = reverse("communities:cancel", kwargs={"community_id": subscription.community_id})
    return client.post(url, {"next": target})


NEXT_READERS = [
    login,
    logout,
    signup,
    reauthenticate,
    admin_login,
    follow_artist,
    cancel_subscription,
]


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL_NEXT)
@pytest.mark.parametrize("action", NEXT_READERS, ids=lambda action: action.__name__)
def test_next_never_leaves_our_host(client, action, target):
    response = action(client, target)

    assert response.status_code == 302, response.content[:500]
    assert stays_on_our_host(response["Location"]), response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    # A sign-up always goes on to email verification, whatever its `next`.
    "action",
    [action for action in NEXT_READERS if action is not signup],
    ids=lambda action: action.__name__,
)
def test_a_next_on_our_host_is_followed(client, action):
    """The refusals above are of the target, not of every `next`."""
    response = action(client, "/shop/")

    assert response["Location"] == "/shop/"


# --- 6. Sessions -------------------------------------------------------------------------------


def session_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
def test_logging_in_starts_a_new_session(client):
    user = onboarded_user()
    client.get(reverse("shop:cart"))
    anonymous = client.session
    anonymous["probe"] = True
    anonymous.save()
    before = session_key(client)

    client.post(reverse("account_login"), {"login": user.username, "password": FACTORY_PASSWORD})

    assert client.session["_auth_user_id"] == str(user.pk)
    assert session_key(client) != before
    assert not import_module(settings.SESSION_ENGINE).SessionStore().exists(before)


@pytest.mark.django_db
def test_a_password_change_ends_the_other_sessions_and_keeps_this_one():
    user = onboarded_user()
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        client.post(
            reverse("account_login"), {"login": user.username, "password": FACTORY_PASSWORD}
        )
        assert client.get(reverse("accounts:settings_profile")).status_code == 200

    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": FACTORY_PASSWORD,
            "password1": "violet-harbour-tango-91",
            "password2": "violet-harbour-tango-91",
        },
    )

    assert response.status_code == 302
    assert here.get(reverse("accounts:settings_profile")).status_code == 200
    signed_out = elsewhere.get(reverse("accounts:settings_profile"))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))


# --- 7. Reauthentication before email and payout changes -----------------------------------


def age_the_reauthentication(client) -> None:
    """As if the password was last entered just over the reauthentication timeout ago."""
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] = time.time() - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def add_an_email(client):
    return client.post(reverse("account_email"), {"action_add": "", "email": "second@example.com"})


def add_a_payout_method(client, artist):
    return client.post(
        reverse("artists:payouts", kwargs={"artist_id": artist.pk}),
        {"method_type": "paypal", "paypal_email": "paid@example.com"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["email", "payout"])
def test_a_change_of_email_or_payout_details_asks_for_the_password_again(client, change):
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    UserPreferencesFactory(user=artist.user)
    EmailAddress.objects.create(
        user=artist.user, email=artist.user.email, verified=True, primary=True
    )
    sign_in_recently(client, artist.user)
    age_the_reauthentication(client)

    def attempt():
        if change == "email":
            return add_an_email(client), EmailAddress.objects.filter(email="second@example.com")
        return add_a_payout_method(client, artist), ArtistPayoutMethod.objects.filter(artist=artist)

    refused, rows = attempt()
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("account_reauthenticate"))
    assert not rows.exists()

    wrong = client.post(reverse("account_reauthenticate"), {"password": "not-the-password"})
    assert wrong.status_code == 200
    assert not rows.exists()

    client.post(reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD})
    done, rows = attempt()
    assert done.status_code == 302
    assert not done["Location"].startswith(reverse("account_reauthenticate"))
    assert rows.count() == 1


@pytest.mark.django_db
def test_the_payout_page_itself_asks_first(client):
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    client.force_login(artist.user)

    response = client.get(reverse("artists:payouts", kwargs={"artist_id": artist.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


# --- 8. Login rate limits, also while Redis is down --------------------------------------------

LOGIN_FORMS = {
    "allauth": (lambda: reverse("account_login"), "login"),
    "admin": (lambda: reverse("admin:login"), "username"),
}


def fail_logins(client, form: str, count: int) -> list[int]:
    """`count` failed logins from one address, each for a different name: only the
    per-address limit can stop them."""
    url, field = LOGIN_FORMS[form]
    return [
        client.post(url(), {field: f"guess{n}@example.com", "password": "wrong"}).status_code
        for n in range(count)
    ]


def right_login(client, form: str, user):
    url, field = LOGIN_FORMS[form]
    return client.post(url(), {field: user.username, "password": FACTORY_PASSWORD})


@pytest.fixture(params=["redis up", "redis down"])
def redis_state(request):
    if request.param == "redis down":
        request.getfixturevalue("redis_down")
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize("form", sorted(LOGIN_FORMS))
def test_failed_logins_for_many_accounts_from_one_address_get_429(
    client, form, redis_state, settings
):
    """Password spraying (accounts/ratelimit.py): failures for as many accounts as the
    per-address limit allows, then even the right password is refused from there."""
    accounts = settings.LOGIN_FAILURE_LIMITS["ip_accounts"]
    staff = UserFactory(staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)

    answers = fail_logins(client, form, accounts)
    refused = right_login(client, form, staff)  # even the right password, unchecked

    assert answers == [200] * accounts
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.count() == accounts


@pytest.mark.django_db
@pytest.mark.parametrize("form", sorted(LOGIN_FORMS))
def test_logins_work_while_redis_is_down_and_failures_expire(client, form, redis_down, settings):
    staff = UserFactory(staff=True, is_superuser=True)
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    fail_logins(client, form, 10)
    LoginFailure.objects.update(
        created_at=timezone.now() - settings.LOGIN_FAILURE_WINDOW - timedelta(seconds=1)
    )

    response = right_login(client, form, staff)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.django_db
def test_the_limits_are_shared_by_the_admin_and_the_site_login(client):
    fail_logins(client, "allauth", 5)
    fail_logins(client, "admin", 5)

    assert fail_logins(client, "allauth", 1) == [429]
    assert fail_logins(client, "admin", 1) == [429]


def login_attempt(client, address: str, n: int) -> int:
    """A failed login (a new login name each time) that says it is from `address`."""
    url, field = LOGIN_FORMS["allauth"]
    data = {field: f"guess{n}@example.com", "password": "wrong"}
    return client.post(url(), data, headers={"x-forwarded-for": address}).status_code


@pytest.mark.django_db
def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The test client's requests come from 127.0.0.1: here, the proxy.
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    accounts = settings.LOGIN_FAILURE_LIMITS["ip_accounts"]
    answers = [login_attempt(client, "203.0.113.5", n) for n in range(accounts + 1)]

    assert answers == [200] * accounts + [429]
    assert login_attempt(client, "198.51.100.7", accounts + 1) == 200


@pytest.mark.django_db
def test_a_client_that_is_not_the_proxy_cannot_choose_its_address(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = ["unix"]

    # A new made-up address each time: were it believed, no limit would ever be reached.
    accounts = settings.LOGIN_FAILURE_LIMITS["ip_accounts"]
    answers = [login_attempt(client, f"203.0.113.{n}", n) for n in range(accounts + 1)]

    assert answers == [200] * accounts + [429]


# --- 8b. allauth's other limits hold while Redis is down ---------------------------------------

# ACCOUNT_RATE_LIMITS: sign-ups per address, password reset emails per email address.
SIGN_UPS_PER_MINUTE = 20
RESETS_PER_MINUTE = 5


def sign_up(n: int) -> int:
    data = {
        "email": f"newcomer{n}@example.com",
        "username": f"newcomer{n}",
        "full_name": "New Comer",
        "password1": "violet-harbour-tango-91",
        "password2": "violet-harbour-tango-91",
    }
    return Client().post(reverse("account_signup"), data).status_code


@pytest.mark.django_db
def test_sign_ups_work_and_the_twenty_first_in_a_minute_from_one_address_gets_429(redis_state):
    answers = [sign_up(n) for n in range(SIGN_UPS_PER_MINUTE + 1)]

    assert answers == [302] * SIGN_UPS_PER_MINUTE + [429]
    assert User.objects.filter(username__startswith="newcomer").count() == SIGN_UPS_PER_MINUTE


@pytest.mark.django_db
def test_password_resets_work_and_the_sixth_for_one_address_in_a_minute_gets_429(
    client, redis_state, mailoutbox
):
    user, other = verified_user(), verified_user()

    def reset(email: str) -> int:
        return client.post(reverse("account_reset_password"), {"email": email}).status_code

    answers = [reset(user.email) for _ in range(RESETS_PER_MINUTE + 1)]

    assert answers == [302] * RESETS_PER_MINUTE + [429]
    assert [message.to for message in mailoutbox] == [[user.email]] * RESETS_PER_MINUTE
    # The limit is that address's, not everybody's.
    assert reset(other.email) == 302
    assert mailoutbox[-1].to == [other.email]


# --- 9. Password reset tells nobody which addresses have an account ----------------------------

VARYING = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'"X-CSRFToken": "[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
]


def without_tokens(text: str) -> str:
    for pattern in VARYING:
        text = pattern.sub("", text)
    return text


@pytest.mark.django_db
def test_a_password_reset_answers_alike_for_known_and_unknown_addresses(mailoutbox):
    user = verified_user()
    answers = []
    for email in (user.email, "nobody-here@example.com"):
        client = Client()
        response = client.post(reverse("account_reset_password"), {"email": email})
        page = client.get(response["Location"])
        answers.append(
            (
                response.status_code,
                response["Location"],
                page.status_code,
                without_tokens(page.text),
            )
        )

    assert answers[0] == answers[1]
    assert answers[0][0] == 302
    # Each address learns what it needs by email, which only its owner reads.
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [user.email, "nobody-here@example.com"]
    )
