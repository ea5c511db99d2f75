"""Reaching PostgreSQL outside the ORM: connection parameters and PostgreSQL's client programs.

The operations commands connect with psycopg directly because they act on databases Django
is not configured for (a restore target, a scratch copy) and run statements the ORM does not
model (roles, grants, owners).
"""

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from psycopg import pq
from psycopg.conninfo import conninfo_to_dict, make_conninfo

LIBPQ_KEYWORDS = frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def connection_params(database_url: str | None = None) -> dict[str, str]:
    """libpq parameters of `database_url`, or of Django's default database when it is None."""
    if database_url:
        params = conninfo_to_dict(database_url)
    else:
        # Django's own parameters also carry psycopg-only ones (cursor_factory, context).
        params = connections["default"].get_connection_params()
    return {
        key: str(value)
        for key, value in params.items()
        if key in LIBPQ_KEYWORDS and value not in (None, "")
    }


def pg_connect(params: dict[str, str], *, autocommit: bool = False) -> psycopg.Connection:
    """A psycopg connection; a database that cannot be reached is a CommandError, not a traceback."""
    try:
        return psycopg.connect(make_conninfo(**params), autocommit=autocommit)
    except psycopg.OperationalError as error:
        raise CommandError(f"Cannot connect to database {params.get('dbname')}: {error}") from error


def one_row(cursor: psycopg.Cursor[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The row of a statement that always returns one (an aggregate, `SHOW`, a function call)."""
    row = cursor.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("The statement returned no row where one always exists.")
    return row


def pg_program(name: str) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore) matching our server.

    pg_dump refuses to dump a server newer than itself, and Debian's packaged client (15) is
    older than our PostgreSQL 16. PG_BIN_DIR chooses explicitly; otherwise the programs that
    PyPI's `pgserver` ships (a runtime requirement, so the production image has them too),
    then PATH.
    """
    if settings.PG_BIN_DIR:
        program = Path(settings.PG_BIN_DIR) / name
        if not os.access(program, os.X_OK):
            raise CommandError(f"PG_BIN_DIR is set but holds no executable {name}: {program}")
        return str(program)
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        program = Path(spec.origin).parent / "pginstall" / "bin" / name
        if os.access(program, os.X_OK):
            return str(program)
    if found := shutil.which(name):
        return found
    raise CommandError(f"{name} was not found: install PostgreSQL 16's client or set PG_BIN_DIR.")


def pg_program_run(name: str, arguments: list[str], params: dict[str, str]) -> None:
    """Run a client program against the database of `params`; a failure is a CommandError.

    The password travels in the environment: a command line is visible to every user in `ps`.
    """
    params = dict(params)
    environment = dict(os.environ)
    if password := params.pop("password", None):
        environment["PGPASSWORD"] = password
    result = subprocess.run(
        [pg_program(name), *arguments, "--dbname", make_conninfo(**params)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise CommandError(f"{name} failed: {result.stderr.strip()}")
