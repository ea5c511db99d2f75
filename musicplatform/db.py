"""Column and query helpers shared by every app, so each table states its defaults once and
each per-viewer rule is compiled once."""

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models.expressions import RawSQL
from django.db.models.functions import UUID4
from django.db.models.query import DEFAULT_FETCH_MODE, get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone


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


_POSITIONAL = re.compile(r"%([%s])")


def named_placeholders(sql: str, params: Iterable, *, prefix: str) -> tuple[str, dict]:
    """A compiled queryset's SQL (positional `%s`) made fit for a statement with named
    placeholders (`%(name)s`): its n-th `%s` becomes `%(<prefix>_n)s`. A literal percent
    sign, which compiled SQL writes `%%` (a LIKE pattern), stays `%%`, as the statement
    needs it; %-formatting the SQL instead would make it a lone `%`."""
    names = iter(range(len(params := tuple(params))))
    named = _POSITIONAL.sub(
        lambda match: "%%" if match[1] == "%" else f"%({prefix}_{next(names)})s", sql
    )
    return named, {f"{prefix}_{i}": value for i, value in enumerate(params)}


@dataclass(frozen=True)
class _CompiledRows:
    sql: str
    # Per parameter: "viewer_id", "now", "keys", or ("value", the compiled value).
    slots: tuple[Any, ...]
    compiler: SQLCompiler
    converters: dict
    # Where each value is in a row: the model's fields by attname (and "pk"), its
    # select_related rows' as "<relation>.<attname>", the annotations by name.
    columns: dict[str, int]

    def params(self, *, viewer_id, now: datetime, keys: list) -> list:
        values = {"viewer_id": viewer_id, "now": now, "keys": keys}
        return [values[slot] if isinstance(slot, str) else slot[1] for slot in self.slots]


class CompiledInstances:
    """The instances of a queryset of a viewer and the time, picked by primary key,
    compiled to SQL once per process and kind of viewer.

    A post card's queryset (`content.selectors.posts_for`: counts, the viewer's like and
    authorship, the readability rule) cost more CPU to build and compile on every request
    than PostgreSQL spends running it. Its shape differs by kind of viewer (signed out,
    staff, anyone else), so it is compiled once per kind with stand-ins for the viewer's
    id, the time and the keys; a call runs that SQL with the request's values through the
    database router and builds the instances as the ORM's `ModelIterable` does (the
    model's fields, its `select_related` rows, its annotations). The queryset keeps its
    one definition in the ORM; compiling it twice with different stand-ins proves that
    nothing else in it depends on the request."""

    def __init__(self, build: Callable[..., models.QuerySet]):
        # build(viewer=…, now=…): the queryset, without the keys.
        self.build = build
        self._compiled: dict[tuple[bool, bool], _CompiledRows] = {}

    def _compile_with(self, *, kind: tuple[bool, bool], viewer_id, now, keys):
        signed_in, staff = kind
        viewer = (
            SimpleNamespace(pk=viewer_id, is_authenticated=True, is_staff=staff)
            if signed_in
            else AnonymousUser()
        )
        queryset = self.build(viewer=viewer, now=now)
        meta = queryset.model._meta
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        by_key = RawSQL(  # noqa: S611 - quoted names of our own table; the keys are a parameter
            f"{quote(meta.db_table)}.{quote(meta.pk.column)} = ANY(%s)",
            (keys,),
            output_field=models.BooleanField(),
        )
        compiler = queryset.filter(by_key).query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        return compiler, sql, params

    def _compiled_for(self, kind: tuple[bool, bool]) -> _CompiledRows:
        if kind in self._compiled:
            return self._compiled[kind]
        stand_ins = [
            {
                "viewer_id": uuid.uuid4(),
                "now": datetime(year, 1, 1, tzinfo=UTC),
                "keys": [uuid.uuid4()],
            }
            for year in (2000, 2001)
        ]
        compiler, sql, params = self._compile_with(kind=kind, **stand_ins[0])
        _, other_sql, other_params = self._compile_with(kind=kind, **stand_ins[1])
        if other_sql != sql:
            raise ImproperlyConfigured("The compiled query's text depends on the request.")
        slots: list[str | tuple[str, Any]] = []
        for value, other in zip(params, other_params, strict=True):
            if value == other:
                slots.append(("value", value))
                continue
            name = next((n for n, v in stand_ins[0].items() if v == value), None)
            if name is None or stand_ins[1][name] != other:
                # A value taken from the request while building (timezone.now()) would
                # be frozen into every later request.
                raise ImproperlyConfigured(
                    f"The compiled query holds a value of the request ({value!r})."
                )
            slots.append(name)
        if "keys" not in slots:
            raise ImproperlyConfigured("The compiled query has no place for the keys.")
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        compiled = _CompiledRows(
            sql=sql,
            slots=tuple(slots),
            compiler=compiler,
            converters=compiler.get_converters(fields),
            columns=_columns(compiler),
        )
        self._compiled[kind] = compiled
        return compiled

    def in_bulk(self, keys: Iterable, *, viewer) -> dict:
        """{key: instance} of the rows with these primary keys that the queryset gives."""
        return {key: row.instance for key, row in self.rows(keys, viewer=viewer).items()}

    def rows(self, keys: Iterable, *, viewer) -> dict[Any, "CompiledRow"]:
        """{key: row} of the rows with these primary keys that the queryset gives: their
        values by name, the instance made only when asked for (a page served from a
        shared fragment needs only what the fragment varies on)."""
        keys = list(keys)
        if not keys:
            return {}
        signed_in = bool(viewer is not None and viewer.is_authenticated)
        compiled = self._compiled_for((signed_in, signed_in and viewer.is_staff))
        compiler = compiled.compiler
        params = compiled.params(
            viewer_id=viewer.pk if signed_in else None, now=timezone.now(), keys=keys
        )
        # Through the router like the ORM's reads: a replica unless this browser just wrote.
        using = router.db_for_read(compiler.klass_info["model"])
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            values = cursor.fetchall()
        if compiled.converters:
            values = compiler.apply_converters(values, compiled.converters)
        rows = (CompiledRow(compiled, tuple(row), using) for row in values)
        return {row["pk"]: row for row in rows}


def _columns(compiler: SQLCompiler) -> dict[str, int]:
    klass_info, select = compiler.klass_info, compiler.select
    columns = {select[i][0].target.attname: i for i in klass_info["select_fields"]}
    columns["pk"] = columns[klass_info["model"]._meta.pk.attname]
    for related in klass_info.get("related_klass_infos", []):
        relation = related["field"].name
        for i in related["select_fields"]:
            columns[f"{relation}.{select[i][0].target.attname}"] = i
    return {**columns, **compiler.annotation_col_map}


class CompiledRow:
    """A row of a `CompiledInstances` query: `row["name"]` (see `_CompiledRows.columns`)
    and `instance`, made as the ORM's `ModelIterable` makes it (the model's fields, its
    select_related rows, its annotations)."""

    def __init__(self, compiled: _CompiledRows, values: tuple, using: str):
        self._compiled = compiled
        self.values = values
        self.using = using

    def __getitem__(self, name: str):
        return self.values[self._compiled.columns[name]]

    @cached_property
    def instance(self) -> models.Model:
        compiler, row, using = self._compiled.compiler, self.values, self.using
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        instance = klass_info["model"].from_db(
            using, init_list, row[start:end], fetch_mode=DEFAULT_FETCH_MODE
        )
        for populator in get_related_populators(klass_info, select, using, DEFAULT_FETCH_MODE):
            populator.populate(row, instance)
        for name, position in compiler.annotation_col_map.items():
            setattr(instance, name, row[position])
        return instance


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
