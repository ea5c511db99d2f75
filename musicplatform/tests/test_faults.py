"""The platform under faults of its own stack and of the payment provider.

Our services are taken down for real (a Redis server shut down, a PostgreSQL restarted;
musicplatform/tests/outages.py); only Stripe is stubbed, at its HTTP boundary.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import responses
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from stripe._http_client import HTTPClient

from accounts.tests.factories import UserPreferencesFactory, verified_user
from artists.tests.factories import ArtistFactory
from communities.models import CommunitySubscription
from communities.services.renewals import subscription_renew
from communities.tests.conftest import due_subscription, save_card
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content.models import Post
from content.tests.factories import PostFactory
from musicplatform.tests.outages import broker_down
from notifications.models import Notification
from payments.models import Payment, PaymentStatus
from payments.tests import stripe_stub
from payments.tests.test_payments_stripe import checkout_session_answer, saved_card
from scripts.devservices import data_dir
from shop.models import Order, OrderStatus, Product
from shop.tests.factories import ProductFactory
from shop.tests.helpers import ADDRESS, PAYS, add_to_cart, buy, checkout

pytestmark = pytest.mark.django_db


# Redis down ----------------------------------------------------------------------------


def test_with_redis_down_every_main_page_renders_from_postgresql(client, redis_down):
    artist = ArtistFactory(artist_name="Nova Lights", featured=True)
    PostFactory(artist=artist, content_text="Tour dates are out")
    fan = UserPreferencesFactory(favorite_artists=[artist.pk]).user
    community = CommunitySubscriptionFactory(user=fan, community__artist=artist).community
    client.force_login(fan)

    pages = {
        "home": (reverse("home"), "Nova Lights"),
        "explore": (reverse("content:explore"), "Nova Lights"),
        "artist": (artist.get_absolute_url(), "Tour dates are out"),
        "community": (community.get_absolute_url(), community.name),
        "feed": (reverse("content:feed"), "Tour dates are out"),
    }
    for name, (url, shown) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert shown in response.text, name


def test_with_redis_down_healthz_stays_200_and_names_the_cache_and_broker(client, redis_down):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "cache": "down",
        "broker": "down",
        "status": "degraded",
    }


# Celery broker down --------------------------------------------------------------------


def beat_runs() -> dict:
    """Every scheduled task run once, as the beat sends them when the broker is back."""
    return {
        name: import_string(entry["task"]).delay().get()
        for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items()
    }


def clock_past_the_grace(monkeypatch) -> None:
    """Ten minutes later: the sweeps leave alone what is younger than their grace (its task
    is probably on its way), so the beat runs after an outage are seen from then."""
    now = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr(timezone, "now", lambda: now)


def receipts() -> list[list[str]]:
    return sorted(m.to for m in mail.outbox if m.subject.startswith("Your payment receipt"))


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_buying_joining_and_posting_succeed_and_nothing_is_lost(
    client, monkeypatch, settings
):
    settings.STRIPE_SECRET_KEY = None  # the built-in test gateway takes the payments
    artist = ArtistFactory(artist_name="Nova Lights")
    follower = UserPreferencesFactory(favorite_artists=[artist.pk]).user
    community = CommunityFactory(artist=artist)
    product = ProductFactory(artist=artist, stock_quantity=5)
    buyer, fan = verified_user(), verified_user()
    renewing = due_subscription()
    save_card(renewing.user)
    renewed_from = renewing.end_date

    with broker_down():
        client.force_login(buyer)
        order = buy(client, product)

        client.force_login(fan)
        joined = client.post(reverse("communities:subscribe", args=[community.pk]))
        paid = client.post(joined.url, {"card_number": PAYS})

        client.force_login(artist.user)
        posted = client.post(
            reverse("content:post_create"),
            {"artist": artist.pk, "content_text": "New single out now"},
        )

    # Every action went through while nothing could be queued...
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Product.objects.get(pk=product.pk).stock_quantity == 4
    assert (joined.status_code, paid.status_code, posted.status_code) == (302, 302, 302)
    assert CommunitySubscription.objects.get(user=fan, community=community).is_active
    post = Post.objects.get(artist=artist)
    # ...and what the lost tasks were to do has not happened yet.
    assert receipts() == []
    assert not Notification.objects.filter(user=follower, related_resource_id=post.pk).exists()

    # The broker is back: the next beat runs catch up, once.
    clock_past_the_grace(monkeypatch)
    first = beat_runs()
    assert (first["payment-receipts-sweep"], first["communities-renew-due"]) == (2, 1)
    # The renewal, charged now, has its receipt sent by its own task.
    assert receipts() == sorted([[buyer.email], [fan.email], [renewing.user.email]])
    assert Notification.objects.get(user=follower, related_resource_id=post.pk).title == (
        "Nova Lights posted"
    )
    renewing.refresh_from_db()
    assert renewing.end_date == renewed_from + timedelta(days=30)
    assert Payment.objects.get(subscription=renewing).payment_status == PaymentStatus.COMPLETED

    sent = len(mail.outbox)
    second = beat_runs()
    assert second["payment-receipts-sweep"] == second["posts-announce-sweep"] == 0
    assert len(mail.outbox) == sent
    assert Notification.objects.filter(user=follower, related_resource_id=post.pk).count() == 1


# The payment provider failing ----------------------------------------------------------

SESSIONS = f"{stripe_stub.API}/v1/checkout/sessions"
STRIPE_FAILURES = {
    "connection refused": {"body": requests.exceptions.ConnectionError("Connection refused")},
    "timeout": {"body": requests.exceptions.ReadTimeout("Read timed out")},
    "500": {"status": 500, "json": {"error": {"type": "api_error", "message": "Server error"}}},
    "429": {
        "status": 429,
        "json": {"error": {"type": "invalid_request_error", "code": "rate_limit"}},
    },
}


@pytest.fixture
def stripe_api(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = stripe_stub.WEBHOOK_SECRET
    # The SDK's retries happen as in production, without its back-off pauses.
    monkeypatch.setattr(HTTPClient, "_sleep_time_seconds", lambda self, retries: 0)
    with responses.RequestsMock() as mock:
        yield mock


@pytest.mark.parametrize("failure", STRIPE_FAILURES)
def test_with_stripe_failing_the_order_waits_with_a_clear_message_and_a_retry_pays_it_once(
    client, stripe_api, failure
):
    buyer, product = verified_user(), ProductFactory(stock_quantity=5)
    client.force_login(buyer)
    stripe_api.add(responses.POST, SESSIONS, **STRIPE_FAILURES[failure])
    add_to_cart(client, product, 2)

    response = checkout(client, address=ADDRESS)

    order = Order.objects.get(user=buyer)
    assert response.status_code == 302
    assert response.url == reverse("shop:order", args=[order.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "The payment provider is not answering right now." in page.text
    assert "Nothing was charged" in page.text
    assert "Pay now" in page.text
    assert (order.status, Product.objects.get(pk=product.pk).stock_quantity) == (
        OrderStatus.PENDING,
        3,
    )
    # The SDK's own retries repeat the one request under one key: never a second session.
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert len(keys) == 1

    # Stripe answers again; the buyer presses "Pay now" and pays.
    stripe_api.remove(responses.POST, SESSIONS)
    stripe_api.add_callback(responses.POST, SESSIONS, callback=checkout_session_answer)
    retried = client.post(reverse("shop:order_pay", args=[order.pk]))
    assert retried.url.startswith("https://checkout.stripe.com/")
    payment = Payment.objects.get(order=order, payment_status=PaymentStatus.PENDING)
    intent = stripe_stub.payment_intent(payment)
    stripe_stub.post_webhook(client, stripe_stub.event("payment_intent.succeeded", intent))

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.filter(order=order, payment_status=PaymentStatus.COMPLETED).count() == 1
    assert Product.objects.get(pk=product.pk).stock_quantity == 3


def test_a_renewal_stripe_cannot_take_is_charged_once_by_the_next_run(stripe_api):
    subscription = due_subscription()
    saved_card(subscription)
    intents = f"{stripe_stub.API}/v1/payment_intents"
    stripe_api.add(responses.POST, intents, **STRIPE_FAILURES["500"])

    assert subscription_renew(subscription_id=subscription.pk) == "gateway_unavailable"
    payment = Payment.objects.get(subscription=subscription)
    assert payment.payment_status == PaymentStatus.PENDING

    stripe_api.remove(responses.POST, intents)
    answer = stripe_stub.payment_intent(payment, flow="off_session")
    stripe_api.add(responses.POST, intents, json=answer)
    assert subscription_renew(subscription_id=subscription.pk) == "renewed"

    assert Payment.objects.filter(subscription=subscription).count() == 1
    assert Payment.objects.get(pk=payment.pk).payment_status == PaymentStatus.COMPLETED
    # Every attempt, the SDK's retries included, was the same charge to Stripe.
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert keys == {f"renewal-{payment.pk}"}


# PostgreSQL restarted ------------------------------------------------------------------

RECOVERY_SECONDS = 60
# A shared, busy test machine can take seconds over a request; production would not.
REQUEST_TIMEOUT = 30


@pytest.fixture
def own_postgresql(monkeypatch):
    """A throwaway PostgreSQL of this test's own (the suite's server is never touched)."""
    # pgserver keeps its lock files in the runtime folder it finds when imported: ours, as
    # in scripts/devservices.py, rather than a shared /tmp one.
    runtime = data_dir() / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    import pgserver

    with tempfile.TemporaryDirectory(dir=data_dir()) as directory:
        server = pgserver.get_server(Path(directory) / "pg", cleanup_mode="delete")
        try:
            yield server
        finally:
            server.cleanup()


def postgresql_restart(server) -> None:
    from pgserver._commands import POSTGRES_BIN_PATH

    subprocess.run(
        [
            POSTGRES_BIN_PATH / "pg_ctl",
            "-D",
            server.pgdata,
            "-l",
            server.log,
            "-w",
            "-m",
            "fast",
            "restart",
        ],
        user=server.system_user,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=30,
    )


@pytest.fixture
def app_server(own_postgresql):
    """The application as production runs it (gunicorn with deploy/gunicorn.conf.py: the app
    loaded before the worker is forked, persistent database connections), on the throwaway
    PostgreSQL; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicplatform.settings.test",
        "DATABASE_URL": own_postgresql.get_uri("postgres"),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(django_settings.BASE_DIR / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=environment,
        cwd=django_settings.BASE_DIR,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + RECOVERY_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, "gunicorn exited"
            try:
                requests.get(f"{base}/healthz", timeout=REQUEST_TIMEOUT)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def gunicorn_workers(process) -> list[str]:
    """The worker processes' ids (Linux's record of the master's children)."""
    return Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()


def test_after_postgresql_restarts_the_app_serves_again_without_a_restart_of_its_own(
    app_server, own_postgresql
):
    base, process = app_server
    before = requests.get(f"{base}/healthz", timeout=REQUEST_TIMEOUT)
    assert (before.status_code, before.json()["database"]) == (200, "ok")
    workers = gunicorn_workers(process)

    postgresql_restart(own_postgresql)
    restarted = time.monotonic()

    # The worker's persistent connection died with the server; the health check made
    # before a request reuses it notices and reconnects, so no request fails at all.
    after = requests.get(f"{base}/healthz", timeout=REQUEST_TIMEOUT)
    assert (after.status_code, after.json()["database"]) == (200, "ok")
    assert time.monotonic() - restarted < RECOVERY_SECONDS
    assert gunicorn_workers(process) == workers, "the worker was restarted"
