"""Compare two PostgreSQL schemas from their catalogs, as the design document's reviewers would.

`describe()` reads one database's catalog into a flat mapping from a *place* to what stands
there; `differences()` lists the places where two descriptions disagree. A place reads as:

- `table`                            the table exists on one side only
- `table.column`                     the column exists on one side only
- `table.column: type` / `: nullability` / `: default` / `: foreign key`
- `table: primary key`
- `table: unique (a, b)`             a UNIQUE constraint, keyed by its columns
- `table: check (a, b)`              a CHECK constraint, keyed by the columns it reads
- `table: index (a, b)`              an index that backs no constraint, keyed by its columns

docs/schema.md lists every place where the project deliberately differs from the
reference DDL; the schema conformance test holds the two together. Constraint and index
names are not compared (PostgreSQL and Django name them differently), nor is foreign-key
deferrability (Django creates every foreign key DEFERRABLE INITIALLY DEFERRED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ON_DELETE_RULES = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}

INDEX_DEFINITION = re.compile(
    r"CREATE (?P<unique>UNIQUE )?INDEX \S+ ON \S+ USING (?P<method>\w+) \((?P<columns>.*?)\)"
    r"(?P<rest>.*)$"
)


@dataclass(frozen=True)
class Difference:
    place: str
    reference: str | None
    ours: str | None

    def __str__(self) -> str:
        return f"{self.place}: reference {self.reference!r}, ours {self.ours!r}"


def describe(cursor, tables: set[str]) -> dict[str, str]:
    """What the `public` schema holds for `tables`, place by place."""
    table_list = sorted(tables)
    description: dict[str, str] = {}

    cursor.execute(
        "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY(%s)",
        [table_list],
    )
    for (table,) in cursor.fetchall():
        description[table] = "table"

    cursor.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname = ANY(%s)
          AND a.attnum > 0 AND NOT a.attisdropped
        """,
        [table_list],
    )
    for table, column, data_type, not_null, default in cursor.fetchall():
        place = f"{table}.{column}"
        description[place] = "column"
        description[f"{place}: type"] = data_type
        description[f"{place}: nullability"] = "NOT NULL" if not_null else "NULL"
        description[f"{place}: default"] = default or "none"

    cursor.execute(
        """
        SELECT c.relname, con.contype, con.confdeltype, ref.relname,
               ARRAY(SELECT attname FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
                     JOIN pg_attribute ON attrelid = con.conrelid AND attnum = k.num
                     ORDER BY k.pos),
               ARRAY(SELECT attname FROM unnest(con.confkey) WITH ORDINALITY k(num, pos)
                     JOIN pg_attribute ON attrelid = con.confrelid AND attnum = k.num
                     ORDER BY k.pos),
               pg_get_constraintdef(con.oid)
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class ref ON ref.oid = con.confrelid
        WHERE n.nspname = 'public' AND c.relname = ANY(%s) AND con.contype IN ('p', 'f', 'u', 'c')
        """,
        [table_list],
    )
    for table, kind, on_delete, target, columns, target_columns, definition in cursor.fetchall():
        column_list = ", ".join(columns)
        if kind == "p":
            description[f"{table}: primary key"] = column_list
        elif kind == "f":
            description[f"{table}.{column_list}: foreign key"] = (
                f"{target}({', '.join(target_columns)}) ON DELETE {ON_DELETE_RULES[on_delete]}"
            )
        elif kind == "u":
            description[f"{table}: unique ({column_list})"] = definition
        else:
            checked = ", ".join(sorted(columns))
            description[f"{table}: check ({checked})"] = definition

    cursor.execute(
        """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
        """,
        [table_list],
    )
    for table, definition in cursor.fetchall():
        match = INDEX_DEFINITION.match(definition)
        if match is None:
            raise ValueError(f"Unexpected index definition: {definition}")
        shape = f"{'UNIQUE ' if match['unique'] else ''}USING {match['method']}{match['rest']}"
        description[f"{table}: index ({match['columns']})"] = shape.strip()
    return description


def differences(reference: dict[str, str], ours: dict[str, str]) -> list[Difference]:
    """Places where the two descriptions disagree; a missing table or column is one place."""
    absent = {place for place, what in {**reference, **ours}.items() if what in {"table", "column"}}
    absent = {place for place in absent if (place in reference) != (place in ours)}

    def within_an_absent_place(place: str) -> bool:
        column = place.split(":")[0]
        table = column.split(".")[0]
        return (table in absent and place != table) or (column in absent and place != column)

    found = []
    for place in sorted(reference.keys() | ours.keys()):
        if within_an_absent_place(place):
            continue
        if reference.get(place) != ours.get(place):
            found.append(Difference(place, reference.get(place), ours.get(place)))
    return found


DOCUMENTED_PLACE = re.compile(r"`([^`]+)`")


def documented_places(markdown: str, heading: str) -> set[str]:
    """The places named in the first cell of each table row under `heading`."""
    section = markdown.split(heading, 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    places: set[str] = set()
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= {"|", "-", " ", ":"}:
            continue
        first_cell = line.split("|")[1]
        places.update(DOCUMENTED_PLACE.findall(first_cell))
    return places
