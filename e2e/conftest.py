"""Browser journeys: Debian's headless Chromium, driven by Playwright, against a live server.

The live server (pytest-django's `live_server`) runs the application in a thread of this
process, on the test database, with the embedded PostgreSQL and Redis and static files
served from the finders (so htmx and the CSS load as in development). Email goes to
`django.core.mail.outbox`, shared with the server thread. One browser serves the whole
session; each page gets a context of its own (its own cookies, so its own user).
"""

import io
import mimetypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from e2e.helpers import DESKTOP

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls Google's update and sync services, which this
    # network refuses (slow, noisy failures).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The player journeys start audio from a script after a click; the click's user
    # activation lasts about 5 s in Chromium, which a loaded test machine can outlast
    # before the script runs, and then play() is refused and nothing plays.
    "--autoplay-policy=no-user-gesture-required",
]
# Traces of failed tests (CONTRIBUTING.md, "Browser tests", says how to open them).
DATA_DIR = Path(os.environ.get("MP_DATA_DIR", Path(__file__).resolve().parent.parent / ".data"))
TRACES_DIR = DATA_DIR / "e2e-traces"
TIMEOUT_MS = 15_000
# htmx polls every 2 s and the test machines are shared: give assertions a few polls.
expect.set_options(timeout=10_000)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Fixtures read this at teardown to keep the trace of a failed test only.
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio event loop running in the test's thread, so
    Django would refuse the ORM calls made there (test data, the database flush after each
    test) with SynchronousOnlyOperation, although nothing asynchronous touches the
    database: the server answers in its own thread. Allowed for this package only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


# Package scope: while Playwright runs, its event loop counts as running in this thread,
# so the browser must be gone before the rest of the suite uses the ORM again.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def new_page(
    browser: Browser, server_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """`new_page(user=None, **options)`: a desktop-sized page in a fresh context, signed in
    as user; `options` go to Playwright's new_context (timezone_id, viewport, …).

    Every context records a trace; the traces of a failed test are saved to TRACES_DIR.
    A server error (5xx) on any request, or a stylesheet or script that does not load,
    fails the test, even when the page looked fine.
    """
    contexts: list[BrowserContext] = []
    server_errors: list[str] = []

    def record_server_error(response) -> None:
        static = "/" + settings.STATIC_URL.lstrip("/")
        broken_static = response.status >= 400 and static in response.url
        if response.status >= 500 or broken_static:
            server_errors.append(f"{response.request.method} {response.url}: {response.status}")

    def make(user=None, **options) -> Page:
        context = browser.new_context(base_url=server_url, **{"viewport": DESKTOP, **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.on("response", record_server_error)
        context.route(f"{server_url}/{settings.MEDIA_URL.lstrip('/')}**", serve_upload)
        context.tracing.start(snapshots=True, sources=False)
        if user is not None:
            sign_in(context, user, server_url)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = getattr(request.node, "e2e_failed", True) or bool(server_errors)
    for number, context in enumerate(contexts):
        if failed:
            TRACES_DIR.mkdir(parents=True, exist_ok=True)
            path = TRACES_DIR / f"{request.node.name}-{number}.zip"
            context.tracing.stop(path=path)
            print(f"Playwright trace: {path}")
        else:
            context.tracing.stop()
        context.close()
    assert not server_errors, f"the server answered with errors: {server_errors}"


def serve_upload(route) -> None:
    """Uploaded files (the demo's pictures), which the test settings keep in memory in this
    process, where the live server does not serve them: the browser gets them from here,
    as it would from the storage's own server in production."""
    name = route.request.url.split(f"/{settings.MEDIA_URL.lstrip('/')}", 1)[1].split("?")[0]
    if not default_storage.exists(name):
        route.fulfill(status=404)
        return
    with default_storage.open(name) as upload:
        route.fulfill(body=upload.read(), content_type=mimetypes.guess_type(name)[0])


def sign_in(context: BrowserContext, user, server_url: str) -> None:
    """Signs a context in as user by handing it a session cookie (the login form has its
    own journey: test_fan_signs_up)."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": server_url}])


@pytest.fixture
def demo(transactional_db):
    """The `seed_demo` data set: demo logins, artists, communities, products and posts."""
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def outbox() -> list:
    mail.outbox.clear()
    return mail.outbox
