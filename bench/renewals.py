"""How long renewing N due community subscriptions takes (one worker, the test gateway).

    .venv/bin/python scripts/devservices.py exec -- \
        .venv/bin/python bench/renewals.py --subscriptions 10000

Each renewal is the real service (`communities.services.renewals.subscription_renew`): two
transactions, the period's renewal row, a payment, the gateway's answer applied as an
event, the payment service's hook extending the subscription, a notification. Everything
it creates is deleted at the end; the figures go to README.md (Communities).

One payer subscribes to N communities: the test gateway keeps one saved card row per
card number, so N payers could not each save the test card.
"""

import argparse
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")

import django

django.setup()

from django.db import connection  # noqa: E402

from communities.services.renewals import subscription_renew, subscriptions_due_ids  # noqa: E402


def fill(count: int, artist_id: uuid.UUID, user_id: uuid.UUID) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (user_id, username, email, full_name, is_superuser) "
            "VALUES (%s, %s, %s, 'Bench Payer', false)",
            [user_id, f"bench_{user_id.hex[:12]}", f"bench_{user_id.hex[:12]}@example.com"],
        )
        cursor.execute(
            "INSERT INTO saved_payment_methods (id, user_id, gateway, method_ref, label) "
            "VALUES (gen_random_uuid(), %s, 'test', %s, 'Bench card')",
            [user_id, f"testcard_{user_id}_4242"],
        )
        cursor.execute(
            "INSERT INTO artists (artist_id, artist_name) VALUES (%s, 'Benchmark Artist')",
            [artist_id],
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
            """,
            [user_id, artist_id],
        )
        cursor.execute("ANALYZE")


def own_due(due: list, user_id: uuid.UUID) -> list:
    """Only the benchmark payer's subscriptions: the database may be a real one (the demo
    or generated data), whose members must never be charged or notified by a benchmark."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT subscription_id FROM community_subscriptions WHERE user_id = %s", [user_id]
        )
        own = {row[0] for row in cursor.fetchall()}
    return [subscription_id for subscription_id in due if subscription_id in own]


CLEAN = [
    "UPDATE community_subscriptions SET payment_id = NULL WHERE user_id IN "
    "(SELECT user_id FROM users WHERE full_name = 'Bench Payer')",
    "DELETE FROM status_history WHERE entity_id IN (SELECT payment_id FROM payments "
    "WHERE user_id IN (SELECT user_id FROM users WHERE full_name = 'Bench Payer'))",
    "DELETE FROM payment_events WHERE payment_id IN (SELECT payment_id FROM payments "
    "WHERE user_id IN (SELECT user_id FROM users WHERE full_name = 'Bench Payer'))",
    "DELETE FROM payments WHERE user_id IN "
    "(SELECT user_id FROM users WHERE full_name = 'Bench Payer')",
    "DELETE FROM artists WHERE artist_name = 'Benchmark Artist'",
    "DELETE FROM users WHERE full_name = 'Bench Payer'",
]


def clean() -> None:
    """Remove every benchmark row, also those a run that crashed left behind."""
    with connection.cursor() as cursor:
        for statement in CLEAN:
            cursor.execute(statement)


def work(args: tuple[list, int]) -> dict[str, int]:
    """One worker walks every due subscription, starting at its own offset: the workers
    overlap on purpose, as two beat runs or retried tasks would."""
    due, offset = args
    connection.close()
    outcomes: dict[str, int] = {}
    for subscription_id in due[offset:] + due[:offset]:
        outcome = subscription_renew(subscription_id=subscription_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    connection.close()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    artist_id, user_id = uuid.uuid4(), uuid.uuid4()
    clean()
    try:
        started = time.perf_counter()
        fill(args.subscriptions, artist_id, user_id)
        print(
            f"filled {args.subscriptions} due subscriptions in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        due = own_due(subscriptions_due_ids(), user_id)
        print(f"selected {len(due)} due subscriptions in {time.perf_counter() - started:.2f} s")
        connection.close()
        started = time.perf_counter()
        step = len(due) // args.workers
        with ProcessPoolExecutor(args.workers, mp_context=get_context("fork")) as pool:
            results = list(pool.map(work, [(due, i * step) for i in range(args.workers)]))
        elapsed = time.perf_counter() - started
        outcomes: dict[str, int] = {}
        for result in results:
            for outcome, n in result.items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
        print(f"{args.workers} worker(s): {outcomes} in {elapsed:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT payment_status, count(*) FROM payments JOIN users USING (user_id) "
                "WHERE full_name = 'Bench Payer' GROUP BY 1"
            )
            print(f"payments: {dict(cursor.fetchall())}")
    finally:
        clean()


if __name__ == "__main__":
    main()
