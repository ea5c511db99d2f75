import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.postgres import connection_params
from operations.services import backup_restore

RESTORED_DIFFERS = 4


class Command(BaseCommand):
    help = (
        "Restore a dump made by `backup` into an empty database, then check every table's row "
        "count and checksum against the backup's manifest. Refuses a database that is not "
        "empty (exit status 3) and never overwrites data."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the dump file")
        parser.add_argument(
            "--database-url",
            help="the empty database to restore into (default: DATABASE_URL's)",
        )

    def handle(self, *args, **options):
        params = connection_params(options["database_url"])
        started = time.monotonic()
        differing = backup_restore(path=options["path"], params=params)
        elapsed = time.monotonic() - started
        self.stdout.write(f"Restored {options['path']} into {params['dbname']} in {elapsed:.1f} s.")
        if differing is None:
            self.stderr.write("The backup has no manifest: the restored rows were not checked.")
        elif differing:
            raise CommandError(
                "The restored database differs from the backup in: " + ", ".join(differing),
                returncode=RESTORED_DIFFERS,
            )
        else:
            self.stdout.write("Every table's row count and checksum match the backup.")
