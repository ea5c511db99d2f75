import os

from django.core.management.base import BaseCommand

from operations.postgres import connection_params
from operations.services import roles_ensure


class Command(BaseCommand):
    help = (
        "Create or update the role that owns the schema and runs migrations, and the runtime "
        "role the app connects as (SELECT, INSERT, UPDATE, DELETE only). Connects as a "
        "superuser. Passwords come from DATABASE_OWNER_PASSWORD and DATABASE_RUNTIME_PASSWORD. "
        "Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="musicplatform_owner", help="the owner role")
        parser.add_argument("--runtime", default="musicplatform_app", help="the runtime role")
        parser.add_argument(
            "--database-url",
            help="the database to set up, as a superuser (default: DATABASE_URL's)",
        )

    def handle(self, *args, **options):
        # Read here rather than in settings: only this command needs them, and settings
        # are visible to every process (and to Django's debug pages).
        changes = roles_ensure(
            params=connection_params(options["database_url"]),
            owner=options["owner"],
            runtime=options["runtime"],
            owner_password=os.environ.get("DATABASE_OWNER_PASSWORD") or None,
            runtime_password=os.environ.get("DATABASE_RUNTIME_PASSWORD") or None,
        )
        for change in changes:
            self.stdout.write(f"{change[0].upper()}{change[1:]}.")
        if not changes:
            self.stdout.write(
                f"Roles {options['owner']} and {options['runtime']} were already set up."
            )
        self.stdout.write(
            f"{options['runtime']} may SELECT, INSERT, UPDATE and DELETE rows in tables that "
            f"{options['owner']} owns or creates later, and nothing else."
        )
