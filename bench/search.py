"""The search page's SQL over generated data: 500 varied queries, their p50/p95 per kind of query.

    .venv/bin/python manage.py generate_data --scale 1 --if-empty      # once, in its own MP_DATA_DIR
    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/search.py [--queries 500]

Runs `musicplatform.search.search_groups` (what /search/?q=… runs: pg_trgm's threshold,
then one query per kind) as a generated fan who belongs to communities, so that forum topics
are searched too, with queries made from the data: artist, product and community names with
a typo, words from posts, quoted phrases, `or` and `-exclusion`. Each query is timed from
the first SQL statement to the last row read, on a warm server (one pass over the queries
first). Then prints, for one query of each sort, the indexes its plans use and any
sequential scan of a searched table.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musicplatform.settings.local")
# Query logging (DEBUG) only where the statements are captured, not while timing.
os.environ.setdefault("DEBUG", "false")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from artists.models import Artist  # noqa: E402
from communities.models import Community, CommunitySubscription  # noqa: E402
from content.models import Post  # noqa: E402
from musicplatform.queryplans import explain, index_names, is_select, sequential_scans  # noqa: E402
from musicplatform.search import search_groups, search_session  # noqa: E402
from shop.models import Product  # noqa: E402

SEARCHED_TABLES = {"artists", "posts", "products", "communities", "forum_posts", "reviews"}
SAMPLE = 200


def typo(rng: random.Random, text: str) -> str:
    """One slip of the keyboard: a letter doubled, dropped, or two letters swapped."""
    i = rng.randrange(1, max(2, len(text) - 1))
    slip = rng.choice(("double", "drop", "swap"))
    if slip == "double":
        return text[:i] + text[i] + text[i:]
    if slip == "drop":
        return text[:i] + text[i + 1 :]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def sample(queryset, field: str) -> list[str]:
    return [value for value in queryset.values_list(field, flat=True)[:SAMPLE] if value]


def queries(rng: random.Random, count: int) -> list[tuple[str, str]]:
    artists = sample(Artist.objects.order_by("?"), "artist_name")
    products = sample(Product.objects.order_by("?"), "name")
    communities = sample(Community.objects.order_by("?"), "name")
    post_words = [
        text.strip(".,:!?").split() for text in sample(Post.objects.order_by("?"), "content_text")
    ]
    words = sorted({word.strip(".,:!?").lower() for text in post_words for word in text})

    def phrase() -> str:
        text = rng.choice(post_words)
        start = rng.randrange(max(1, len(text) - 2))
        return '"' + " ".join(text[start : start + 3]) + '"'

    makers = {
        "artist name, typo": lambda: typo(rng, rng.choice(artists)).lower(),
        "product name, typo": lambda: typo(rng, rng.choice(products).split(" #")[0]),
        "community name, typo": lambda: typo(rng, rng.choice(communities)),
        "word from posts": lambda: rng.choice(words),
        "two words": lambda: " ".join(rng.sample(words, 2)),
        "quoted phrase": phrase,
        "a or b": lambda: f"{rng.choice(words)} or {rng.choice(words)}",
        "word -exclusion": lambda: f"{rng.choice(words)} -{rng.choice(words)}",
    }
    sorts = list(makers)
    return [(sort, makers[sort]()) for sort in (sorts[i % len(sorts)] for i in range(count))]


def captured_sql(viewer, query: str) -> list[str]:
    """The statements the search page runs for `query`, parameters inlined: those of a
    first search, the ids found not yet kept (musicplatform.search._matches)."""
    cache.clear()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        search_groups(viewer=viewer, query=query)
    return [entry["sql"] for entry in captured.captured_queries if is_select(entry["sql"])]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()

    member = CommunitySubscription.objects.members().values_list("user_id", flat=True).first()
    if member is None:
        sys.exit("No community member in this database: run manage.py generate_data first.")
    viewer = User.objects.get(pk=member)
    counts = {
        model._meta.db_table: model.objects.count() for model in (Artist, Post, Product, Community)
    }
    print("rows:", ", ".join(f"{table} {n}" for table, n in counts.items()))
    workload = queries(random.Random(args.seed), args.queries)  # noqa: S311 - a workload, not a secret

    # A first pass captures each query's SQL and warms the server's caches, as a running
    # site has them; the second times the SQL alone, then the whole selector (the ORM
    # building the statements and the rows becoming objects, too).
    statements = {}
    for _sort, query in workload:
        statements[query] = captured_sql(viewer, query)
    sql_ms: dict[str, list[float]] = {}
    page_ms: dict[str, list[float]] = {}
    for sort, query in workload:
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            for sql in statements[query]:
                cursor.execute(sql)
                cursor.fetchall()
            sql_ms.setdefault(sort, []).append((time.perf_counter() - started) * 1000)
        cache.clear()  # timed as a first search of these words
        started = time.perf_counter()
        search_groups(viewer=viewer, query=query)
        page_ms.setdefault(sort, []).append((time.perf_counter() - started) * 1000)

    statement_count = len(next(iter(statements.values())))
    print(f"\n{len(workload)} queries, {statement_count} statements each\n")
    print("| queries | n | SQL p50 ms | SQL p95 ms | SQL max ms | selector p95 ms |")
    print("|---|---|---|---|---|---|")
    every_sql = [ms for values in sql_ms.values() for ms in values]
    every_page = [ms for values in page_ms.values() for ms in values]
    for sort, values, pages in [
        *((sort, sql_ms[sort], page_ms[sort]) for sort in sql_ms),
        ("all", every_sql, every_page),
    ]:
        print(
            f"| {sort} | {len(values)} | {statistics.median(values):.1f} | "
            f"{percentile(values, 0.95):.1f} | {max(values):.1f} | "
            f"{percentile(pages, 0.95):.1f} |"
        )

    print("\nPlans, one query of each sort (sequential scans of the small tables are the")
    print("planner's choice where no index applies or the table is smaller than a page):")
    seen = set()
    for sort, query in workload:
        if sort in seen:
            continue
        seen.add(sort)
        indexes, scans = set(), []
        # With the page's own settings for the transaction (search_session).
        with search_session(), connection.cursor() as cursor:
            for sql in statements[query]:
                plan = explain(cursor, sql)
                scans += sequential_scans(plan, SEARCHED_TABLES)
                indexes |= index_names(plan)
        print(f"- {sort} ({query!r}): indexes {', '.join(sorted(indexes))}")
        if scans:
            print(f"  SEQUENTIAL SCANS: {', '.join(scans)}")


if __name__ == "__main__":
    main()
