"""Core and web glue: settings, shared helpers every app may use (audit, locking, db, cache,
tasks, fragments, uploads, images), and the site-wide pages, search and urls (CONTRIBUTING.md)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
