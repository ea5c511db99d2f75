"""What the database holds, cheaply, to prove that a request changed nothing.

A snapshot is each table's row count and an order-independent checksum of its rows (the
sum of a hash of every row's text form), read in one query inside the current
transaction, so uncommitted test data and the request's own writes are both seen. Unlike
PostgreSQL's write counters it compares content: a write undone by a rolled-back savepoint
is no change.
"""

from django.db import connection

# Written by any signed-in request whatever it does (the test client's session).
SESSION_TABLES = frozenset({"django_session"})

Snapshot = dict[str, tuple[int, int]]


def snapshot() -> Snapshot:
    """table -> (row count, checksum of the rows)."""
    tables = connection.introspection.table_names(include_views=False)
    quote = connection.ops.quote_name
    # The names come from the catalogue and are quoted; only the names are parameters.
    query = " UNION ALL ".join(
        f"SELECT %s, count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) FROM {quote(name)} t"  # noqa: S608
        for name in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return {table: (count, int(checksum)) for table, count, checksum in cursor.fetchall()}


def changed_tables(before: Snapshot, after: Snapshot, *, ignore=SESSION_TABLES) -> list[str]:
    """The tables whose rows differ between the two snapshots."""
    return sorted(
        table
        for table in before.keys() | after.keys()
        if before.get(table) != after.get(table) and table not in ignore
    )
