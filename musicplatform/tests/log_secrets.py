"""A pytest plugin: no log record of the whole suite may hold a secret.

A handler on the root logger, installed once Django is set up, reads every record that
reaches the logs (formatted, with its traceback) and looks for the secrets the suite
uses: the Django SECRET_KEY, the payout encryption keys, the Stripe keys (as set at
the moment of the record, so a test's own overrides count), the factories' password, the
test gateway's card numbers and the factories' bank account; and the secrets the flows
make as they run: every session id a sign-in opens (Django's `user_logged_in`), and every
email-verification token and password-reset link sent by email (read from the outbox). The test during which
such a record was written fails with an error naming the logger and the kind of secret;
records written outside any test fail the run at its end. The scan is a plain substring
search of each record, so it gives the same answer on every run.

The records are those the settings let through: the root logger's level (INFO unless
LOG_LEVEL says otherwise), as in production.
"""

import logging
import re

import pytest
from django.conf import settings

CLEANSED_SPACES = re.compile(r"[\s-]+")
# The links of the emails that carry a secret: the token in them, by what it is.
EMAILED_SECRETS = {
    "an email-verification token": re.compile(r"/accounts/verify-email/\d+/([^/\s]+)/"),
    "a password-reset link": re.compile(r"/accounts/password/reset/key/([^/\s]+)/"),
}
# Secrets made while the suite runs (session ids), by value.
MADE_SECRETS: dict[str, str] = {}
# Shorter values are too likely to occur by chance (and are no real secret).
SHORTEST_SECRET = 8


def known_secrets() -> dict[str, str]:
    """What may never be logged, by what it is; read anew for every record."""
    from accounts.tests.factories import FACTORY_PASSWORD
    from artists.tests.factories import PAYOUT_IBAN
    from demo.management.commands.generate_data import GENERATED_PASSWORD
    from payments.gateways.test import TEST_CARDS
    from payments.tests.stripe_stub import WEBHOOK_SECRET

    found = {
        "SECRET_KEY": settings.SECRET_KEY,
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "the Stripe stub's webhook secret": WEBHOOK_SECRET,
        "the factories' password": FACTORY_PASSWORD,
        "the generated accounts' password": GENERATED_PASSWORD,
        "the factories' IBAN": PAYOUT_IBAN,
    }
    for number, key in enumerate((settings.PAYOUT_ENCRYPTION_KEY or "").split(",")):
        found[f"PAYOUT_ENCRYPTION_KEY #{number + 1}"] = key.strip()
    for card in TEST_CARDS:
        found[f"card number ending {card[-4:]}"] = card
    for number, (value, what) in enumerate(MADE_SECRETS.items()):
        found[f"{what} #{number + 1}"] = value
    found.update(emailed_secrets())
    return {what: value for what, value in found.items() if value and len(value) >= SHORTEST_SECRET}


def emailed_secrets() -> dict[str, str]:
    """The tokens in the links of the emails sent so far (the test outbox)."""
    from django.core import mail

    found = {}
    for number, message in enumerate(getattr(mail, "outbox", [])):
        alternatives = [content for content, _type in getattr(message, "alternatives", [])]
        for what, link in EMAILED_SECRETS.items():
            for body in (message.body, *alternatives):
                for token in link.findall(str(body)):
                    found[f"{what} in email #{number + 1}"] = token
    return found


def _remember_session(sender, request=None, user=None, **kwargs) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        MADE_SECRETS[key] = "a session id"


def secrets_in(text: str, secrets: dict[str, str]) -> list[str]:
    """The kinds of secret `text` holds, also when written with spaces or dashes
    ("4242 4242 4242 4242", "de89 3704 …")."""
    squeezed = CLEANSED_SPACES.sub("", text).lower()
    return sorted(
        what
        for what, value in secrets.items()
        if value in text or CLEANSED_SPACES.sub("", value).lower() in squeezed
    )


class SecretScanHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            found = secrets_in(self.format(record), known_secrets())
        except Exception:
            self.handleError(record)
            return
        if found:
            self.leaks.append(f"{record.name} ({record.levelname}) logged {', '.join(found)}")


HANDLER = SecretScanHandler()


def pytest_sessionstart(session) -> None:
    # After pytest-django's django.setup(), whose LOGGING dictConfig replaces the root
    # logger's handlers.
    from django.contrib.auth.signals import user_logged_in

    logging.getLogger().addHandler(HANDLER)
    user_logged_in.connect(_remember_session, dispatch_uid="log_secrets.sessions")


@pytest.fixture(autouse=True)
def _no_secret_in_the_logs():
    already = len(HANDLER.leaks)
    yield
    leaks = HANDLER.leaks[already:]
    if leaks:
        del HANDLER.leaks[already:]
        pytest.fail("secrets in the logs:\n" + "\n".join(leaks), pytrace=False)


def pytest_sessionfinish(session, exitstatus) -> None:
    logging.getLogger().removeHandler(HANDLER)
    if HANDLER.leaks:
        session.config.get_terminal_writer().line(
            "secrets in the logs outside any test:\n" + "\n".join(HANDLER.leaks), red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
