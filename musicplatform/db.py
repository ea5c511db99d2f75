"""Column helpers shared by every app's models, so each table states its defaults once."""

import uuid

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import UUID4


class CurrentTimestamp(models.Func):
    """PostgreSQL's CURRENT_TIMESTAMP, the default the design document gives every timestamp.

    Django's own `Now()` renders STATEMENT_TIMESTAMP(); the document's default is kept.
    """

    template = "CURRENT_TIMESTAMP"
    output_field = models.DateTimeField()


def uuid_primary_key(column: str) -> models.UUIDField:
    # The Python default gives new objects their id before they are saved (bulk_create,
    # factories); the database default serves rows written by SQL.
    return models.UUIDField(
        primary_key=True, default=uuid.uuid4, db_default=UUID4(), editable=False, db_column=column
    )


def well_formed_uuids(values) -> list[uuid.UUID]:
    """The values that are UUIDs, as UUIDs; the others are left out. Ids from forms and
    from text columns (`featured_items.item_id`) may be anything."""
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


def created_at() -> models.DateTimeField:
    return models.DateTimeField(db_default=CurrentTimestamp(), editable=False)


def maintained_count() -> models.IntegerField:
    """A count of other rows kept by triggers on them (likes: content/0005, live comments:
    content/0006), so that pages show it, and the explore page ranks by it, without
    counting millions of rows."""
    return models.IntegerField(default=0, db_default=0, editable=False)


def updated_at() -> models.DateTimeField:
    """Kept current by the `set_updated_at` trigger (see `updated_at_trigger`)."""
    return models.DateTimeField(db_default=CurrentTimestamp(), editable=False)


UPDATED_AT_FUNCTION = """
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def updated_at_trigger(table: str):
    """A migration operation that keeps `table.updated_at` current on every UPDATE.

    A trigger rather than `auto_now`, so that QuerySet.update(), bulk updates and plain SQL
    keep the column right too.
    """
    from django.db import migrations

    return migrations.RunSQL(
        sql=(
            f"CREATE TRIGGER {table}_set_updated_at BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at();"
        ),
        reverse_sql=f"DROP TRIGGER IF EXISTS {table}_set_updated_at ON {table};",
    )


# Content carries no language (`languages` only lists what fans prefer), so every document
# is read as English: stemmed English words, other languages' words kept whole (docs/schema.md).
SEARCH_CONFIG = "english"


def searchable_text(*, titles: tuple[str, ...] = (), body: str) -> models.GeneratedField:
    """A stored tsvector of a row's text for full-text search (musicplatform/search.py): the
    titles, if any, weigh more than the body. PostgreSQL keeps it current on every write."""
    body_vector = SearchVector(body, config=SEARCH_CONFIG, weight="B")
    return models.GeneratedField(
        expression=(
            SearchVector(*titles, config=SEARCH_CONFIG, weight="A") + body_vector
            if titles
            else body_vector
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
