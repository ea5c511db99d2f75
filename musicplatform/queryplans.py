"""Query plans of the pages: which big tables a query still reads without an index.

Used by the index test (`musicplatform/tests/test_query_plans.py`, with sequential scans
discouraged so that a remaining one means no index can serve the query) and by
`bench/explain.py` (on generated data, with the planner's own choices).
"""

import json

# The tables that grow with use; a page that scans one of them slows down as it grows.
BIG_TABLES = frozenset({"posts", "comments", "likes", "orders", "notifications"})


def explain(cursor, sql: str, *, analyze: bool = False) -> dict:
    """The plan of one captured SELECT (its parameters already inlined), as JSON."""
    options = "ANALYZE, BUFFERS, FORMAT JSON" if analyze else "FORMAT JSON"
    cursor.execute(f"EXPLAIN ({options}) {sql}")
    document = cursor.fetchone()[0]
    return (json.loads(document) if isinstance(document, str) else document)[0]


def sequential_scans(plan: dict, tables=BIG_TABLES) -> list[str]:
    """The big tables that `plan` reads by a sequential scan, in plan order."""
    found = []
    stack = [plan["Plan"]]
    while stack:
        node = stack.pop()
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in tables:
            found.append(node["Relation Name"])
        stack.extend(reversed(node.get("Plans", [])))
    return found


def index_names(plan: dict) -> set[str]:
    """The indexes `plan` reads."""
    found = set()
    stack = [plan["Plan"]]
    while stack:
        node = stack.pop()
        if "Index Name" in node:
            found.add(node["Index Name"])
        stack.extend(node.get("Plans", []))
    return found


def is_select(sql: str) -> bool:
    # "(": a UNION ALL of parenthesised SELECTs (communities.selectors, the topic list).
    return sql.lstrip().upper().startswith(("SELECT", "WITH", "("))
