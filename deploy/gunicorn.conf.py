"""gunicorn's configuration: the one definition of how the web server runs, used by every place
that starts it (the Dockerfile, docker-compose.yml, scripts/prodlocal.py, bench/load.py,
bench/live_load.py and the tests that run the app as production does). Each passes only what
is its own: where to listen (`--bind`), and a benchmark its `--workers`.

    gunicorn --config deploy/gunicorn.conf.py --bind unix:/run/gunicorn/gunicorn.sock

The app is loaded once in the master and the workers are forked from it (`preload_app`):
they start with Django, the URLconf and every template already compiled, instead of paying
for them on their first requests, and they share those pages of memory copy-on-write. Before
the first fork the master closes any database connection it holds (a psycopg connection is
not safe to share between processes) and freezes what it has loaded out of reach of the
cyclic garbage collector, whose full collections would otherwise walk it, in every worker,
in the middle of requests (docs/performance.md, "Round 4: the application server").
"""

import gc
import os

wsgi_app = "musicplatform.wsgi:application"
# Sync workers wait for PostgreSQL and Redis during a request; two per core keep the cores busy
# meanwhile. WEB_CONCURRENCY (gunicorn's own variable) sets the count for a machine.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.process_cpu_count() or 1)))
preload_app = True
loglevel = "warning"

# The master's allocations while loading the app become the frozen, shared heap: without
# collections interleaved, the objects freed during imports leave no holes among them that a
# worker's own allocations would later fill (and so copy).
gc.disable()


def when_ready(server):
    """In the master, once the app is loaded and listening, before any worker is forked."""
    from musicplatform.prefork import prepare_to_fork

    prepare_to_fork()
    # Collected once here rather than in each worker; then out of every later collection's
    # reach, so that no worker's collection writes to (and so copies) the shared pages.
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """In each worker, just forked. CPython's thresholds stay: a higher one for the youngest
    generation made fewer but longer collections, more of the collector's CPU per request and
    pauses of a slow request's size (docs/performance.md, "Round 4: the application server")."""
    gc.enable()
