"""How long renewing N due community subscriptions takes through the real service, with
the test gateway answering as slowly as a real one, on a pool of threads like the
payments queue's Celery workers (docs/operations.md, "Payments queue").

    PAYMENTS_TEST_GATEWAY_LATENCY_MS=300 .venv/bin/python scripts/devservices.py exec -- \
        .venv/bin/python bench/renewals.py --subscriptions 10000 --processes 2 --threads 32

The benchmark renews only the subscriptions it created, by their ids, through the
per-subscription service (`communities.services.renewals.subscription_renew`, what each
`subscription_renew` task runs): the database may be a real one (demo or generated data),
whose members must never be charged or notified by a benchmark. It then checks in the
database that each of its subscriptions was charged exactly once (none twice, none
missed). `--twice` submits every id twice, as a retried task or two beat runs would.

`--profile` renews them one after another in this process under cProfile instead (run it
with the gateway's latency at 0): where a renewal's CPU goes, the heaviest functions by
their own time and by cumulative time, and the SQL statements of the first renewal.

Its rows stay: the books are append-only (ledger entries cannot be deleted, so neither can
the payments they book), so point it at a scratch database (`MP_DATA_DIR=/tmp/bench`).
They are recognisable: one artist "Benchmark Artist <run>", one user "Bench Payer <run>".

One payer subscribes to N communities: the test gateway keeps one saved card row per
card number, so N payers could not each save the test card.
"""

import argparse
import cProfile
import os
import pstats
import queue
import resource
import sys
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from communities.services.renewals import subscription_renew  # noqa: E402


def fill(count: int, run: str) -> list[str]:
    """The benchmark's own payer, artist, communities and due subscriptions; their ids."""
    user_id, artist_id = uuid.uuid4(), uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (user_id, username, email, full_name, is_superuser) "
            "VALUES (%s, %s, %s, %s, false)",
            [user_id, f"bench_{run}", f"bench_{run}@example.com", f"Bench Payer {run}"],
        )
        cursor.execute(
            "INSERT INTO saved_payment_methods (id, user_id, gateway, method_ref, label) "
            "VALUES (gen_random_uuid(), %s, 'test', %s, 'Bench card')",
            [user_id, f"testcard_{user_id}_4242"],
        )
        cursor.execute(
            "INSERT INTO artists (artist_id, artist_name) VALUES (%s, %s)",
            [artist_id, f"Benchmark Artist {run}"],
        )
        cursor.execute(
            """
            INSERT INTO communities (community_id, artist_id, name, subscription_fee)
            SELECT gen_random_uuid(), %s, 'Bench community ' || n, 5
            FROM generate_series(1, %s) n
            """,
            [artist_id, count],
        )
        cursor.execute(
            """
            INSERT INTO community_subscriptions (user_id, community_id, end_date, price,
                                                 billing_interval)
            SELECT %s, community_id, now() + interval '2 hours', subscription_fee,
                   subscription_interval
            FROM communities WHERE artist_id = %s
            RETURNING subscription_id
            """,
            [user_id, artist_id],
        )
        ids = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute("ANALYZE")
    return ids


def renew_in_threads(args: tuple[list[str], int]) -> tuple[dict[str, int], float]:
    """One process: `threads` threads take ids from a shared queue, each renewing through
    its own database connection, as a Celery worker's thread pool does. Its outcomes,
    and the CPU seconds it spent (the machine is shared: wall time alone misleads)."""
    ids, threads = args
    connection.close()  # the forked parent's connection is not ours to use
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for subscription_id in ids:
        todo.put(subscription_id)
    outcomes: dict[str, int] = {}
    lock = threading.Lock()

    def work() -> None:
        try:
            while True:
                try:
                    subscription_id = todo.get_nowait()
                except queue.Empty:
                    return
                outcome = subscription_renew(subscription_id=subscription_id)
                with lock:
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            connection.close()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return outcomes, usage.ru_utime + usage.ru_stime


def profile(ids: list[str]) -> None:
    """Renew `ids` one after another in this thread: the statements of the first renewal,
    the CPU per renewal of the first half, then the second half under cProfile counting
    CPU time (not wall time, which the shared machine's load would blur)."""
    with CaptureQueriesContext(connection) as first:
        subscription_renew(subscription_id=ids[0])
    print(f"statements of one renewal: {len(first)}")
    for query in first:
        print("   ", query["sql"][:150])
    plain, profiled = ids[1 : len(ids) // 2], ids[len(ids) // 2 :]
    started = time.process_time()
    for subscription_id in plain:
        subscription_renew(subscription_id=subscription_id)
    cpu = time.process_time() - started
    print(f"{len(plain)} renewals in one thread: {cpu / len(plain) * 1000:.1f} ms CPU each")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for subscription_id in profiled:
        subscription_renew(subscription_id=subscription_id)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(70)


CHECK = """
SELECT count(*) FILTER (WHERE paid = 1) AS once,
       count(*) FILTER (WHERE paid > 1) AS twice,
       count(*) FILTER (WHERE paid = 0) AS missed
FROM (
    SELECT s.subscription_id,
           count(p.payment_id) FILTER (WHERE p.payment_status = 'completed') AS paid
    FROM community_subscriptions s
    LEFT JOIN payments p ON p.subscription_id = s.subscription_id
    WHERE s.subscription_id = ANY(%s::uuid[])
    GROUP BY s.subscription_id
) per_subscription
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32, help="per process")
    parser.add_argument(
        "--twice", action="store_true", help="submit every id twice (retries, beat overlap)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="renew in this process under cProfile"
    )
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    latency = settings.PAYMENTS_TEST_GATEWAY_LATENCY_MS
    started = time.perf_counter()
    ids = fill(args.subscriptions, run)
    print(
        f"run {run}: filled {len(ids)} due subscriptions in {time.perf_counter() - started:.1f} s"
    )
    if args.profile:
        profile(ids)
        return
    submitted = ids + ids[::-1] if args.twice else ids
    shares = [submitted[i :: args.processes] for i in range(args.processes)]
    connection.close()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.processes, mp_context=get_context("fork")) as pool:
        results = list(pool.map(renew_in_threads, [(share, args.threads) for share in shares]))
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for result, _ in results:
        for outcome, n in result.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + n
    cpu = sum(seconds for _, seconds in results)
    print(
        f"{args.processes} process(es) x {args.threads} threads, gateway latency {latency} ms: "
        f"{outcomes} in {elapsed:.1f} s ({len(ids) / elapsed:.0f} renewals/s); "
        f"workers' CPU {cpu:.0f} s ({cpu / len(ids) * 1000:.1f} ms per renewal)"
    )
    with connection.cursor() as cursor:
        cursor.execute(CHECK, [ids])
        once, twice, missed = cursor.fetchone()
    print(f"from the database: {once} charged once, {twice} charged twice, {missed} missed")
    print(f"load average: {' '.join(f'{value:.1f}' for value in os.getloadavg())}")
    if twice or missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
