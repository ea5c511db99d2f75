"""A real Celery worker process, on the real Redis broker, against the test database."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import UserFactory
from musicplatform.celery import app as celery_app
from notifications.models import Notification, NotificationType
from notifications.services import notifications_create

WORKER_DEADLINE_SECONDS = 60


def database_url_of_the_test_database() -> str:
    params = connection.get_connection_params()
    host = params.get("host") or "127.0.0.1"
    user = quote(params.get("user") or "postgres")
    if host.startswith("/"):
        return f"postgresql://{user}@/{params['dbname']}?host={quote(host)}"
    return f"postgresql://{user}@{host}:{params.get('port') or 5432}/{params['dbname']}"


@pytest.fixture
def worker():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicplatform.settings.test",
        "DATABASE_URL": database_url_of_the_test_database(),
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "musicplatform", "worker",
            "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        env=environment,
        cwd=settings.BASE_DIR,
    )  # fmt: skip
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def queued_for_real():
    """Tasks go to the broker instead of running in the test's own process."""
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_sends_the_email_copy_and_records_it(worker, queued_for_real):
    buyer = UserFactory()

    notifications_create(
        recipient_ids=[buyer.pk],
        notification_type=NotificationType.ORDER,
        title="Your order shipped",
        message="It is on its way.",
    )

    notification = Notification.objects.get(user=buyer)
    deadline = time.monotonic() + WORKER_DEADLINE_SECONDS
    while notification.emailed_at is None and time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited"
        time.sleep(0.2)
        notification.refresh_from_db()
    assert notification.emailed_at is not None
