"""Scratch databases and roles for the operations tests."""

import uuid

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo


class Scratch:
    """Databases and roles one test makes in the test server; all dropped afterwards.

    The test database itself is shared by the whole run, so changes to owners and grants
    happen in scratch databases only.
    """

    def __init__(self, params: dict[str, str]):
        self.params = params
        self.databases: list[str] = []
        self.roles: list[str] = []

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(**{**self.params, "dbname": "postgres"}, autocommit=True)

    def database(self, template: str = "template1") -> dict[str, str]:
        name = f"ops_scratch_{uuid.uuid4().hex[:12]}"
        with self.admin() as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        self.databases.append(name)
        return {**self.params, "dbname": name}

    def role(self, purpose: str) -> str:
        """A fresh role name; the role itself is left for the code under test to create."""
        name = f"ops_{purpose}_{uuid.uuid4().hex[:12]}"
        self.roles.append(name)
        return name

    def drop(self) -> None:
        # Databases first: they hold the roles' objects and grants.
        with self.admin() as admin:
            for name in self.databases:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            for name in self.roles:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def url(params: dict[str, str]) -> str:
    """What --database-url takes: any libpq connection string."""
    return make_conninfo(**params)
