"""How every Celery task of the project is declared and queued."""

import logging
import smtplib
from collections.abc import Callable

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

# Errors that pass by themselves (a restarted database, a busy mail server): retried
# with exponential backoff and jitter. Anything else is a bug and fails loudly.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
)


def platform_task(function: Callable) -> Callable:
    """A task that retries transient errors with backoff; it must be safe to run twice."""
    return shared_task(
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=True,
        retry_backoff_max=600,
        retry_jitter=True,
        max_retries=8,
        acks_late=True,
    )(function)


def enqueue_on_commit(task, *args) -> None:
    """Queue `task` once the current transaction commits, so the worker sees its rows.

    The change is already committed when the broker is asked, so a broker outage must not
    fail the request: the task is logged as not queued, and the schedule's sweeps redo
    the work they own (unsent emails, payments to confirm, orders to release).
    """

    def send() -> None:
        try:
            task.delay(*args)
        except BrokerUnavailable:
            logger.exception("Could not queue %s%r; a sweep will catch up", task.name, args)

    transaction.on_commit(send)
