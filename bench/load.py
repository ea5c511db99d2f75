"""Load on the key pages over generated data, each page's throughput against /healthz.

    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python manage.py generate_data --scale 1
    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/load.py

Serves the app with gunicorn and production settings (bench/settings.py) on 127.0.0.1,
then, page by page, `--clients` threads (each a different generated fan, signed in)
request the page back to back for `--duration` seconds. /healthz runs first in the same
run, and again last: it is the stack's ceiling on this machine (a request that touches
PostgreSQL and Redis once each), so `ratio` = page req/s ÷ the mean /healthz req/s
survives a noisy machine.
Errors are any answer other than 200 (a redirect to the login page counts). The load
generator shares the machine's cores with gunicorn, which lowers every figure alike.

Then, unless `--reading-duration 0`, each page again with the same clients reading: each
waits `--think-time` seconds on average after an answer, as a fan reads, so the site is
busy but not saturated and the p95 is the one such a fan sees.

Then, unless `--latency-duration 0`, each page again with one client: a request's own
(service) time, which the p95 target can be judged against. With every client always
waiting for an answer, Little's law makes the mean latency under load clients ÷ req/s,
whatever the page: 16 clients on a stack serving 160 req/s wait 100 ms on average.
Prints Markdown tables for docs/performance.md.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import requests  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from django.core.management.utils import get_random_secret_key  # noqa: E402

STATIC_ROOT = tempfile.mkdtemp(prefix="bench-static-")
SERVER_ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "BENCH_STATIC_ROOT": STATIC_ROOT,
    "SECRET_KEY": os.environ.get("SECRET_KEY") or get_random_secret_key(),
    "PAYOUT_ENCRYPTION_KEY": os.environ.get("PAYOUT_ENCRYPTION_KEY")
    or Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "127.0.0.1",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.cached_db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from communities.models import (  # noqa: E402
    CommunitySubscription,
    Forum,
    LiveEvent,
    LiveEventStatus,
)
from content.models import Post  # noqa: E402
from shop.models import Product  # noqa: E402

SEARCHES = ("velvet echo", "midnigt tide", "neon", "crystal harbr", "golden")


@dataclass
class Client:
    cookie: str
    urls: dict[str, str]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in_cookie(user: User) -> str:
    """A session like the login view's, made directly: production cookies are Secure,
    so over plain HTTP the cookie is sent by hand."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def clients(count: int) -> list[Client]:
    """Generated fans with an active membership; each gets its own community's URLs."""
    now = timezone.now()
    hot_post = (
        Post.objects.filter(deleted_at__isnull=True)
        .annotate(n=Count("comments"))
        .filter(n__gte=200)
        .order_by("-n")
        .values_list("pk", flat=True)
        .first()
    )
    products = list(
        Product.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)[:count]
    )
    subscriptions = list(
        # In a community whose event is live: a poll of an event that is not answers 286.
        CommunitySubscription.objects.filter(
            is_active=True,
            end_date__gt=now,
            user__username__regex=r"^gen[0-9]+_[0-9]+$",
            community__live_events__status=LiveEventStatus.LIVE,
        )
        .select_related("user", "community__artist")
        .order_by("user_id", "pk")
        .distinct("user_id")[:count]
    )
    if len(subscriptions) < count or hot_post is None:
        sys.exit("Generate data first: manage.py generate_data --scale 1")
    result = []
    for i, sub in enumerate(subscriptions):
        community = sub.community
        base = f"/communities/{community.pk}/"
        forums = {forum.forum_type: forum.pk for forum in Forum.objects.filter(community=community)}
        event = (
            LiveEvent.objects.filter(community=community, status=LiveEventStatus.LIVE)
            .values_list("pk", flat=True)
            .first()
        )
        urls = {
            "/healthz": "/healthz",
            "home": "/",
            "explore": "/explore/",
            "feed": "/feed/",
            "post page (200+ comments)": f"/posts/{hot_post}/",
            "community page": base,
            **{f"forum: {kind}": f"{base}forums/{pk}/" for kind, pk in sorted(forums.items())},
            "live event page": f"{base}events/{event}/",
            "live event poll": f"{base}events/{event}/messages/?after=0",
            "artist page": community.artist.get_absolute_url(),
            "search": f"/artists/?q={SEARCHES[i % len(SEARCHES)]}",
            "product list": "/shop/",
            "product page": f"/shop/products/{products[i % len(products)]}/",
            "notifications": "/notifications/",
        }
        result.append(Client(cookie=signed_in_cookie(sub.user), urls=urls))
    return result


def hammer(
    base: str, client: Client, page: str, until: float, result: Result, think: float
) -> None:
    session = requests.Session()
    headers = {"Cookie": client.cookie, "HX-Request": "true"} if "poll" in page else None
    headers = headers or {"Cookie": client.cookie}
    url = base + client.urls[page]
    latencies, errors = [], 0
    if think:
        # Readers arrive at their own moments, not all in the same instant.
        time.sleep(random.uniform(0, think))  # noqa: S311 - timing, not secrets
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            response = session.get(url, headers=headers, allow_redirects=False, timeout=30)
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        latencies.append(time.perf_counter() - started)
        errors += not ok
        if think:
            # Randomised, so that readers do not fall into step with each other.
            pause = random.uniform(0.5, 1.5) * think  # noqa: S311 - timing, not secrets
            time.sleep(min(pause, max(0, until - time.perf_counter())))
    with result.lock:
        result.latencies += latencies
        result.errors += errors


def run_page(
    base: str, all_clients: list[Client], page: str, duration: float, think: float = 0.0
) -> dict:
    # A short warm-up fills caches and connections; only the measured window counts.
    for phase_duration in (min(2.0, duration), duration):
        result = Result()
        until = time.perf_counter() + phase_duration
        threads = [
            threading.Thread(target=hammer, args=(base, client, page, until, result, think))
            for client in all_clients
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    ms = sorted(latency * 1000 for latency in result.latencies)
    cut = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
    return {
        "page": page,
        "rps": len(ms) / duration,
        "p50": cut[49],
        "p95": cut[94],
        "p99": cut[98],
        "mean": statistics.fmean(ms),
        "errors": result.errors,
        "requests": len(ms),
    }


def report(row: dict) -> dict:
    print(
        f"{row['page']:<28} {row['rps']:8.1f} req/s  p50 {row['p50']:7.1f}  "
        f"p95 {row['p95']:7.1f}  p99 {row['p99']:7.1f} ms  errors {row['errors']}",
        flush=True,
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per page")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--pages", nargs="*", help="only these pages (names as printed)")
    parser.add_argument(
        "--latency-duration",
        type=float,
        default=5.0,
        help="seconds per page with a single client afterwards (0: skip that pass)",
    )
    parser.add_argument(
        "--reading-duration",
        type=float,
        default=10.0,
        help="seconds per page with the clients reading between requests (0: skip)",
    )
    parser.add_argument(
        "--think-time",
        type=float,
        default=1.0,
        help="seconds a reading client waits between requests, on average",
    )
    args = parser.parse_args()

    call_command("collectstatic", interactive=False, verbosity=0)
    all_clients = clients(args.clients)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "musicplatform.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            "--log-level=warning",
        ],
        cwd=BASE_DIR,
        env=SERVER_ENV,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("gunicorn did not answer /healthz")
            time.sleep(0.2)
        # /healthz first and last: on a machine shared with other work the ceiling moves
        # during a run, and each page is compared with the mean of the two.
        pages = [p for p in args.pages or all_clients[0].urls if p != "/healthz"]
        pages = ["/healthz", *pages, "/healthz"]
        rows = [report(run_page(base, all_clients, page, args.duration)) for page in pages]
        reading = []
        if args.reading_duration > 0:
            print("\nReading clients:", flush=True)
            reading = [
                report(run_page(base, all_clients, page, args.reading_duration, args.think_time))
                for page in dict.fromkeys(pages)
            ]
        alone = []
        if args.latency_duration > 0:
            print("\nOne client:", flush=True)
            alone = [
                report(run_page(base, all_clients[:1], page, args.latency_duration))
                for page in dict.fromkeys(pages)
            ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    ceiling = statistics.mean(row["rps"] for row in rows if row["page"] == "/healthz")
    print(
        f"\n{args.clients} clients, {args.duration:g} s per page, "
        f"gunicorn {args.workers} sync workers; ratio = req/s / {ceiling:.1f} "
        "(the mean of the two /healthz runs)\n"
    )
    print("| page | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to /healthz |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['page']} | {row['rps']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} "
            f"| {row['p99']:.1f} | {row['errors']}/{row['requests']} "
            f"| {row['rps'] / ceiling:.0%} |"
        )
    if reading:
        print(
            f"\n{args.clients} clients reading: each waits {args.think_time:g} s on average "
            f"(0.5-1.5 times) after each answer, {args.reading_duration:g} s per page: "
            "the latency a fan sees while the site is busy but not saturated.\n"
        )
        print("| page | req/s | p50 ms | p95 ms | p99 ms | errors |")
        print("|---|---|---|---|---|---|")
        for row in reading:
            print(
                f"| {row['page']} | {row['rps']:.1f} | {row['p50']:.1f} | {row['p95']:.1f} "
                f"| {row['p99']:.1f} | {row['errors']}/{row['requests']} |"
            )
    if alone:
        loaded = {row["page"]: row for row in reversed(rows)}  # /healthz: its first run
        print(
            f"\n1 client, {args.latency_duration:g} s per page: each request's own time. "
            f"Under load the mean latency is {args.clients} clients ÷ req/s (Little's law).\n"
        )
        print(
            f"| page | 1 client: p50 ms | p95 ms | req/s | {args.clients} clients: mean ms "
            f"| {args.clients} ÷ req/s, ms |"
        )
        print("|---|---|---|---|---|---|")
        for row in alone:
            under_load = loaded[row["page"]]
            print(
                f"| {row['page']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['rps']:.1f} "
                f"| {under_load['mean']:.1f} | {args.clients / under_load['rps'] * 1000:.1f} |"
            )


if __name__ == "__main__":
    main()
