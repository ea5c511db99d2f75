"""Column and query helpers shared by every app, so each table states its defaults once and
each per-viewer rule is compiled once."""

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from operator import itemgetter
from types import SimpleNamespace
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.expressions import RawSQL
from django.db.models.functions import UUID4
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone


class CurrentTimestamp(models.Func):
    """PostgreSQL's CURRENT_TIMESTAMP, the default the design document gives every timestamp.

    Django's own `Now()` renders STATEMENT_TIMESTAMP(); the document's default is kept.
    """

    template = "CURRENT_TIMESTAMP"
    output_field = models.DateTimeField()


def column_of(model: type[models.Model], name: str) -> str:
    """The column of `model`'s field `name` (or attname), for SQL written by hand."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{model.__name__}.{name} has no column of its own.")
    return field.column


def instance_from_row[M: models.Model](model: type[M], row: Sequence) -> M:
    """`model`'s instance from a row of every one of its columns in the model's field order
    (a statement of ours selecting them all)."""
    names = [field.attname for field in model._meta.concrete_fields]
    if len(row) != len(names):
        raise ValueError(f"{model.__name__} has {len(names)} columns; the row has {len(row)}.")
    return model.from_db(None, names, list(row))


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


class _PreparingCursor(psycopg.Cursor):
    """A cursor that binds on the server and prepares each statement at its first run."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


# A connection's statements prepared at most (psycopg deallocates the least recently used).
PREPARED_PER_CONNECTION = 20


def prepared_rows(sql: str, params, *, using: str) -> list[tuple]:
    """The rows of `sql` run as a prepared statement of the connection `using`.

    A statement of many relations and subqueries (the feed's) took PostgreSQL several
    times longer to plan than to run, on every request. Prepared once per connection, it
    is planned for its first few runs, then PostgreSQL keeps a generic plan (when that
    plan is no costlier) and runs it with each request's values. Django's cursors bind on
    the client and never prepare; this one cursor binds on the server. Through Django's
    cursor wrapper, so it is logged and counted as any query is.

    Off with `DATABASE_PREPARED_STATEMENTS=false`, for a pooler in transaction mode that
    does not keep prepared statements (PgBouncer before 1.21, or without
    `max_prepared_statements`: docs/scaling.md)."""
    connection = connections[using]
    if not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = connection.connection
        if raw.prepare_threshold is None:
            # Django's connections prepare nothing (threshold None); its own cursors bind
            # on the client, which never prepares, so this reaches only `prepared_rows`.
            raw.prepare_threshold = 5
            raw.prepared_max = PREPARED_PER_CONNECTION
        # Wrapped as Django wraps its own cursors: logged and counted when queries are.
        connection.validate_thread_sharing()
        wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper
        cursor = wrapper(_PreparingCursor(raw), connection)
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class StandIn:
    """What a compiled query is built with in place of one value of the request: two
    different values, one for each of its two compilations (`CompiledQuery`)."""

    first: Any
    second: Any


def some_id() -> StandIn:
    return StandIn(uuid.uuid4(), uuid.uuid4())


def some_ids() -> StandIn:
    return StandIn([uuid.uuid4()], [uuid.uuid4()])


def some_time() -> StandIn:
    return StandIn(datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC))


def some_text() -> StandIn:
    """Text no one types, free of LIKE's wildcards and escape character, so that a LIKE
    pattern made of it (`icontains`) holds it unchanged."""
    return StandIn("\x01text one\x01", "\x01text two\x01")


def stand_in_viewer(*, viewer_id, signed_in: bool, staff: bool = False):
    """A viewer of one kind (signed out, signed in, staff) whose id is `viewer_id`."""
    if not signed_in:
        return AnonymousUser()
    return SimpleNamespace(pk=viewer_id, is_authenticated=True, is_staff=staff)


def viewer_kind(viewer) -> tuple[bool, bool]:
    """(signed in, staff): all of `viewer` that a compiled query's shape may depend on
    (`stand_in_viewer`)."""
    signed_in = bool(viewer is not None and viewer.is_authenticated)
    return signed_in, signed_in and bool(viewer.is_staff)


@dataclass(frozen=True)
class _Slot:
    """How one parameter of a compiled query is filled per call."""

    # The value compiled, kept when `name` is None.
    value: Any = None
    # The stand-in whose value in the request goes here.
    name: str | None = None
    # A LIKE pattern made of the stand-in's text (`icontains`: "%<text>%"), "%s" where the
    # request's text goes, with LIKE's wildcards escaped.
    like: str | None = None

    def fill(self, values: dict[str, Any]):
        if self.name is None:
            return self.value
        if self.like is None:
            return values[self.name]
        return self.like % connections[DEFAULT_DB_ALIAS].ops.prep_for_like_query(values[self.name])


def _slot(value, other, firsts: dict[str, Any], seconds: dict[str, Any]) -> _Slot:
    """How the parameter compiled as `value` with the first stand-ins, and as `other`
    with the second ones, is filled per call."""
    if value == other:
        return _Slot(value=value)
    for name, first in firsts.items():
        if value == first and other == seconds[name]:
            return _Slot(name=name)
        if (
            isinstance(value, str)
            and isinstance(first, str)
            and first in value
            and value.replace(first, "").strip("%") == ""
            and other == value.replace(first, seconds[name])
        ):
            return _Slot(name=name, like=value.replace("%", "%%").replace(first, "%s"))
    # A value taken from the request while building (timezone.now()) would be frozen
    # into every later request.
    raise ImproperlyConfigured(f"The compiled query holds a value of the request ({value!r}).")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple[_Slot, ...]
    model: type[models.Model]
    compiler: SQLCompiler
    converters: dict
    fetch_mode: Any
    # Where each value is in a row: the model's fields by attname (and "pk"), its
    # select_related rows' as "<relation>.<attname>", the annotations by name.
    columns: dict[str, int]
    # select_related's readers of a row, by database: made once, not per row.
    populators: dict[str, list] = field(default_factory=dict)
    # Readers of several values of a row at once (`CompiledRow.pick`), by their names.
    pickers: dict[tuple[str, ...], Callable[[tuple], tuple]] = field(default_factory=dict)

    def params(self, values: dict[str, Any]) -> tuple:
        return tuple(slot.fill(values) for slot in self.slots)

    def picker(self, names: tuple[str, ...]) -> Callable[[tuple], tuple]:
        if names not in self.pickers:
            positions = [self.columns[name] for name in names]
            pick = itemgetter(*positions)
            self.pickers[names] = pick if len(positions) > 1 else lambda row: (pick(row),)
        return self.pickers[names]

    def populators_for(self, using: str) -> list:
        if using not in self.populators:
            self.populators[using] = get_related_populators(
                self.compiler.klass_info, self.compiler.select, using, self.fetch_mode
            )
        return self.populators[using]


class CompiledQuery:
    """A queryset compiled to SQL once per process, run with each request's values.

    Building and compiling a queryset (a rule's nested subqueries, a post card's counts,
    a search's ranks and snippets) cost more CPU on every request than PostgreSQL spends
    running it. `build(**values)` is called with named stand-ins (`StandIn`) for the
    request's values, and each call puts the request's in their places, so the queryset
    keeps its one definition in the ORM. It is compiled twice, with different stand-ins:
    the same SQL, with parameters that differ only where a stand-in is, proves that
    nothing else in it depends on the request.

    Compiled on first use (the models are loaded by then); its rows are read through the
    database router, as the ORM's reads are, into `CompiledRow`s."""

    def __init__(
        self,
        build: Callable[..., models.QuerySet],
        stand_ins: dict[str, StandIn],
        *,
        required: tuple[str, ...] = (),
    ):
        self.build = build
        self.stand_ins = stand_ins
        # The stand-ins the query must have a place for: without one it is wrong.
        self.required = required

    def _compile_with(self, values: dict[str, Any]):
        queryset = self.build(**values)
        compiler = queryset.query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        return queryset, compiler, sql, params

    @cached_property
    def _compiled(self) -> _Compiled | None:
        """None when the query gives no row (`QuerySet.none()`, for a kind of viewer)."""
        firsts = {name: stand_in.first for name, stand_in in self.stand_ins.items()}
        seconds = {name: stand_in.second for name, stand_in in self.stand_ins.items()}
        try:
            queryset, compiler, sql, params = self._compile_with(firsts)
            _, _, other_sql, other_params = self._compile_with(seconds)
        except EmptyResultSet:
            return None
        if other_sql != sql or len(other_params) != len(params):
            raise ImproperlyConfigured("The compiled query's text depends on the request.")
        slots = tuple(
            _slot(value, other, firsts, seconds)
            for value, other in zip(params, other_params, strict=True)
        )
        if missing := set(self.required) - {slot.name for slot in slots}:
            raise ImproperlyConfigured(f"The compiled query has no place for {sorted(missing)}.")
        reads_models = issubclass(queryset._iterable_class, ModelIterable)  # not values()
        return _Compiled(
            sql=sql,
            slots=slots,
            model=queryset.model,
            compiler=compiler,
            converters=compiler.get_converters(
                [column[0] for column in compiler.select[: compiler.col_count]]
            ),
            fetch_mode=queryset._fetch_mode,  # as ModelIterable reads it
            columns=_columns(compiler) if reads_models else {},
        )

    def sql_with_params(self, **values) -> tuple[str, tuple]:
        """The SQL and the parameters for the request's `values`: a subquery of another
        statement."""
        compiled = self._compiled
        if compiled is None:
            raise ImproperlyConfigured("The compiled query gives no row: no subquery to make.")
        return compiled.sql, compiled.params(values)

    def rows(self, *, limit: int | None = None, offset: int = 0, **values) -> list["CompiledRow"]:
        """The rows for the request's `values`, from `offset` on, at most `limit`."""
        compiled = self._compiled
        if compiled is None:
            return []
        sql = compiled.sql
        if limit is not None:
            # Whole numbers written into the SQL: nothing typed reaches them.
            sql = f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}"
        # Through the router like the ORM's reads: a replica unless this browser just wrote.
        using = router.db_for_read(compiled.model)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, compiled.params(values))
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        return [CompiledRow(compiled, tuple(row), using) for row in rows]

    def rows_kept(self, kept: list[tuple], *, using: str) -> list["CompiledRow"]:
        """Rows that `rows()` gave before (their `values`), kept elsewhere (Redis), as
        `rows()` gives them; `using` is the database they were read from."""
        compiled = self._compiled
        if compiled is None:
            return []
        return [CompiledRow(compiled, tuple(values), using) for values in kept]


class CompiledInstances:
    """The instances of a queryset of a viewer and the time, picked by primary key,
    compiled once per process and kind of viewer (`CompiledQuery`).

    A post card's queryset (`content.selectors.posts_for`: counts, the viewer's like and
    authorship, the readability rule) differs in shape by kind of viewer (signed out,
    staff, anyone else), so each kind has its own compiled query."""

    def __init__(self, build: Callable[..., models.QuerySet]):
        # build(viewer=…, now=…): the queryset, without the keys.
        self.build = build
        self._by_kind: dict[tuple[bool, bool], CompiledQuery] = {}

    def _query(self, kind: tuple[bool, bool]) -> CompiledQuery:
        if kind not in self._by_kind:
            signed_in, staff = kind

            def build(*, viewer_id, now, keys) -> models.QuerySet:
                viewer = stand_in_viewer(viewer_id=viewer_id, signed_in=signed_in, staff=staff)
                queryset = self.build(viewer=viewer, now=now)
                meta = queryset.model._meta
                quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
                return queryset.filter(
                    RawSQL(  # noqa: S611 - quoted names of our own table; the keys are a parameter
                        f"{quote(meta.db_table)}.{quote(meta.pk.column)} = ANY(%s)",
                        (keys,),
                        output_field=models.BooleanField(),
                    )
                )

            self._by_kind[kind] = CompiledQuery(
                build,
                {"viewer_id": some_id(), "now": some_time(), "keys": some_ids()},
                required=("keys",),
            )
        return self._by_kind[kind]

    def keyed_by(self, keys_sql: str, *, viewer, now: datetime) -> "KeyedSubquery":
        """The query as a subquery of another statement, its primary keys those of the
        array `keys_sql` (SQL of that statement, e.g. `ARRAY(SELECT id FROM keys)`) instead
        of a parameter: a page whose keys are read by SQL reads its rows in the same
        statement, one round trip and no keys quoted back and forth."""
        kind = viewer_kind(viewer)
        compiled = self._query(kind)._compiled
        if compiled is None:
            raise ImproperlyConfigured("The compiled query gives no row: no subquery to make.")
        values = {"viewer_id": viewer.pk if kind[0] else None, "now": now}
        pieces = _POSITIONAL.split(compiled.sql)
        # split() with one group: text, "%" or "s", text, …; a "%" is a literal `%%`.
        sql, params, slots = [pieces[0]], [], iter(compiled.slots)
        for marker, text in zip(pieces[1::2], pieces[2::2], strict=True):
            if marker == "%":
                sql.append("%%")
            elif (slot := next(slots)).name == "keys":
                sql.append(f"({keys_sql})")
            else:
                sql.append("%s")
                params.append(slot.fill(values))
            sql.append(text)
        if next(slots, None) is not None:
            raise ImproperlyConfigured("The compiled query's SQL has fewer places than values.")
        return KeyedSubquery(compiled, "".join(sql), tuple(params))

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
        kind = viewer_kind(viewer)
        rows = self._query(kind).rows(
            viewer_id=viewer.pk if kind[0] else None, now=timezone.now(), keys=keys
        )
        return {row["pk"]: row for row in rows}


@dataclass(frozen=True)
class KeyedSubquery:
    """A `CompiledInstances` query inside another statement (`CompiledInstances.keyed_by`):
    its SQL (positional `%s`, see `named_placeholders`), its parameters, how many columns
    it gives and where its primary key is, and its rows made `CompiledRow`s."""

    _compiled: _Compiled
    sql: str
    params: tuple

    @property
    def width(self) -> int:
        return len(self._compiled.compiler.select)

    @property
    def pk_position(self) -> int:
        return self._compiled.columns["pk"]

    def rows(self, values: Iterable[tuple], *, using: str) -> list["CompiledRow"]:
        """`values`: the subquery's columns of each row of the statement, as read (`using`:
        the database the statement ran on)."""
        rows: Iterable = list(values)
        if self._compiled.converters:
            rows = self._compiled.compiler.apply_converters(rows, self._compiled.converters)
        return [CompiledRow(self._compiled, tuple(row), using) for row in rows]


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
    """A row of a `CompiledQuery`: `row["name"]` (see `_Compiled.columns`) and
    `instance`, made only when asked for, as the ORM's `ModelIterable` makes it (the
    model's fields, its select_related rows, its annotations)."""

    def __init__(self, compiled: _Compiled, values: tuple, using: str):
        self._compiled = compiled
        self.values = values
        self.using = using

    def __getitem__(self, name: str):
        return self.values[self._compiled.columns[name]]

    def pick(self, names: tuple[str, ...]) -> tuple:
        """The values of these columns (same names as `row[name]`), in this order: what a
        shared fragment varies on, for every row of a page (a tuple of lookups by name
        per row cost a feed a few hundred microseconds)."""
        return self._compiled.picker(names)(self.values)

    @cached_property
    def instance(self) -> models.Model:
        compiled, row, using = self._compiled, self.values, self.using
        select, klass_info = compiled.compiler.select, compiled.compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        instance = compiled.model.from_db(
            using, init_list, row[start:end], fetch_mode=compiled.fetch_mode
        )
        for populator in compiled.populators_for(using):
            populator.populate(row, instance)
        for name, position in compiled.compiler.annotation_col_map.items():
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
