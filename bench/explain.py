"""The query plans of every key page on generated data, and the big tables read without an index.

    .venv/bin/python scripts/devservices.py exec -- .venv/bin/python bench/explain.py [--plans]

Requests each page that bench/load.py measures once, in-process, as a signed-in generated
fan (with bench/settings.py), captures its SQL, and runs `EXPLAIN (ANALYZE)` on every
SELECT with the planner's own choices (nothing forced, unlike the index test in
musicplatform/tests/test_query_plans.py). Prints per page its time (and this process's
CPU time, which other work on the machine changes least), the number of queries, their
time, the slowest query, and every sequential scan of posts, comments, likes, orders or
notifications; `--plans` prints every plan as well. Exits 1 when such a scan is found.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.load import clients  # sets up Django with bench/settings.py
from musicplatform.queryplans import explain, is_select, sequential_scans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", action="store_true", help="print every plan")
    parser.add_argument("--pages", nargs="*", help="only these pages (names as printed)")
    args = parser.parse_args()

    call_command("collectstatic", interactive=False, verbosity=0)  # production templates need it
    (fan,) = clients(1)
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.cookies.load(fan.cookie)
    scanned = False
    for page, url in fan.urls.items():
        if args.pages and page not in args.pages:
            continue
        headers = {"HX-Request": "true"} if "poll" in page else {}
        browser.get(url, headers=headers)  # warm the caches, as a visitor before would
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = browser.get(url, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            # This process's own CPU time: what other work on the machine changes least.
            cpu = (time.process_time() - cpu_started) * 1000
        selects = [q["sql"] for q in captured.captured_queries if is_select(q["sql"])]
        rows = []
        with connection.cursor() as cursor:
            for sql in selects:
                plan = explain(cursor, sql, analyze=True)
                rows.append((plan["Execution Time"], sequential_scans(plan), sql, plan))
        total = sum(row[0] for row in rows)
        print(
            f"\n## {page} ({url}): HTTP {response.status_code} in {elapsed:.0f} ms "
            f"({cpu:.0f} ms CPU), "
            f"{len(response.content) // 1024} KB; {len(captured)} queries, "
            f"{len(selects)} SELECTs taking {total:.1f} ms"
        )
        for ms, scans, sql, _plan in sorted(rows, key=lambda row: -row[0]):
            if scans:
                scanned = True
                print(f"  SEQUENTIAL SCAN of {', '.join(scans)} ({ms:.1f} ms): {sql[:300]}")
            if args.plans:
                print(f"  {ms:.1f} ms: {sql}")
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN {sql}")
                    print("\n".join("    " + line for (line,) in cursor.fetchall()))
        if rows and not args.plans:
            ms, _, sql, _ = max(rows, key=lambda row: row[0])
            print(f"  slowest ({ms:.1f} ms): {sql[:300]}")
    sys.exit(1 if scanned else 0)


if __name__ == "__main__":
    main()
