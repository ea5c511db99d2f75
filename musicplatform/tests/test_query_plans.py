"""Every query of every key page can be served by an index on the tables that grow.

Each page's SELECTs are explained with sequential scans switched off for the transaction:
the planner then takes any index that can serve the query, so a sequential scan of posts,
comments, likes, orders or notifications left in a plan means none can. On a test-sized
table PostgreSQL would rightly prefer a sequential scan, which is why the planner's own
choice is not what is checked here; `bench/explain.py` shows it on generated data.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from musicplatform.queryplans import explain, index_names, is_select, sequential_scans
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


SEARCHED_TABLES = {"artists", "posts", "products", "communities", "forum_posts", "reviews"}


def test_every_search_query_finds_its_rows_through_the_search_indexes(client):
    """With sequential scans discouraged, each kind's matches come from its GIN indexes."""
    pages = key_pages(3)
    staff = UserFactory(staff=True)  # reads every community's forum topics
    client.force_login(staff)
    # Names by similarity (artists, products, communities), words by full-text search.
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/search/", {"q": "echo -valley"}).status_code == 200
    selects = [query["sql"] for query in captured.captured_queries if is_select(query["sql"])]
    scans, indexes = [], set()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        # On a test-sized table, reading every active product through this partial index
        # costs the planner less than the search indexes; gone (until the test's rollback),
        # it leaves them to show whether they serve.
        cursor.execute("DROP INDEX idx_products_active_newest")
        for sql in selects:
            plan = explain(cursor, sql)
            scans += sequential_scans(plan, SEARCHED_TABLES)
            indexes |= index_names(plan)
        cursor.execute("SET LOCAL enable_seqscan = on")

    assert pages.urls  # the key pages' data: posts, products, reviews, forum posts, names
    assert scans == []
    assert {
        "idx_artists_name_trgm",
        "idx_posts_search",
        "idx_products_search",
        "idx_products_name_trgm",
        "idx_communities_search",
        "idx_communities_name_trgm",
        "idx_forum_posts_search",
        "idx_reviews_search",
    } <= indexes
