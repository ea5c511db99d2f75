"""Secrets and logs (docs/security.md, section 8): no secret, password, payout detail or
card number in the logs (the suite-wide scan of musicplatform/tests/log_secrets.py), the
admin, error pages or error reports."""

import json
import logging
import logging.config
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path, reverse
from django.views.debug import SafeExceptionReporterFilter, get_exception_reporter_filter

from accounts.tests.factories import (
    FACTORY_PASSWORD,
    UserFactory,
    UserPreferencesFactory,
    sign_in_recently,
    verified_user,
)
from artists.models import ArtistPayoutMethod
from artists.tests.factories import PAYOUT_IBAN, ArtistFactory
from musicplatform.tests.log_secrets import HANDLER, SecretScanHandler, known_secrets, secrets_in
from payments.gateways.test import SUCCEEDS
from payments.models import Payment, PaymentEvent, SavedPaymentMethod
from shop.tests.factories import ProductFactory
from shop.tests.helpers import ADDRESS, PAYS, add_to_cart, checkout

pytestmark = pytest.mark.django_db

# --- The suite-wide log scan -----------------------------------------------------------


def test_the_scan_watches_every_record_of_the_suite():
    assert HANDLER in logging.getLogger().handlers
    assert HANDLER.level == logging.NOTSET


def test_the_scan_knows_the_suites_secrets():
    secrets = known_secrets()

    assert secrets["SECRET_KEY"] == settings.SECRET_KEY
    assert secrets["the factories' password"] == FACTORY_PASSWORD
    assert secrets["the factories' IBAN"] == PAYOUT_IBAN
    assert SUCCEEDS in secrets.values()
    assert any(key.startswith("PAYOUT_ENCRYPTION_KEY") for key in secrets)


def test_the_scan_reads_the_stripe_keys_a_test_has_set(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_set_by_this_test"

    assert secrets_in("charging with sk_test_set_by_this_test", known_secrets()) == [
        "STRIPE_SECRET_KEY"
    ]


@pytest.mark.parametrize(
    "text",
    [
        f"paid with {SUCCEEDS}",
        "paid with 4242 4242 4242 4242",
        "paid with 4242-4242-4242-4242",
        f"payout to {PAYOUT_IBAN.lower()[:4]} {PAYOUT_IBAN[4:]}",
        f"login failed for password={FACTORY_PASSWORD}",
    ],
)
def test_the_scan_finds_secrets_however_they_are_spaced(text):
    assert secrets_in(text, known_secrets()) != []


def test_the_scan_passes_ordinary_records():
    text = "POST /accounts/password/change/ 302; card ending 4242; password reset sent"

    assert secrets_in(text, known_secrets()) == []


def test_a_record_holding_a_secret_is_reported_with_its_logger_not_its_value():
    handler = SecretScanHandler()
    try:
        raise ValueError(f"bad card {SUCCEEDS}")
    except ValueError:
        record = logging.LogRecord(
            "payments", logging.ERROR, __file__, 1, "charge failed", (), sys.exc_info()
        )

    handler.handle(record)

    assert handler.leaks == ["payments (ERROR) logged card number ending 4242"]
    assert SUCCEEDS not in handler.leaks[0]


# --- The admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(staff=True, is_superuser=True))
    return client


def test_the_user_admin_shows_no_password_hash(admin_client):
    user = UserFactory()
    digest = user.password.split("$")[-1]

    pages = [
        admin_client.get(reverse("admin:accounts_user_changelist")),
        admin_client.get(reverse("admin:accounts_user_change", args=[user.pk])),
    ]

    assert all(page.status_code == 200 for page in pages)
    assert all(digest not in page.text and user.password not in page.text for page in pages)


def test_the_payout_admin_shows_no_payout_details(admin_client):
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    owner = Client()
    sign_in_recently(owner, artist.user)
    owner.post(
        reverse("artists:payouts", kwargs={"artist_id": artist.pk}),
        {"method_type": "bank_transfer", "account_holder": "Nova Lights", "iban": PAYOUT_IBAN},
    )
    method = ArtistPayoutMethod.objects.get(artist=artist)
    ciphertext = str(method.account_details)

    pages = [
        admin_client.get(reverse("admin:artists_artistpayoutmethod_changelist")),
        admin_client.get(reverse("admin:artists_artistpayoutmethod_change", args=[method.pk])),
    ]

    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        assert PAYOUT_IBAN not in page.text
        assert "Nova Lights" not in page.text
        assert ciphertext not in page.text


def test_the_payment_admin_shows_no_card_number(admin_client):
    buyer = verified_user()
    UserPreferencesFactory(user=buyer)
    shopper = Client()
    shopper.force_login(buyer)
    add_to_cart(shopper, ProductFactory(stock_quantity=3))
    shopper.post(checkout(shopper, address=ADDRESS).url, {"card_number": PAYS})
    payment = Payment.objects.get(user=buyer)
    assert payment.payment_status == "completed"

    pages = [
        admin_client.get(reverse("admin:payments_payment_changelist")),
        admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk])),
        admin_client.get(reverse("admin:payments_paymentevent_changelist")),
        *(
            admin_client.get(reverse("admin:payments_paymentevent_change", args=[event.pk]))
            for event in PaymentEvent.objects.filter(payment=payment)
        ),
        admin_client.get(reverse("admin:payments_savedpaymentmethod_changelist")),
        *(
            admin_client.get(reverse("admin:payments_savedpaymentmethod_change", args=[saved.pk]))
            for saved in SavedPaymentMethod.objects.filter(user=buyer)
        ),
    ]

    assert len(pages) >= 4
    assert [page.status_code for page in pages] == [200] * len(pages)
    assert [secrets_in(page.text, known_secrets()) for page in pages] == [[]] * len(pages)


# --- Error pages and error reports -------------------------------------------------------------


def failing_view(request):
    # A local holding secrets, as a view's frame might when it fails: a debug page
    # would print it.
    credentials = {"key": settings.SECRET_KEY, "payout_key": settings.PAYOUT_ENCRYPTION_KEY}
    raise RuntimeError(f"failed after reading {len(credentials)} settings")


urlpatterns = [path("fails/", failing_view)]


def test_the_500_page_shows_no_settings_secrets_or_traceback(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/fails/")

    assert settings.DEBUG is False
    assert response.status_code == 500
    text = response.text
    assert secrets_in(text, known_secrets()) == []
    for revealing in ("Traceback", "SECRET_KEY", "DATABASES", "failing_view", "RuntimeError"):
        assert revealing not in text


def masked(response, *fields: str) -> dict:
    """What an error report of this request would show of these POST fields."""
    request = response.wsgi_request
    shown = get_exception_reporter_filter(request).get_post_parameters(request)
    return {field: shown.get(field) for field in fields}


MASK = SafeExceptionReporterFilter.cleansed_substitute


def test_views_taking_passwords_card_numbers_or_payout_details_hide_them_from_error_reports():
    user = verified_user()
    UserPreferencesFactory(user=user)
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    client = Client()
    sign_in_recently(client, user)
    owner = Client()
    sign_in_recently(owner, artist.user)
    add_to_cart(client, ProductFactory(stock_quantity=3))
    test_checkout = checkout(client, address=ADDRESS).url
    anonymous = Client()

    requests = {
        "login": (
            anonymous.post(reverse("account_login"), {"login": "x", "password": "p"}),
            ["password"],
        ),
        "signup": (
            anonymous.post(reverse("account_signup"), {"password1": "p", "password2": "p"}),
            ["password1", "password2"],
        ),
        "admin login": (
            anonymous.post(reverse("admin:login"), {"username": "x", "password": "p"}),
            ["password"],
        ),
        "password change": (
            client.post(
                reverse("account_change_password"),
                {"oldpassword": "p", "password1": "q", "password2": "q"},
            ),
            ["oldpassword", "password1", "password2"],
        ),
        "reauthentication": (
            client.post(reverse("account_reauthenticate"), {"password": "p"}),
            ["password"],
        ),
        "account deletion": (
            client.post(reverse("accounts:settings_delete"), {"password": "p"}),
            ["password"],
        ),
        "test checkout": (
            client.post(test_checkout, {"card_number": "4000 0000 0000 0002"}),
            ["card_number"],
        ),
        "payout details": (
            owner.post(
                reverse("artists:payouts", kwargs={"artist_id": artist.pk}),
                {"method_type": "bank_transfer", "account_holder": "N", "iban": "DE00"},
            ),
            ["account_holder", "iban"],
        ),
    }

    shown = {what: masked(response, *fields) for what, (response, fields) in requests.items()}

    assert shown == {
        what: dict.fromkeys(fields, MASK) for what, (_response, fields) in requests.items()
    }


# --- The account and payment flows under every settings module's logging ------------------

SETTINGS_MODULES = ["test", "local", "production"]
# What production refuses to start without; values for reading its LOGGING only.
PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "read-the-logging-only-" + "k" * 40,
    "PAYOUT_ENCRYPTION_KEY": "read-the-logging-only",
    "DATABASE_URL": "postgres://reader@localhost/none",
    "REDIS_URL": "redis://localhost/0",
    "ALLOWED_HOSTS": "example.com",
    "STRIPE_SECRET_KEY": "sk_live_read_the_logging_only",
    "STRIPE_WEBHOOK_SECRET": "whsec_read_the_logging_only",
    "EMAIL_HOST": "smtp.example.com",
}


def logging_of(module: str) -> dict:
    """The LOGGING a settings module configures, read in a process of its own (importing
    production settings checks the environment)."""
    program = (
        "import importlib, json, sys;"
        "print(json.dumps(importlib.import_module(sys.argv[1]).LOGGING))"
    )
    out = subprocess.run(
        [sys.executable, "-c", program, f"musicplatform.settings.{module}"],
        env={**os.environ, **PRODUCTION_ENVIRONMENT},
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return json.loads(out.stdout)


@pytest.fixture
def logging_as(request):
    """Logging configured as a settings module does, with the scan's handler on the root
    logger (and everything down to DEBUG reaching it, so no leak hides below the level)."""

    def configure(module: str) -> None:
        logging.config.dictConfig(logging_of(module))
        root = logging.getLogger()
        root.addHandler(HANDLER)
        root.setLevel(logging.DEBUG)

    yield configure
    logging.config.dictConfig(settings.LOGGING)
    logging.getLogger().addHandler(HANDLER)


def _link_in(message) -> str:
    return re.search(r"https?://\S+", message.body)[0].replace("http://testserver", "")


def run_account_and_payment_flows(mailoutbox) -> None:
    """Sign up and verify, sign in, reset the password, add payout details, buy with a
    card: every flow that makes or carries a secret."""
    visitor = Client()
    visitor.post(
        reverse("account_signup"),
        {
            "full_name": "Ada Listener",
            "email": "ada@example.com",
            "username": "ada",
            "password1": FACTORY_PASSWORD,
            "password2": FACTORY_PASSWORD,
        },
    )
    assert visitor.post(_link_in(mailoutbox[-1])).status_code == 302
    assert (
        visitor.post(
            reverse("account_login"), {"login": "ada", "password": FACTORY_PASSWORD}
        ).status_code
        == 302
    )
    visitor.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    form = visitor.get(_link_in(mailoutbox[-1]), follow=True)
    visitor.post(
        form.redirect_chain[-1][0],
        {"password1": FACTORY_PASSWORD + "!", "password2": FACTORY_PASSWORD + "!"},
    )
    artist = ArtistFactory(profile_picture_url=None, cover_photo_url=None)
    owner = Client()
    sign_in_recently(owner, artist.user)
    owner.post(
        reverse("artists:payouts", kwargs={"artist_id": artist.pk}),
        {"method_type": "bank_transfer", "account_holder": "Nova Band", "iban": PAYOUT_IBAN},
    )
    buyer = Client()
    buyer.force_login(verified_user())
    add_to_cart(buyer, ProductFactory(stock_quantity=3))
    paid = buyer.post(checkout(buyer, address=ADDRESS).url, {"card_number": PAYS})
    assert paid.status_code == 302


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_the_account_and_payment_flows_log_no_secret_under_every_settings_module(
    module, logging_as, mailoutbox
):
    logging_as(module)
    already = len(HANDLER.leaks)

    run_account_and_payment_flows(mailoutbox)

    secrets = known_secrets()
    # The scan looked for the secrets the flows made (so a clean result is not vacuous).
    assert any(what.startswith("a session id") for what in secrets)
    assert any(what.startswith("an email-verification token") for what in secrets)
    assert any(what.startswith("a password-reset link") for what in secrets)
    assert HANDLER.leaks[already:] == []


def test_the_scan_catches_a_logged_reset_link(mailoutbox):
    """Negative control: a reset link written to a log is found."""
    user = verified_user()
    Client().post(reverse("account_reset_password"), {"email": user.email})
    link = _link_in(mailoutbox[-1])
    scanner = SecretScanHandler()
    record = logging.LogRecord("accounts", logging.INFO, __file__, 1, "sent %s", (link,), None)

    scanner.emit(record)

    assert len(scanner.leaks) == 1
    assert "a password-reset link" in scanner.leaks[0]


def test_a_refused_verification_link_is_logged_without_its_token(client, caplog, monkeypatch):
    """Django logs the path of every 4xx answer; the token in a verification or reset link
    is taken out by the logger's own filter (musicplatform/log_filters.py)."""
    token = "Tok3nThatMustNotBeLogged"
    client.get(f"/accounts/verify-email/1/{token}/")
    client.get(f"/accounts/password/reset/key/1-{token}/")

    assert "/accounts/verify-email/1/[redacted]/" in caplog.text
    assert token not in caplog.text
    # Negative control: without the filter the token is in the log line.
    monkeypatch.setattr(logging.getLogger("django.request"), "filters", [])
    caplog.clear()
    client.get(f"/accounts/verify-email/1/{token}/")
    assert token in caplog.text
