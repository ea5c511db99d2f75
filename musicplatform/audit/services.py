"""`status_change()`: the one way a status field moves, recorded in `status_history`."""

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NamedTuple, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, connections, models, router, transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import UpdateQuery

from musicplatform.audit.models import StatusHistory


class StatusTransitionError(Exception):
    """A status move that the entity's map of allowed moves does not contain."""

    def __init__(self, *, entity_type: str, old: str, new: str):
        self.entity_type, self.old, self.new = entity_type, old, new
        super().__init__(f"A {entity_type} cannot move from {old!r} to {new!r}.")


class RowWithMove(NamedTuple):
    """A row of another table that `status_change` inserts in the move's own statement, only
    when the move is made (the gateway's news that moves a payment). `values`: column →
    value, as the database driver takes it; `ignore_conflict`: ON CONFLICT DO NOTHING."""

    table: str
    values: Mapping[str, Any]
    ignore_conflict: bool = False


def status_change[M: models.Model](
    *,
    instance: M,
    new_status: str,
    by: AbstractBaseUser | None = None,
    field: str = "status",
    # Keys are each model's status choices (str subclasses); Mapping's key type is invariant.
    transitions: Mapping[Any, Iterable[str]],
    entity_type: str,
    with_fields: Mapping[str, object] | None = None,
    locked: bool = False,
    rows_with_move: Sequence[RowWithMove] = (),
) -> tuple[M, bool]:
    """Move `instance.<field>` to `new_status` and record it in `status_history`.

    Locks the row and re-reads it, so concurrent callers are serialised; a caller that
    finds the status already at `new_status` changes nothing (the call is idempotent).
    `with_fields` are columns that move with the status, written in the same UPDATE (a
    check constraint that ties them to the status holds at every statement).
    `locked`: the caller read `instance` with `select_for_update()` in this transaction,
    so it is current and is moved as it is, without reading it again.
    `rows_with_move`: rows of other tables written in the move's statement, only when this
    call makes the move (not when it finds the status there, nor when it refuses).
    The UPDATE, its history and those rows are one statement (`_move_and_record`).
    Returns the locked, current instance and whether this call made the change.
    Raises StatusTransitionError when `transitions` does not allow the move.
    """
    with _own_transaction_unless_in_one():
        if not locked:
            instance = (
                type(instance)._default_manager.select_for_update(of=("self",)).get(pk=instance.pk)
            )
        old_status = getattr(instance, field)
        if old_status == new_status:
            return instance, False
        if new_status not in transitions.get(old_status, ()):
            raise StatusTransitionError(entity_type=entity_type, old=old_status, new=new_status)
        _move_and_record(
            instance,
            field=field,
            new_status=new_status,
            with_fields=with_fields or {},
            rows=[
                _history_row(
                    StatusHistory(
                        entity_type=entity_type,
                        entity_id=instance.pk,
                        old_status=old_status,
                        new_status=new_status,
                        changed_by_id=by.pk if by is not None else None,
                    )
                ),
                *rows_with_move,
            ],
            entity_type=entity_type,
        )
    return instance, True


def _history_row(history: StatusHistory) -> RowWithMove:
    """The history's row, but the columns only the database fills (when it was recorded)."""
    db = connections[router.db_for_write(StatusHistory)]
    return RowWithMove(
        StatusHistory._meta.db_table,
        {
            str(f.column): f.get_db_prep_save(f.pre_save(history, True), db)
            for f in StatusHistory._meta.concrete_fields
            if f.has_default() or not f.has_db_default()
        },
    )


def _move_and_record(
    instance: models.Model,
    *,
    field: str,
    new_status: str,
    with_fields: Mapping[str, object],
    rows: Sequence[RowWithMove],
    entity_type: str,
) -> None:
    """The row's UPDATE and the `rows` that go with it (its history first) in one statement:

        WITH moved AS (UPDATE … WHERE pk = … RETURNING …),
             row_0 AS (INSERT INTO status_history (…) SELECT … FROM moved), …
        SELECT … FROM moved

    The UPDATE is the ORM's own (an UpdateQuery, compiled as `save(update_fields=…)`
    would: `with_fields` may be expressions, and those are read back into the instance as
    save() does), by primary key as save() (the instance is current: locked and read, by
    the caller or above), and the rows are selected FROM moved, so they are written only
    with the move. pre_save and post_save are sent as save() sends
    them (listeners drop caches on them). Was a save() and a create() (and, for a
    gateway's news, its own INSERT): a round trip each on every status move."""
    model = type(instance)
    meta = model._meta
    using = router.db_for_write(model, instance=instance)
    db = connections[using]
    names = [field, *with_fields]
    setattr(instance, field, new_status)
    for name, value in with_fields.items():
        setattr(instance, name, value)
    pre_save.send(
        sender=model, instance=instance, raw=False, using=using, update_fields=frozenset(names)
    )
    # Status and with_fields are the model's concrete columns, never relations' reverse sides.
    fields = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in names]
    values: list[Any] = [(f, None, f.pre_save(instance, False)) for f in fields]
    read_back = [f for f, _, value in values if hasattr(value, "resolve_expression")]
    update = UpdateQuery(model)
    update.add_update_fields(values)
    update.add_q(Q(pk=instance.pk))
    compiler = update.get_compiler(using)
    compiler.returning_fields = [meta.pk, *read_back]
    update_sql, params = compiler.as_sql()
    quote = db.ops.quote_name
    inserts = []
    for number, row in enumerate(rows):
        # Names from the models' own meta and our code, never from input; values are parameters.
        inserts.append(
            f"row_{number} AS (INSERT INTO {quote(row.table)} "  # noqa: S608
            f"({', '.join(quote(column) for column in row.values)}) "
            f"SELECT {', '.join(['%s'] * len(row.values))} FROM moved"
            f"{' ON CONFLICT DO NOTHING' if row.ignore_conflict else ''})"
        )
        params = (*params, *row.values.values())
    with db.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS ({update_sql}), {', '.join(inserts)} SELECT * FROM moved",  # noqa: S608
            params,
        )
        moved = cursor.fetchall()
    if not moved:
        # The row is gone (save(update_fields=…) raised too); no row was written with it.
        raise ObjectDoesNotExist(f"{entity_type} {instance.pk} is not in the database.")
    if read_back:
        columns = [f.get_col(meta.db_table) for f in read_back]
        converters = compiler.get_converters(columns)
        row_values = moved[0][1:]
        if converters:
            row_values = next(iter(compiler.apply_converters([row_values], converters)))
        for f, value in zip(read_back, row_values, strict=True):
            setattr(instance, f.attname, value)
    post_save.send(
        sender=model,
        instance=instance,
        created=False,
        update_fields=frozenset(names),
        raw=False,
        using=using,
    )


def _own_transaction_unless_in_one() -> AbstractContextManager[object]:
    """A transaction when the caller has none; inside the caller's, no savepoint: a move
    is refused before anything is written, so a caller that catches the refusal can go on
    in its transaction, and the lock is held until the caller's commit anyway. A savepoint
    here was two round trips on every status move of the renewal and payment paths."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()
