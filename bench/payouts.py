"""How long the weekly payout run takes for N artists with available balances.

    .venv/bin/python scripts/devservices.py exec -- \
        .venv/bin/python bench/payouts.py --artists 1000

Each artist gets a bank-transfer payout method (encrypted) and a past, balanced earning
in the ledger; then `ledger.payouts.payouts_run` runs for real (per artist: the artist
lock, the period check, the balance under the lock, the payout row, its booking, the
status move with history, the notification), followed by a second run that must pay
nobody. Ledger entries can never be deleted (an append-only trigger), so everything runs
inside one transaction that is rolled back at the end: the per-artist transactions are
savepoints, and their commits' flushes to disk are not in the figure. The figure goes to
docs/performance.md ("Payout run").
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")

import django

django.setup()

import json  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from artists.crypto import encrypt_details  # noqa: E402
from ledger.models import Payout  # noqa: E402
from ledger.payouts import payouts_run  # noqa: E402


def fill(count: int, tag: str) -> None:
    """N artists with a default IBAN method and 100.00 earned 10 days ago, in SQL."""
    details = json.dumps(
        encrypt_details({"iban": "DE89370400440532013000", "account_holder": "Bench"})
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO artists (artist_id, artist_name)
            SELECT md5(%(tag)s || n)::uuid, 'Bench payout artist ' || n
            FROM generate_series(1, %(count)s) n;
            INSERT INTO artist_payout_methods (payout_id, artist_id, method_type,
                                               account_details, is_default)
            SELECT gen_random_uuid(), md5(%(tag)s || n)::uuid, 'bank_transfer',
                   %(details)s::jsonb, true
            FROM generate_series(1, %(count)s) n;
            INSERT INTO ledger_transactions (transaction_id, kind, idempotency_key)
            SELECT md5(%(tag)s || 'tx' || n)::uuid, 'payment', %(tag)s || ':earning:' || n
            FROM generate_series(1, %(count)s) n;
            INSERT INTO ledger_entries (entry_id, transaction_id, account, kind, artist_id,
                                        amount, currency, booked_at, available_at)
            SELECT gen_random_uuid(), md5(%(tag)s || 'tx' || n)::uuid, side.account, 'gross',
                   CASE WHEN side.account = 'artist_payable' THEN md5(%(tag)s || n)::uuid END,
                   side.amount, %(currency)s, now() - interval '10 days',
                   now() - interval '3 days'
            FROM generate_series(1, %(count)s) n,
                 (VALUES ('processor_cash', 100.00), ('artist_payable', -100.00))
                     AS side(account, amount);
            """,
            {
                "tag": tag,
                "count": count,
                "details": details,
                "currency": settings.PAYMENTS_CURRENCY,
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--artists", type=int, default=1000)
    args = parser.parse_args()
    tag = f"bench-payout-{uuid.uuid4().hex[:8]}:"
    with transaction.atomic():
        fill(args.artists, tag)
        started = time.perf_counter()
        run = payouts_run()
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = payouts_run()
        second = time.perf_counter() - started
        paid = Payout.objects.filter(artist__artist_name__startswith="Bench payout artist").count()
        transaction.set_rollback(True)
    assert paid == args.artists and not again.created, (paid, len(again.created))
    print(
        f"{args.artists} artists: run {first:.2f} s ({1000 * first / args.artists:.1f} ms per "
        f"payout, {len(run.created)} payouts, {run.total} in all); "
        f"repeated run {second:.2f} s, 0 payouts."
    )


if __name__ == "__main__":
    main()
