"""The migrated database matches the design document's DDL except where docs/schema.md says why."""

import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from musicplatform.schema_catalog import describe, differences, documented_places

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs"
DEVIATIONS_HEADING = "## Differences from the reference schema"
PROJECT_APPS = [
    "accounts",
    "artists",
    "content",
    "communities",
    "shop",
    "payments",
    "catalogue",
    "notifications",
    "ledger",
]
# pgserver's PostgreSQL ships without the uuid-ossp extension the document loads; the
# reference's uuid_generate_v4() is given by a function that does the same.
UUID_OSSP = 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";'
UUID_OSSP_STAND_IN = (
    "CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql AS 'SELECT gen_random_uuid()';"
)


def reference_tables(ddl: str) -> set[str]:
    return {
        line.split()[2] for line in ddl.splitlines() if line.upper().startswith("CREATE TABLE ")
    }


def project_tables() -> set[str]:
    return {
        model._meta.db_table
        for label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    }


@pytest.fixture(scope="module")
def reference_catalog(django_db_blocker):
    """The reference DDL loaded into a scratch database of the same server, described."""
    ddl = (DOCS / "reference-schema.sql").read_text()
    assert UUID_OSSP in ddl
    tables = reference_tables(ddl) | project_tables()
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    scratch = f"reference_schema_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{scratch}"')
        try:
            with psycopg.connect(**{**params, "dbname": scratch}) as reference:
                reference.execute(UUID_OSSP_STAND_IN)
                reference.execute(ddl.replace(UUID_OSSP, ""))
                with reference.cursor() as cursor:
                    yield tables, describe(cursor, tables)
        finally:
            admin.execute(f'DROP DATABASE "{scratch}" WITH (FORCE)')


def test_reference_ddl_has_the_documents_25_tables():
    assert len(reference_tables((DOCS / "reference-schema.sql").read_text())) == 25


def test_every_difference_from_the_reference_is_documented_and_every_documented_one_exists(
    reference_catalog,
):
    tables, reference = reference_catalog
    with connection.cursor() as cursor:
        ours = describe(cursor.cursor, tables)
    found = {difference.place: difference for difference in differences(reference, ours)}
    documented = documented_places((DOCS / "schema.md").read_text(), DEVIATIONS_HEADING)

    undocumented = [str(found[place]) for place in sorted(found.keys() - documented)]
    stale = sorted(documented - found.keys())
    assert not undocumented, "Differences missing from docs/schema.md:\n" + "\n".join(undocumented)
    assert not stale, "docs/schema.md lists differences that no longer exist:\n" + "\n".join(stale)
