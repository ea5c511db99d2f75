"""Load on the key pages over generated data, with `wrk`, each page as a ratio to the bare view.

    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python manage.py generate_data --scale 1
    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/load.py

Serves the app with gunicorn and production settings (bench/settings.py) on 127.0.0.1,
then drives one page at a time with `wrk` (Debian's; a C load generator, where a Python
client saturates at a few hundred requests/s): `--connections` connections for `--duration`
seconds, each request as the next of `--users` signed-in generated fans (bench/rotate.lua
rotates their session cookies and their own community's URLs). The bare view
`/healthz/live` (no I/O: the stack's ceiling) runs first and after every two pages, so
each page's ratio is to the mean of the bare runs on either side of it: that ratio
survives a noisy machine, the absolute figures do not. `/healthz/whoami` is the bare view
that needs the user (bench/urls.py): its ratio is the cost of being signed in.
Errors are socket errors, timeouts and answers other than 2xx/3xx; before the run each
fan's URL of each page is requested once and must answer 200 (a redirect to the login
page would count as a success in wrk). Prints a Markdown table for docs/performance.md.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

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

from accounts.middleware import USER_HINT_COOKIE  # noqa: E402
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


WRK = shutil.which("wrk") or "/usr/bin/wrk"  # apt-get install wrk (make bench does)
ROTATE = BASE_DIR / "bench" / "rotate.lua"
GUNICORN_CONFIG = BASE_DIR / "deploy" / "gunicorn.conf.py"
BARE = "/healthz/live"
HTMX = {"HX-Request": "true"}


@dataclass
class Client:
    cookie: str
    urls: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_in_cookie(user: User) -> str:
    """A session like the login view's, made directly: production cookies are Secure,
    so over plain HTTP the cookies are sent by hand. With the session, the hint of the
    user's id that a browser holds once signed in (accounts/middleware.py)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {USER_HINT_COOKIE}={user.pk}"


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
            BARE: BARE,
            "/healthz/whoami (signed in)": "/healthz/whoami",
            # whoami inside base.html: what every signed-in page pays before its content.
            "/healthz/page (signed in, empty)": "/healthz/page",
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
            # /search/: every kind at once, forum topics of the fan's communities included.
            "site search": f"/search/?q={SEARCHES[i % len(SEARCHES)]}",
            "product list": "/shop/",
            "product page": f"/shop/products/{products[i % len(products)]}/",
            "notifications": "/notifications/",
        }
        result.append(Client(cookie=signed_in_cookie(sub.user), urls=urls))
    return result


def check(base: str, all_clients: list[Client], page: str) -> None:
    """Each fan's URL answers 200 (wrk counts a redirect to the login page as a success);
    also the warm-up of caches and connections."""
    for client in all_clients:
        response = requests.get(
            base + client.urls[page],
            headers={"Cookie": client.cookie, **(HTMX if "poll" in page else {})},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 200:
            sys.exit(f"{page}: {client.urls[page]} answered {response.status_code}")


def run_page(
    base: str, all_clients: list[Client], page: str, duration: int, connections: int
) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as requests_file:
        for client in all_clients:
            htmx = "1" if "poll" in page else ""
            # wrk sends the path as it is: "?q=velvet echo" must be encoded here.
            path = quote(client.urls[page], safe="/?=&")
            requests_file.write(f"{path}\t{client.cookie}\t{htmx}\n")
        requests_file.flush()
        result = subprocess.run(
            [WRK, "--threads", "2", "--connections", str(connections),
             "--duration", f"{duration}s", "--timeout", "10s", "--script", str(ROTATE),
             base, "--", requests_file.name],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    count, seconds, errors, p50, p95, p99 = (float(value) for value in line.split()[1:])
    return {
        "page": page,
        "rps": count / seconds,
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": int(errors),
        "requests": int(count),
    }


def workers_memory(master: int) -> dict[str, float]:
    """The workers' mean resident and proportional set sizes and private memory, in MiB (PSS
    counts a page shared by n processes as 1/n: what copy-on-write sharing saves shows there)."""
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    fields: dict[str, list[int]] = {"Rss": [], "Pss": [], "Private_Dirty": []}
    for pid in workers:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in fields:
                fields[name].append(int(value.split()[0]))
    return {name: statistics.mean(values) / 1024 for name, values in fields.items()}


def report(row: dict) -> dict:
    print(
        f"{row['page']:<28} {row['rps']:8.1f} req/s  p50 {row['p50']:7.1f}  "
        f"p95 {row['p95']:7.1f}  p99 {row['p99']:7.1f} ms  errors {row['errors']}",
        flush=True,
    )
    return row


def interleaved(pages: list[str]) -> list[str]:
    """bare, page, page, bare, page, page, …, bare."""
    order = [BARE]
    for start in range(0, len(pages), 2):
        order += [*pages[start : start + 2], BARE]
    return order


def ratios(rows: list[dict]) -> dict[str, float]:
    """Each page's req/s over the mean of the bare runs just before and after it."""
    result = {}
    for index, row in enumerate(rows):
        if row["page"] == BARE:
            continue
        before = next(r for r in reversed(rows[:index]) if r["page"] == BARE)
        after = next(r for r in rows[index:] if r["page"] == BARE)
        result[row["page"]] = row["rps"] / statistics.mean((before["rps"], after["rps"]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--users", type=int, default=16, help="signed-in fans, in rotation")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument(
        "--workers", type=int, help="gunicorn sync workers (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument("--pages", nargs="*", help="only these pages (names as printed)")
    parser.add_argument(
        "--gunicorn-config", type=Path, default=GUNICORN_CONFIG, help="another to compare with"
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")

    call_command("collectstatic", interactive=False, verbosity=0)
    all_clients = clients(args.users)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            # Production's configuration (preloading, the garbage collector), so that the
            # benchmark measures what production runs; only where it listens is its own.
            f"--config={args.gunicorn_config}",
            f"--bind=127.0.0.1:{port}",
            *([f"--workers={args.workers}"] if args.workers else []),
        ],
        cwd=BASE_DIR,
        env=SERVER_ENV,
    )
    base = f"http://127.0.0.1:{port}"
    load_before = os.getloadavg()[0]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + BARE, timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit(f"gunicorn did not answer {BARE}")
            time.sleep(0.2)
        pages = [p for p in args.pages or all_clients[0].urls if p != BARE]
        # Every URL first, so that a broken page stops the run before minutes are spent.
        for page in [BARE, *pages]:
            check(base, all_clients, page)
        rows = []
        for page in interleaved(pages):
            # Again just before the page's run: what the first pass warmed may have expired
            # since (search keeps its matches 30 s): a 5 s run that starts cold counts each
            # fan's miss once per 5 s, six times the share of misses under steady traffic
            # (docs/performance.md, "Where the pages stand after round 5").
            check(base, all_clients, page)
            rows.append(report(run_page(base, all_clients, page, args.duration, args.connections)))
        memory = workers_memory(server.pid)
        # The master's children (Linux's record), however many the configuration chose:
        # counted after the runs, since the first worker answers before the last is forked.
        workers = len(Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split())
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare = [row["rps"] for row in rows if row["page"] == BARE]
    page_ratios = ratios(rows)
    print(
        f"\nwrk, {args.connections} connections, {args.duration} s per page, {args.users} "
        f"signed-in fans in rotation, gunicorn {workers} sync workers; load "
        f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after the run on "
        f"{os.cpu_count()} cores. {BARE}: {statistics.mean(bare):.0f} req/s on average "
        f"({min(bare):.0f}-{max(bare):.0f}); ratio = a page's req/s / the mean of the "
        f"{BARE} runs just before and after it. Memory per worker at the end: RSS "
        f"{memory['Rss']:.0f} MiB, PSS {memory['Pss']:.0f} MiB, private "
        f"{memory['Private_Dirty']:.0f} MiB.\n"
    )
    print(f"| page | req/s | p50 ms | p95 ms | p99 ms | errors | ratio to {BARE} |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if row["page"] != BARE:
            print(
                f"| {row['page']} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} "
                f"| {row['p99']:.1f} | {row['errors']}/{row['requests']} "
                f"| {page_ratios[row['page']]:.3f} |"
            )


if __name__ == "__main__":
    main()
