from uuid import UUID

from musicplatform.tasks import platform_task
from notifications import services


@platform_task
def notification_emails_send(notification_ids: list[str]) -> int:
    return services.notification_emails_deliver(
        notification_ids=[UUID(pk) for pk in notification_ids]
    )


@platform_task
def notification_emails_sweep() -> int:
    return services.notification_emails_sweep()
