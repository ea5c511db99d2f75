"""How long one post's notification fan-out takes for N followers and members.

    .venv/bin/python scripts/devservices.py exec -- \
        .venv/bin/python bench/fan_out.py --recipients 100000

Everything it creates is rolled back at the end; the figures go to docs/performance.md.
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

from django.db import connection, transaction  # noqa: E402

from communities.selectors import artist_audience  # noqa: E402
from notifications.models import NotificationType  # noqa: E402
from notifications.services import audience_notify  # noqa: E402


class Rollback(Exception):
    pass


def fill(recipients: int, artist_id: uuid.UUID) -> None:
    """Half of the recipients follow the artist, half are members of its community."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO artists (artist_id, artist_name) VALUES (%s, 'Benchmark Artist')",
            [artist_id],
        )
        community_id = uuid.uuid4()
        cursor.execute(
            "INSERT INTO communities (community_id, artist_id, name, subscription_fee) "
            "VALUES (%s, %s, 'Benchmark Community', 5)",
            [community_id, artist_id],
        )
        cursor.execute(
            """
            INSERT INTO users (username, email, full_name, is_superuser)
            SELECT 'bench_' || n, 'bench_' || n || '@example.com', 'Bench Fan ' || n, false
            FROM generate_series(1, %s) n
            """,
            [recipients],
        )
        cursor.execute(
            """
            INSERT INTO user_preferences (user_id, favorite_artists)
            SELECT user_id, ARRAY[%s]::uuid[] FROM users
            WHERE username LIKE 'bench\\_%%' AND substring(username from 7)::int %% 2 = 0
            """,
            [artist_id],
        )
        cursor.execute(
            """
            INSERT INTO community_subscriptions (user_id, community_id, end_date, price,
                                                 billing_interval)
            SELECT user_id, %s, now() + interval '30 days', 5, 'monthly' FROM users
            WHERE username LIKE 'bench\\_%%' AND substring(username from 7)::int %% 2 = 1
            """,
            [community_id],
        )
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=100_000)
    args = parser.parse_args()
    artist_id = uuid.uuid4()
    try:
        with transaction.atomic():
            started = time.perf_counter()
            fill(args.recipients, artist_id)
            print(f"filled {args.recipients} recipients in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            created = audience_notify(
                audience=artist_audience(artist_id=artist_id),
                exclude_user_id=None,
                notification_type=NotificationType.POST,
                title="Benchmark Artist posted",
                message="A new post is up.",
                resource_type="post",
                resource_id=uuid.uuid4(),
            )
            elapsed = time.perf_counter() - started
            print(f"fan-out: {created} notifications in {elapsed:.2f} s")
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
