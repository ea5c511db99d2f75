"""Platform operations that no domain app owns: database roles, backups and restores.

The `musicplatform` package is not an installed app (importing it loads the Celery app), and
these commands act on the database as a whole rather than on one domain's tables, so they
live in an app of their own. See docs/operations.md.
"""
