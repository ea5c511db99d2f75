"""`manage.py backup` and `manage.py restore` against the real test server."""

import io
import json
import re
import shutil
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from psycopg import sql

from communities.models import CommunitySubscription
from content.models import Post
from musicplatform.tests.test_factories import FACTORIES
from operations.postgres import connection_params
from operations.services import manifest_path
from operations.tests.scratch import url
from payments.models import Payment
from shop.models import Order


def table_rows(params: dict[str, str]) -> dict[str, int]:
    with psycopg.connect(**params) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        return {
            table: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]
            for (table,) in tables
        }


def rows_checksum(params: dict[str, str], model) -> str:
    """md5 of every row of the model's table, in primary key order."""
    with psycopg.connect(**params) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return conn.execute(
            sql.SQL("SELECT md5(string_agg(t::text, '|' ORDER BY t.{})) FROM {} AS t").format(
                sql.Identifier(model._meta.pk.column), sql.Identifier(model._meta.db_table)
            )
        ).fetchone()[0]


def restore(path: Path, params: dict[str, str]) -> str:
    out = io.StringIO()
    call_command("restore", path, database_url=url(params), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_new_database_has_every_row(scratch, tmp_path):
    # Committed rows, since pg_dump reads from a session of its own.
    for factory_class in FACTORIES:
        factory_class.create_batch(3)
    source = connection_params()
    dump = tmp_path / "round-trip.dump"

    backup_output = io.StringIO()
    call_command("backup", output=dump, stdout=backup_output)
    target = scratch.database()
    restore_output = restore(dump, target)

    source_rows = table_rows(source)
    assert table_rows(target) == source_rows
    for table in ("users", "artists", "communities", "community_subscriptions", "orders",
                  "order_items", "payments", "posts", "comments", "notifications"):  # fmt: skip
        assert source_rows[table] >= 3, table
    for model in (Order, Payment, CommunitySubscription, Post):
        assert rows_checksum(target, model) == rows_checksum(source, model), model
    assert re.fullmatch(
        rf"{re.escape(str(dump))} \(\d+(\.\d)? KB\)", backup_output.getvalue().splitlines()[0]
    )
    assert "Every table's row count and checksum match the backup." in restore_output


@pytest.mark.django_db
def test_backup_defaults_to_a_timestamped_file_and_never_replaces_one(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    out = io.StringIO()

    call_command("backup", stdout=out)

    (dump,) = settings.BACKUP_DIR.glob("*.dump")
    assert re.fullmatch(r"test_musicplatform-\d{8}T\d{6}Z\.dump", dump.name)
    assert out.getvalue().startswith(f"{dump} (")
    assert manifest_path(dump).is_file()
    before = dump.read_bytes()
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=dump, stdout=io.StringIO())
    assert dump.read_bytes() == before


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(scratch, app_dump):
    target = scratch.database()
    with psycopg.connect(**target, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (order_id int PRIMARY KEY, note text)")
        conn.execute("INSERT INTO orders VALUES (1, 'keep me')")

    with pytest.raises(CommandError, match=r"is not empty .* Nothing was changed") as refused:
        restore(app_dump, target)

    assert refused.value.returncode == 3
    assert table_rows(target) == {"orders": 1}


@pytest.mark.django_db
def test_a_restore_that_fails_half_way_leaves_the_database_empty(scratch, app_dump, tmp_path):
    source = scratch.database()
    restore(app_dump, source)
    with psycopg.connect(**source, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO genres (name) SELECT 'genre ' || n FROM generate_series(1, 20000) n"
        )
    dump = tmp_path / "genres.dump"
    call_command("backup", output=dump, database_url=url(source), stdout=io.StringIO())
    # The table of contents and the schema are whole; the rows of the last tables are cut.
    truncated = tmp_path / "truncated.dump"
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    target = scratch.database()

    with pytest.raises(CommandError, match="pg_restore failed"):
        restore(truncated, target)

    assert table_rows(target) == {}


@pytest.mark.django_db
def test_a_missing_backup_file_is_reported(scratch, tmp_path):
    with pytest.raises(CommandError, match="No backup file at"):
        restore(tmp_path / "nothing.dump", scratch.database())


@pytest.mark.django_db
def test_restore_reports_tables_that_differ_from_the_backups_manifest(scratch, app_dump, tmp_path):
    dump = tmp_path / "tampered.dump"
    shutil.copy(app_dump, dump)
    manifest = json.loads(manifest_path(app_dump).read_text())
    manifest["tables"]["public.orders"]["rows"] += 1
    manifest_path(dump).write_text(json.dumps(manifest))

    with pytest.raises(
        CommandError, match=r"differs from the backup in: public\.orders$"
    ) as differs:
        restore(dump, scratch.database())

    assert differs.value.returncode == 4


@pytest.mark.django_db
def test_a_backup_without_its_manifest_is_restored_with_a_warning(scratch, app_dump, tmp_path):
    dump = tmp_path / "alone.dump"
    shutil.copy(app_dump, dump)
    target = scratch.database()
    err = io.StringIO()

    call_command("restore", dump, database_url=url(target), stdout=io.StringIO(), stderr=err)

    assert "has no manifest: the restored rows were not checked" in err.getvalue()
    assert "orders" in table_rows(target)


@pytest.mark.django_db
def test_a_database_that_cannot_be_reached_is_reported(scratch, app_dump):
    missing = {**scratch.params, "dbname": "ops_no_such_database"}

    with pytest.raises(CommandError, match="Cannot connect to database ops_no_such_database"):
        restore(app_dump, missing)


@pytest.mark.django_db
def test_a_pg_bin_dir_without_pg_dump_is_reported_and_leaves_no_file(settings, tmp_path):
    settings.PG_BIN_DIR = str(tmp_path / "bin")
    dump = tmp_path / "never.dump"

    with pytest.raises(CommandError, match="PG_BIN_DIR is set but holds no executable pg_dump"):
        call_command("backup", output=dump, stdout=io.StringIO())

    assert list(tmp_path.iterdir()) == []
