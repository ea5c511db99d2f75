import io
from pathlib import Path

import pytest
from django.core.management import call_command

from operations.postgres import connection_params
from operations.tests.scratch import Scratch


@pytest.fixture
def scratch(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        made = Scratch(connection_params())
    yield made
    made.drop()


@pytest.fixture(scope="session")
def app_dump(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """A backup of the migrated test database: every table, trigger and function of the app."""
    path = tmp_path_factory.mktemp("backups") / "app.dump"
    with django_db_blocker.unblock():
        call_command("backup", output=path, stdout=io.StringIO())
    return path
