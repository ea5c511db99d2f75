"""Notifications: created for a few recipients, fanned out to audiences, copied by email."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from musicplatform.cache import invalidate_on_commit
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import one_line
from notifications.models import (
    EMAILED_BY_DEFAULT,
    Notification,
    NotificationEmailPreference,
    NotificationType,
)
from notifications.selectors import unread_count_key

logger = logging.getLogger(__name__)

NOTIFICATION_BATCH_SIZE = 5000
EMAIL_BATCH_SIZE = 200


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One notification for one recipient (`notices_create`)."""

    recipient_id: UUID
    notification_type: NotificationType
    title: str
    message: str
    resource_type: str | None = None
    resource_id: UUID | None = None
    # Emailed whatever the recipient chose for the type (something they must act on, like
    # a payment their bank wants them to confirm).
    always_email: bool = False


def notifications_create(
    *,
    recipient_ids: Iterable[UUID],
    notification_type: NotificationType,
    title: str,
    message: str,
    resource_type: str | None = None,
    resource_id: UUID | None = None,
    always_email: bool = False,
) -> int:
    """One notification per recipient (`notices_create`); how many."""
    recipients = list(dict.fromkeys(recipient_ids))
    notices_create(
        [
            Notice(
                recipient_id=recipient,
                notification_type=notification_type,
                title=title,
                message=message,
                resource_type=resource_type,
                resource_id=resource_id,
                always_email=always_email,
            )
            for recipient in recipients
        ]
    )
    return len(recipients)


def notices_create(notices: Sequence[Notice]) -> None:
    """Notifications that each have their own recipient, type and words (a payment's
    "received" and a renewal's "renewed"), inserted in batches: never a query per notice.

    Email copies go out after commit to the recipients whose preferences ask for them,
    or for each notice with `always_email`.
    """
    ids = [uuid4() for _ in notices]
    always = {pk for pk, notice in zip(ids, notices, strict=True) if notice.always_email}
    emailed = []
    with connection.cursor() as cursor:
        for start in range(0, len(notices), NOTIFICATION_BATCH_SIZE):
            batch = notices[start : start + NOTIFICATION_BATCH_SIZE]
            cursor.execute(
                _CREATE,
                [
                    ids[start : start + NOTIFICATION_BATCH_SIZE],
                    [n.recipient_id for n in batch],
                    [n.title for n in batch],
                    [n.message for n in batch],
                    [n.notification_type for n in batch],
                    [n.resource_type for n in batch],
                    [n.resource_id for n in batch],
                    _EMAILED_BY_DEFAULT,
                ],
            )
            emailed += [pk for pk, wants_email in cursor.fetchall() if wants_email or pk in always]
    invalidate_on_commit(*dict.fromkeys(unread_count_key(n.recipient_id) for n in notices))
    _queue_emails(emailed)


# Which of the notifications just inserted (the statement's `inserted` rows, with their
# user_id and notification_type) get an email copy: their recipient's choice for the
# type, else EMAILED_BY_DEFAULT's; its parameter is that list of types.
_EMAIL_WANTED_OF_INSERTED = """
    SELECT inserted.notification_id,
           COALESCE(choice.send_email, inserted.notification_type = ANY(%s::text[]))
    FROM inserted
    LEFT JOIN notification_email_preferences choice
        ON choice.user_id = inserted.user_id
        AND choice.notification_type = inserted.notification_type
"""
_EMAILED_BY_DEFAULT = sorted(EMAILED_BY_DEFAULT)

# One statement per batch of notices: their notifications, and whether each is emailed.
_CREATE = f"""
    WITH inserted AS (
        INSERT INTO notifications (notification_id, user_id, title, message,
            notification_type, related_resource_type, related_resource_id)
        SELECT * FROM unnest(
            %s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], %s::text[], %s::uuid[]
        )
        RETURNING notification_id, user_id, notification_type
    )
    {_EMAIL_WANTED_OF_INSERTED}
"""  # noqa: S608 - two constants of this module; values are parameters


def notification_group_update(
    *,
    recipient_id: UUID,
    notification_type: NotificationType,
    title: str,
    message: str,
    resource_type: str,
    resource_id: UUID,
) -> None:
    """Keep one unread notification per recipient and resource, rewritten as it grows.

    "Ana and 12 others liked your post" is one line in the centre, not thirteen. Once
    read, the next event starts a new one. An advisory lock keeps two concurrent events
    from both creating the group.
    """
    with transaction.atomic():
        advisory_xact_lock(f"group:{recipient_id}:{notification_type}:{resource_id}")
        grown = Notification.objects.filter(
            user_id=recipient_id,
            notification_type=notification_type,
            related_resource_id=resource_id,
            is_read=False,
        ).update(title=title, message=message, created_at=timezone.now())
        if not grown:
            notifications_create(
                recipient_ids=[recipient_id],
                notification_type=notification_type,
                title=title,
                message=message,
                resource_type=resource_type,
                resource_id=resource_id,
            )


def audience_notify(
    *,
    audience: models.QuerySet,
    exclude_user_id: UUID | None,
    notification_type: NotificationType,
    title: str,
    message: str,
    resource_type: str,
    resource_id: UUID,
) -> int:
    """Insert one notification per user of `audience` in a single INSERT … SELECT.

    `audience` is a queryset of user ids (`.values("user_id")`) built by the domain that
    knows who should hear (a community's members, an artist's followers and members):
    notifications is told who, it never decides. Deleted users are skipped.

    Safe to run twice: the insert is one statement, so a fan-out either happened whole or
    not at all, and an advisory lock serialises two runs of the same one; a run that finds
    notifications of this type and title for this resource does nothing (one event can
    be announced twice under different titles: "scheduled", then "live now"). (Checking recipient by
    recipient inside the INSERT would re-read the rows the statement itself is adding,
    which made 100 000 recipients take minutes.)
    """
    audience_sql, audience_params = audience.query.sql_with_params()
    sql = f"""
        WITH audience (user_id) AS ({audience_sql}),
        inserted AS (
            INSERT INTO notifications (notification_id, user_id, title, message,
                notification_type, related_resource_type, related_resource_id)
            SELECT gen_random_uuid(), audience.user_id, %s, %s, %s, %s, %s
            FROM (SELECT DISTINCT user_id FROM audience) audience
            JOIN users ON users.user_id = audience.user_id AND users.deleted_at IS NULL
            WHERE audience.user_id IS DISTINCT FROM %s
            RETURNING notification_id, user_id, notification_type
        )
        {_EMAIL_WANTED_OF_INSERTED}
    """  # noqa: S608 - the audience is a compiled queryset, values are parameters
    params = [
        *audience_params,
        title,
        message,
        notification_type,
        resource_type,
        resource_id,
        exclude_user_id,
        _EMAILED_BY_DEFAULT,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        advisory_xact_lock(f"fan-out:{notification_type}:{resource_id}:{title}")
        already_done = Notification.objects.filter(
            related_resource_type=resource_type,
            related_resource_id=resource_id,
            notification_type=notification_type,
            title=title,
        ).exists()
        if already_done:
            return 0
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        _queue_emails([notification_id for notification_id, wants_email in rows if wants_email])
    return len(rows)


def _queue_emails(notification_ids: list[UUID]) -> None:
    from notifications.tasks import notification_emails_send  # the task module imports this one

    for start in range(0, len(notification_ids), EMAIL_BATCH_SIZE):
        batch = [str(pk) for pk in notification_ids[start : start + EMAIL_BATCH_SIZE]]
        enqueue_on_commit(notification_emails_send, batch)


def _email_copy(notification: Notification):
    """The notification's email, built (headers checked) now; None when it cannot be."""
    from django.core.mail import EmailMessage

    message = EmailMessage(
        # Titles quote names written before names were checked; a line break in a subject
        # is a header injection, and would fail the whole batch.
        subject=one_line(notification.title),
        body=f"{notification.message}\n\nSee it on Music Platform.",
        to=[notification.user.email],
    )
    try:
        message.message()
    except Exception:
        # One bad copy (an unusable address) is skipped so the batch's others go out; it is
        # marked like the sent ones, or every sweep would try it again.
        logger.exception("Email copy of notification %s cannot be built; skipped", notification.pk)
        return None
    return message


def notification_emails_deliver(*, notification_ids: list[UUID]) -> int:
    """Send the email copies not sent yet; rows another worker holds are left to it."""
    from django.core.mail import mailers

    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notification_ids, emailed_at__isnull=True, user__deleted_at__isnull=True)
            .select_related("user")
        )
        if not pending:
            return 0
        messages = [message for n in pending if (message := _email_copy(n)) is not None]
        mailers.default.send_messages(messages)
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
    return len(messages)


# Email copies older than this are no longer news; younger than the grace, the task that
# was queued with them is probably still on its way.
EMAIL_SWEEP_WINDOW = timedelta(days=1)
EMAIL_SWEEP_GRACE = timedelta(minutes=5)


def notification_emails_sweep() -> int:
    """Send the email copies whose task was never queued or was lost (broker outage)."""
    now = timezone.now()
    choice = NotificationEmailPreference.objects.filter(
        user_id=OuterRef("user_id"), notification_type=OuterRef("notification_type")
    ).values("send_email")
    due = list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__gte=now - EMAIL_SWEEP_WINDOW,
            created_at__lte=now - EMAIL_SWEEP_GRACE,
        )
        .annotate(send_email=Subquery(choice))
        .filter(
            Q(send_email=True)
            | Q(send_email__isnull=True, notification_type__in=EMAILED_BY_DEFAULT)
        )
        .values_list("pk", flat=True)
    )
    return sum(
        notification_emails_deliver(notification_ids=due[start : start + EMAIL_BATCH_SIZE])
        for start in range(0, len(due), EMAIL_BATCH_SIZE)
    )


# Younger than the grace, an announcement's fan-out task is probably still on its way;
# older than the window, what it announces is no longer news.
ANNOUNCE_SWEEP_WINDOW = timedelta(days=1)
ANNOUNCE_SWEEP_GRACE = timedelta(minutes=5)


def unannounced_ids(
    queryset: models.QuerySet,
    *,
    notification_type: NotificationType,
    resource_type: str,
    news_at: str = "created_at",
) -> list:
    """The rows of `queryset` whose news (their creation, or the column `news_at` names:
    when an event went live) is in the sweep window, past its grace, and that no
    notification has been about since: their fan-out task was never queued or was lost (a
    broker outage). A row with nobody to tell is found by every sweep of the window; its
    fan-out finds no audience and inserts nothing."""
    now = timezone.now()
    announced = Notification.objects.filter(
        notification_type=notification_type,
        related_resource_type=resource_type,
        related_resource_id=OuterRef("pk"),
        created_at__gte=OuterRef(news_at),
    )
    return list(
        queryset.filter(
            **{
                f"{news_at}__gte": now - ANNOUNCE_SWEEP_WINDOW,
                f"{news_at}__lte": now - ANNOUNCE_SWEEP_GRACE,
            }
        )
        .exclude(Exists(announced))
        .values_list("pk", flat=True)
    )


def notification_mark_read(*, user, notification_id: UUID) -> bool:
    """Mark one of the user's notifications read; someone else's is not found."""
    marked = Notification.objects.filter(pk=notification_id, user=user, is_read=False).update(
        is_read=True
    )
    invalidate_on_commit(unread_count_key(user.pk))
    return bool(marked)


def notifications_mark_all_read(*, user) -> int:
    marked = Notification.objects.filter(user=user, is_read=False).update(is_read=True)
    invalidate_on_commit(unread_count_key(user.pk))
    return marked


def email_preferences_set(*, user, emailed_types: Iterable[str]) -> None:
    """Record, for every notification type, whether the user wants its email copy."""
    wanted = set(emailed_types)
    with transaction.atomic():
        NotificationEmailPreference.objects.bulk_create(
            [
                NotificationEmailPreference(
                    user=user, notification_type=kind, send_email=kind in wanted
                )
                for kind in NotificationType.values
            ],
            update_conflicts=True,
            unique_fields=["user", "notification_type"],
            update_fields=["send_email"],
        )
