"""`status_change()`: the one way a status field moves, recorded in `status_history`."""

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction

from musicplatform.audit.models import StatusHistory


class StatusTransitionError(Exception):
    """A status move that the entity's map of allowed moves does not contain."""

    def __init__(self, *, entity_type: str, old: str, new: str):
        self.entity_type, self.old, self.new = entity_type, old, new
        super().__init__(f"A {entity_type} cannot move from {old!r} to {new!r}.")


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
) -> tuple[M, bool]:
    """Move `instance.<field>` to `new_status` and record it in `status_history`.

    Locks the row and re-reads it, so concurrent callers are serialised; a caller that
    finds the status already at `new_status` changes nothing (the call is idempotent).
    `with_fields` are columns that move with the status, written in the same UPDATE (a
    check constraint that ties them to the status holds at every statement).
    `locked`: the caller read `instance` with `select_for_update()` in this transaction,
    so it is current and is moved as it is, without reading it again.
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
        setattr(instance, field, new_status)
        for name, value in (with_fields or {}).items():
            setattr(instance, name, value)
        instance.save(update_fields=[field, *(with_fields or {})])
        StatusHistory.objects.create(
            entity_type=entity_type,
            entity_id=instance.pk,
            old_status=old_status,
            new_status=new_status,
            changed_by_id=by.pk if by is not None else None,
        )
    return instance, True


def _own_transaction_unless_in_one() -> AbstractContextManager[object]:
    """A transaction when the caller has none; inside the caller's, no savepoint: a move
    is refused before anything is written, so a caller that catches the refusal can go on
    in its transaction, and the lock is held until the caller's commit anyway. A savepoint
    here was two round trips on every status move of the renewal and payment paths."""
    return nullcontext() if connection.in_atomic_block else transaction.atomic()
