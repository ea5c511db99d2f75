"""Column and query helpers shared by every app, so each table states its defaults once and
each per-viewer rule is compiled once."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from types import SimpleNamespace

from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ImproperlyConfigured
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


class CompiledPerViewer:
    """A queryset of a viewer and the time, compiled to SQL once per process.

    Building and compiling a rule's nested queryset (who is a member, which communities
    give access) cost more CPU on every request than PostgreSQL spends running it. The
    queryset is built once with stand-ins for the user and the time; each call puts the
    request's in their places, so the rule keeps its one definition in the ORM."""

    _SOME_USER_ID = uuid.uuid4()
    _SOME_TIME = datetime(2000, 1, 1, tzinfo=UTC)

    def __init__(self, build: Callable[..., models.QuerySet]):
        self.build = build

    @cached_property
    def _compiled(self) -> tuple[str, tuple]:
        stand_in = SimpleNamespace(pk=self._SOME_USER_ID)
        sql, params = self.build(user=stand_in, now=self._SOME_TIME).query.sql_with_params()
        if self._SOME_USER_ID not in params or self._SOME_TIME not in params:
            raise ImproperlyConfigured("The compiled rule has no place for the user or the time.")
        return sql, params

    def sql_with_params(self, *, user, now: datetime) -> tuple[str, tuple]:
        sql, params = self._compiled
        return sql, tuple(
            user.pk if value == self._SOME_USER_ID else now if value == self._SOME_TIME else value
            for value in params
        )


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


# PostgreSQL's built-in text search configurations (`SELECT cfgname FROM pg_ts_config`,
# checked by a test): the snowball stemmers, and `simple`, which lowercases and keeps every
# word whole, for text in a language without a stemmer or of no known language.
SEARCH_CONFIGS = (
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "estonian", "finnish",
    "french", "german", "greek", "hindi", "hungarian", "indonesian", "irish", "italian",
    "lithuanian", "nepali", "norwegian", "portuguese", "romanian", "russian", "serbian",
    "simple", "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip
UNKNOWN_LANGUAGE_CONFIG = "simple"


def search_config_for(language) -> str:
    """The configuration for text in `language` (a `languages` row, or None): the one named
    as the language is in English ("German" is `german`), `simple` when there is none."""
    name = language.name.strip().lower() if language is not None else ""
    return name if name in SEARCH_CONFIGS else UNKNOWN_LANGUAGE_CONFIG


class RegConfigField(models.CharField):
    """A `regconfig` column: a text search configuration. Of this type, not text, because
    `to_tsvector(regconfig, text)` is IMMUTABLE, as a generated column requires, and a cast
    from text is not."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 63)
        kwargs.setdefault("default", UNKNOWN_LANGUAGE_CONFIG)
        kwargs.setdefault("db_default", UNKNOWN_LANGUAGE_CONFIG)
        super().__init__(*args, **kwargs)

    def db_type(self, connection) -> str:
        return "regconfig"

    def cast_db_type(self, connection) -> str:
        return "regconfig"


@RegConfigField.register_lookup
class RegConfigExact(models.lookups.Exact):
    """`search_config = 'english'::regconfig`: without the cast PostgreSQL compares with
    oid's operator and reads 'english' as a number, which fails."""

    def get_db_prep_lookup(self, value, connection):
        return "%s::regconfig", [value]


def searchable_text(
    *, titles: tuple[str, ...] = (), body: str, config: str | None = None
) -> models.GeneratedField:
    """A stored tsvector of a row's text for full-text search (musicplatform/search.py): the
    titles, if any, weigh more than the body. PostgreSQL keeps it current on every write.

    `config` names the row's RegConfigField (its language's configuration); without one,
    the table's text has no known language and is read with `simple`.
    """
    language = models.F(config) if config else UNKNOWN_LANGUAGE_CONFIG
    body_vector = SearchVector(body, config=language, weight="B")
    return models.GeneratedField(
        expression=(
            SearchVector(*titles, config=language, weight="A") + body_vector
            if titles
            else body_vector
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )


def search_document_expression_set(
    *, model_name: str, table: str, field: models.GeneratedField, sql: str, reverse_sql: str
):
    """A migration operation giving `table.search_document` the expression `sql` (Django's
    `field`, rendered), `reverse_sql` undoing it.

    Django cannot alter a generated column (it asks for the column to be dropped and added
    again, its GIN index with it); PostgreSQL (17 and later) rewrites it in place, rows and
    index, with ALTER COLUMN … SET EXPRESSION.
    """
    from django.db import migrations

    statement = f"ALTER TABLE {table} ALTER COLUMN search_document SET EXPRESSION AS (%s);"
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(model_name=model_name, name="search_document", field=field)
        ],
        database_operations=[
            migrations.RunSQL(sql=statement % sql, reverse_sql=statement % reverse_sql)
        ],
    )
