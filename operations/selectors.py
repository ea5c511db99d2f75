"""Reads about a database as a whole: is it empty, and a fingerprint of its contents."""

import psycopg
from psycopg import sql

from operations.postgres import one_row

# Schemas PostgreSQL itself keeps in every database (pg_catalog, pg_toast, temp schemas…).
USER_SCHEMA = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"

# Row text depends on these session settings; fixing them makes a fingerprint taken on one
# server comparable with one taken on another.
ROW_TEXT_SETTINGS = (
    "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; "
    "SET IntervalStyle = 'postgres'; SET extra_float_digits = 1"
)


def database_objects_count(conn: psycopg.Connection) -> int:
    """Tables, views, sequences, routines and extra schemas outside PostgreSQL's own."""
    query = f"""
        SELECT (SELECT count(*) FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMA})
             + (SELECT count(*) FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_SCHEMA})
             + (SELECT count(*) FROM pg_namespace n WHERE {USER_SCHEMA} AND n.nspname <> 'public')
    """  # noqa: S608 (no input in it)
    return one_row(conn.execute(query))[0]


def database_fingerprint(conn: psycopg.Connection) -> dict[str, dict[str, int | str]]:
    """Every table's row count and a checksum of its rows, by schema-qualified name.

    The checksum is an md5 over the md5 of each row's text, sorted, so it does not depend on
    the physical order of rows, which a restore does not keep.
    """
    conn.execute(ROW_TEXT_SETTINGS)
    tables = conn.execute(
        f"""
        SELECT n.nspname, c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND {USER_SCHEMA}
        ORDER BY 1, 2
        """  # noqa: S608 (no input in it)
    ).fetchall()
    fingerprint: dict[str, dict[str, int | str]] = {}
    for schema, table in tables:
        rows, checksum = one_row(
            conn.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
                    " FROM {} AS t"
                ).format(sql.Identifier(schema, table))
            )
        )
        fingerprint[f"{schema}.{table}"] = {"rows": rows, "checksum": checksum}
    return fingerprint
