"""Locks that make concurrent writers queue instead of deadlocking or doing work twice.

Row locks: rows of one kind are always locked in primary-key order (`rows_locked_in_order`),
and kinds in one order across the platform, so that two transactions wanting the same rows
wait for each other instead of each holding what the other needs:

    user → artist → payment → order | community subscription | featured placement
         → order items → products
    release → its tracks → its product

(One exception, a renewal's charge: its subscription before its payment; docs/payments.md.)

Advisory locks (`advisory_xact_lock`) serialise work that has no row to lock yet (the
first notification of a group, one fan-out, one receipt).
"""

from django.db import connection, models


def rows_locked_in_order[M: models.Model](
    rows: models.Manager[M] | models.QuerySet[M],
) -> models.QuerySet[M]:
    """`rows` locked FOR UPDATE (their own table only) in primary-key order."""
    return rows.order_by("pk").select_for_update(of=("self",))


def advisory_xact_lock(name: str) -> None:
    """Wait for, then hold until the transaction ends, the lock called `name`.

    Only inside `transaction.atomic()`: outside one the lock would end at once.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
