"""What gunicorn's master does once the app is loaded, before it forks its workers
(deploy/gunicorn.conf.py). Kept apart from musicplatform.wsgi, whose import sets Django up
(and so configures logging anew): importing this module has no such effect."""

from pathlib import Path


def prepare_to_fork() -> None:
    """In gunicorn's master, once the app is loaded and before any worker is forked.

    Loads what a worker would otherwise load on its first requests (the URLconf with every
    view module, our own templates compiled into the cached loader), so that every worker
    starts with them, shared copy-on-write. Then closes every database connection: one that
    was opened here and inherited by several workers would carry their queries interleaved on
    one socket. (Redis's connection pools notice a new process id and start afresh by
    themselves; the master sends no Celery task, so it holds no broker connection.)
    """
    from django.conf import settings
    from django.db import connections
    from django.template import engines
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 (imports every view and builds the URL patterns)
    base_dir = Path(settings.BASE_DIR).resolve()
    for engine in engines.all():
        for directory in engine.template_dirs:
            directory = Path(directory).resolve()
            if directory.is_relative_to(base_dir):
                for template in sorted(directory.rglob("*.html")):
                    engine.get_template(str(template.relative_to(directory)))
    connections.close_all()
