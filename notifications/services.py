"""Writes shared by every domain: status changes with their history, and notifications."""

from collections.abc import Iterable, Mapping
from uuid import UUID

from django.db import models, transaction

from notifications.models import Notification, StatusHistory

NOTIFICATION_BATCH_SIZE = 5000


class StatusTransitionError(Exception):
    """A status move that the entity's map of allowed moves does not contain."""

    def __init__(self, *, entity_type: str, old: str, new: str):
        self.entity_type, self.old, self.new = entity_type, old, new
        super().__init__(f"A {entity_type} cannot move from {old!r} to {new!r}.")


def status_change[M: models.Model](
    *,
    instance: M,
    new_status: str,
    by=None,
    field: str = "status",
    transitions: Mapping[str, Iterable[str]],
    entity_type: str,
) -> tuple[M, bool]:
    """Move `instance.<field>` to `new_status` and record it in `status_history`.

    Locks the row and re-reads it, so concurrent callers are serialised; a caller that
    finds the status already at `new_status` changes nothing (the call is idempotent).
    Returns the locked, current instance and whether this call made the change.
    Raises StatusTransitionError when `transitions` does not allow the move.
    """
    with transaction.atomic():
        locked = type(instance).objects.select_for_update(of=("self",)).get(pk=instance.pk)
        old_status = getattr(locked, field)
        if old_status == new_status:
            return locked, False
        if new_status not in transitions.get(old_status, ()):
            raise StatusTransitionError(entity_type=entity_type, old=old_status, new=new_status)
        setattr(locked, field, new_status)
        locked.save(update_fields=[field])
        StatusHistory.objects.create(
            entity_type=entity_type,
            entity_id=locked.pk,
            old_status=old_status,
            new_status=new_status,
            changed_by=by,
        )
    return locked, True


def notifications_create(
    *,
    recipient_ids: Iterable[UUID],
    notification_type: str,
    title: str,
    message: str,
    resource_type: str | None = None,
    resource_id: UUID | None = None,
) -> int:
    """One notification per recipient, inserted in batches (never a query per recipient)."""
    created = 0
    batch: list[Notification] = []
    for user_id in dict.fromkeys(recipient_ids):
        batch.append(
            Notification(
                user_id=user_id,
                title=title,
                message=message,
                notification_type=notification_type,
                related_resource_type=resource_type,
                related_resource_id=resource_id,
            )
        )
        if len(batch) == NOTIFICATION_BATCH_SIZE:
            created += len(Notification.objects.bulk_create(batch))
            batch = []
    if batch:
        created += len(Notification.objects.bulk_create(batch))
    return created
