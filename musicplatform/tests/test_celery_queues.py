"""Each kind of background work waits in its own queue of the real broker (Redis).

The tests elsewhere run tasks eagerly; here they are published for real, and each queue
is read back, as a worker would find them.
"""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils.module_loading import autodiscover_modules

from musicplatform.celery import app

# What a worker started without -Q consumes: the queues the settings declare.
DECLARED_QUEUES = [queue.name for queue in settings.CELERY_TASK_QUEUES]


def project_tasks() -> list[str]:
    autodiscover_modules("tasks")
    return sorted(name for name in app.tasks if name.split(".")[0] in settings.INSTALLED_APPS)


@pytest.fixture
def broker() -> Iterator:
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in settings.CELERY_TASK_QUEUES:
            queue(channel).declare()
            queue(channel).purge()
        yield channel
        for queue in settings.CELERY_TASK_QUEUES:
            queue(channel).purge()


def waiting(channel, queue: str) -> list[str]:
    names = []
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        names.append(message.headers["task"])
    return names


# Publishing for real, whatever the test settings' eager mode, is the point here.
@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_each_kind_of_task_waits_in_its_own_queue_and_a_default_worker_consumes_them_all(
    broker,
):
    tasks = project_tasks()
    for name in tasks:
        app.send_task(name)

    queued = {queue: waiting(broker, queue) for queue in DECLARED_QUEUES}

    # Every task reached a queue a worker without -Q reads, none was lost or doubled.
    assert sorted(name for names in queued.values() for name in names) == tasks
    assert {
        "communities.tasks.subscriptions_renew_due",
        "communities.tasks.subscription_renew",
        "payments.tasks.payment_refund_unwanted",
        "shop.tasks.orders_release_abandoned",
    } <= set(queued["payments"])
    assert {
        "content.tasks.post_published_notify",
        "communities.tasks.forum_post_notify_members",
        "notifications.tasks.notification_emails_send",
        "payments.tasks.payment_receipt_send",
    } <= set(queued["notifications"])
    assert {
        "accounts.tasks.verification_tokens_purge",
        "content.tasks.share_links_purge",
    } <= set(queued["maintenance"])
