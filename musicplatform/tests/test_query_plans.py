"""Every query of every key page can be served by an index on the tables that grow.

Each page's SELECTs are explained with sequential scans switched off for the transaction:
the planner then takes any index that can serve the query, so a sequential scan of posts,
comments, likes, orders or notifications left in a plan means none can. On a test-sized
table PostgreSQL would rightly prefer a sequential scan, which is why the planner's own
choice is not what is checked here; `bench/explain.py` shows it on generated data.
"""

import pytest
from django.db import connection

from musicplatform.queryplans import explain, is_select, sequential_scans
from musicplatform.tests.key_pages import key_pages

pytestmark = pytest.mark.django_db


def test_no_key_page_query_needs_a_sequential_scan_of_a_big_table():
    pages = key_pages(3)
    scans = []
    for page in pages.urls:
        selects = [sql for sql in pages.queries(page) if is_select(sql)]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            for sql in selects:
                if tables := sequential_scans(explain(cursor, sql)):
                    scans.append(f"{page}: {', '.join(tables)} in {sql}")
            cursor.execute("SET LOCAL enable_seqscan = on")

    assert scans == []


def test_the_check_finds_a_query_no_index_serves():
    """The negative control: a filter on an unindexed column is a sequential scan."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = explain(cursor, "SELECT * FROM comments WHERE content = 'x'")
        cursor.execute("SET LOCAL enable_seqscan = on")

    assert sequential_scans(plan) == ["comments"]
