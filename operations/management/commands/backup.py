from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from operations.postgres import connection_params
from operations.services import backup_create, manifest_path


class Command(BaseCommand):
    help = (
        "Dump the database with pg_dump (custom format) and write a manifest of every table's "
        "row count and checksum beside it. Prints the file's path and size."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="the dump file (default: BACKUP_DIR/<database>-<UTC time>.dump)",
        )
        parser.add_argument(
            "--database-url", help="the database to back up (default: DATABASE_URL's)"
        )

    def handle(self, *args, **options):
        params = connection_params(options["database_url"])
        output = options["output"] or settings.BACKUP_DIR / (
            f"{params['dbname']}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump"
        )
        if output.exists():
            raise CommandError(f"{output} already exists; a backup never replaces another.")
        backup_create(params=params, output=output)
        # filesizeformat keeps "12 KB" on one line with a no-break space; a terminal needs none.
        size = filesizeformat(output.stat().st_size).replace("\xa0", " ")
        self.stdout.write(f"{output} ({size})")
        self.stdout.write(f"Manifest: {manifest_path(output)}")
