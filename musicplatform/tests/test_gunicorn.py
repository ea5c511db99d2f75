"""The web server's master loads the app before forking its workers (deploy/gunicorn.conf.py):
what it prepares must leave each worker with connections of its own."""

import os

import pytest
from django.db import connection

from musicplatform.prefork import prepare_to_fork


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_worker_forked_after_the_master_queried_opens_its_own_database_connection():
    masters = backend_pid()  # the master held a connection (a query while loading, say)
    prepare_to_fork()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: answers with the server process its query reached
        try:
            os.write(write, str(backend_pid()).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as answer:
        workers = int(answer.read())

    # On the master's inherited socket, the worker's query would reach the same server
    # process, its bytes interleaved with the master's and the other workers'.
    assert workers != masters
    assert backend_pid() not in (masters, workers)
