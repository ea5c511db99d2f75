"""Writes to a database as a whole: its roles and privileges, backups and restores.

Each function takes the libpq parameters of the database it acts on (operations.postgres).
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.core.management.base import CommandError
from psycopg import sql

from operations.postgres import one_row, pg_connect, pg_program_run
from operations.selectors import database_fingerprint, database_objects_count

# A role that only logs in: it cannot create databases or roles, replicate or bypass row
# security. Both roles get these attributes, whatever they had before.
PLAIN_LOGIN = {
    "rolsuper": "NOSUPERUSER",
    "rolcreatedb": "NOCREATEDB",
    "rolcreaterole": "NOCREATEROLE",
    "rolreplication": "NOREPLICATION",
    "rolbypassrls": "NOBYPASSRLS",
}
OWNED_RELATION_KINDS = {
    "r": "TABLE",
    "p": "TABLE",
    "f": "FOREIGN TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "S": "SEQUENCE",
}
TARGET_NOT_EMPTY = 3


def scram_verifier_matches(verifier: str | None, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier (pg_authid.rolpassword) was made from `password`.

    Lets db_roles leave a correct password alone, so that a second run changes nothing.
    """
    if not verifier or not verifier.startswith("SCRAM-SHA-256$"):
        return False
    iterations_and_salt, keys = verifier.removeprefix("SCRAM-SHA-256$").split("$")
    iterations, salt = iterations_and_salt.split(":")
    stored_key = base64.b64decode(keys.split(":")[0])
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hmac.compare_digest(stored_key, hashlib.sha256(client_key).digest())


def roles_ensure(
    *,
    params: dict[str, str],
    owner: str,
    runtime: str,
    owner_password: str | None,
    runtime_password: str | None,
    schema: str = "public",
) -> list[str]:
    """Make `owner` own `schema` and everything in it, and `runtime` able to read and write rows.

    The runtime role may SELECT, INSERT, UPDATE and DELETE rows, use sequences and call
    functions, and nothing else: no DDL, no TRUNCATE, no membership in another role. Default
    privileges extend this to whatever the owner creates later (migrations). Idempotent, and
    atomic: one transaction. Returns what it changed, passwords never included.
    """
    if owner == runtime:
        raise CommandError("The owner and the runtime role must be two different roles.")
    with pg_connect(params) as conn, conn.transaction():
        is_superuser, current = one_row(
            conn.execute("SELECT rolsuper, rolname FROM pg_roles WHERE rolname = current_user")
        )
        if not is_superuser:
            raise CommandError(
                f"db_roles must connect as a superuser (not {current}): it creates roles and "
                "changes the owner of other roles' objects."
            )
        if current in (owner, runtime):
            raise CommandError(f"{current} is the role db_roles connects as; choose other names.")
        changes = [
            *_role_ensure(conn, owner, owner_password),
            *_role_ensure(conn, runtime, runtime_password),
            *_memberships_revoke(conn, runtime),
            *_ownership_transfer(conn, owner, schema),
        ]
        _privileges_grant(conn, owner, runtime, schema)
    return changes


def _role_ensure(conn: psycopg.Connection, role: str, password: str | None) -> list[str]:
    name = sql.Identifier(role)
    current = conn.execute(
        f"SELECT {', '.join(PLAIN_LOGIN)}, rolcanlogin, rolpassword"  # noqa: S608 (no input in it)
        " FROM pg_authid WHERE rolname = %s",
        [role],
    ).fetchone()
    changes = []
    if current is None:
        if password is None:
            raise CommandError(f"Role {role} does not exist yet: give it a password.")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(name))
        changes.append(f"created role {role}")
        verifier = None
    else:
        *flags, can_login, verifier = current
        if any(flags) or not can_login:
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN {}").format(
                    name, sql.SQL(" ").join(map(sql.SQL, PLAIN_LOGIN.values()))
                )
            )
            changes.append(f"made {role} a plain login role")
    if password is not None and not scram_verifier_matches(verifier, password):
        # Hashed here as psql's \password does, so the server's logs never see the password.
        hashed = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(hashed.decode()))
        )
        changes.append(f"set the password of {role}")
    return changes


def _memberships_revoke(conn: psycopg.Connection, runtime: str) -> list[str]:
    """A membership (in the owner, or pg_write_all_data) would hand the runtime role more."""
    memberships = conn.execute(
        "SELECT r.rolname, grantor.rolname FROM pg_auth_members m"
        " JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles grantor ON grantor.oid = m.grantor"
        " JOIN pg_roles member ON member.oid = m.member WHERE member.rolname = %s ORDER BY 1",
        [runtime],
    ).fetchall()
    for group, grantor in memberships:
        # Since PostgreSQL 16 each grantor's grant of a membership is revoked separately.
        conn.execute(
            sql.SQL("REVOKE {} FROM {} GRANTED BY {}").format(
                sql.Identifier(group), sql.Identifier(runtime), sql.Identifier(grantor)
            )
        )
    groups = dict.fromkeys(group for group, _ in memberships)
    return [f"removed {runtime} from role {group}" for group in groups]


def _ownership_transfer(conn: psycopg.Connection, owner: str, schema: str) -> list[str]:
    """Give the owner the schema and whatever else owns objects in it.

    A database migrated before db_roles ran (by `postgres`, say) has everything owned by
    that role. Indexes and sequences of identity or serial columns follow their table;
    objects of extensions stay with the extension.
    """
    not_in_extension = (
        "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
    )
    relations = conn.execute(
        f"""
        SELECT c.relkind, c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles o ON o.oid = c.relowner
        WHERE n.nspname = %(schema)s AND o.rolname <> %(owner)s
          AND c.relkind::text = ANY(%(kinds)s)
          AND {not_in_extension.format(oid="c.oid")}
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid
                          AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                          AND c.relkind = 'S')
        ORDER BY 2
        """,  # noqa: S608 (no input in it)
        {"schema": schema, "owner": owner, "kinds": list(OWNED_RELATION_KINDS)},
    ).fetchall()
    routines = conn.execute(
        f"""
        SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles o ON o.oid = p.proowner
        WHERE n.nspname = %(schema)s AND o.rolname <> %(owner)s
          AND {not_in_extension.format(oid="p.oid")}
        ORDER BY 1, 2
        """,  # noqa: S608 (no input in it)
        {"schema": schema, "owner": owner},
    ).fetchall()
    schema_owned = one_row(
        conn.execute(
            "SELECT o.rolname = %s FROM pg_namespace n JOIN pg_roles o ON o.oid = n.nspowner"
            " WHERE n.nspname = %s",
            [owner, schema],
        )
    )[0]
    to = sql.Identifier(owner)
    if not schema_owned:
        conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(schema), to))
    for kind, name in relations:
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(OWNED_RELATION_KINDS[kind]), sql.Identifier(schema, name), to
            )
        )
    for name, arguments in routines:
        # The argument list comes from the catalogue, already quoted.
        conn.execute(
            sql.SQL("ALTER ROUTINE {}({}) OWNER TO {}").format(
                sql.Identifier(schema, name), sql.SQL(arguments), to
            )
        )
    count = len(relations) + len(routines) + (not schema_owned)
    return [f"gave {owner} {count} object(s) of schema {schema}"] if count else []


def _privileges_grant(conn: psycopg.Connection, owner: str, runtime: str, schema: str) -> None:
    """Revoke, then grant exactly the runtime role's privileges: the end state is the same
    whatever was granted before, which keeps a second run from changing anything."""
    names = {
        "database": sql.Identifier(conn.info.dbname),
        "schema": sql.Identifier(schema),
        "owner": sql.Identifier(owner),
        "runtime": sql.Identifier(runtime),
    }
    statements = [
        "GRANT CONNECT ON DATABASE {database} TO {owner}, {runtime}",
        # Migrations create the extensions the schema uses (pg_trgm): trusted extensions,
        # which a role with CREATE on the database may create without being a superuser.
        "GRANT CREATE ON DATABASE {database} TO {owner}",
        # PostgreSQL 15 and newer no longer let PUBLIC create in `public`; older clusters
        # upgraded in place still do.
        "REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        "REVOKE ALL ON SCHEMA {schema} FROM {runtime}",
        "GRANT USAGE ON SCHEMA {schema} TO {runtime}",
        "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {runtime}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {runtime}",
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {runtime}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {runtime}",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {runtime}",
    ]
    default = "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
    statements += [
        default + "REVOKE ALL ON TABLES FROM {runtime}",
        default + "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}",
        default + "REVOKE ALL ON SEQUENCES FROM {runtime}",
        default + "GRANT USAGE, SELECT ON SEQUENCES TO {runtime}",
        default + "GRANT EXECUTE ON FUNCTIONS TO {runtime}",
    ]
    for statement in statements:
        conn.execute(sql.SQL(statement).format(**names))
    # A SECURITY DEFINER function runs with its owner's rights: only the roles above may
    # call it, never PUBLIC (whose EXECUTE a restore with --no-acl gives back).
    definers = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " WHERE p.pronamespace = %s::regnamespace AND p.prosecdef",
        [schema],
    ).fetchall()
    for (signature,) in definers:
        # The signature comes from the catalogue, already quoted.
        conn.execute(
            sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(signature))
        )


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".manifest.json")


def backup_create(*, params: dict[str, str], output: Path) -> Path:
    """Dump the database (pg_dump's custom format) to `output`, with a manifest beside it.

    The manifest holds every table's row count and checksum, read in the very snapshot
    pg_dump dumps, so a restore can prove it brought back exactly these rows. The dump is
    written under a temporary name first: a file at `output` is always a complete dump.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        with pg_connect(params) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = one_row(conn.execute("SELECT pg_export_snapshot()"))[0]
            pg_program_run(
                "pg_dump",
                ["--format=custom", f"--snapshot={snapshot}", f"--file={partial}"],
                params,
            )
            manifest = {
                "database": conn.info.dbname,
                "server_version": conn.info.server_version,
                "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "tables": database_fingerprint(conn),
            }
        manifest_path(output).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(output)
    return output


def backup_restore(*, path: Path, params: dict[str, str]) -> list[str] | None:
    """Restore a dump into an empty database, then compare it with the dump's manifest.

    Refuses a database that holds anything (CommandError with exit status 3), so no data
    is ever overwritten. pg_restore runs in one transaction: a failed restore leaves the
    database empty. Objects belong to the role that restores (owners and grants of the
    source cluster are not replayed; `db_roles` sets them). Returns the tables whose row
    count or checksum differs from the manifest, or None when the dump has no manifest.
    """
    if not path.is_file():
        raise CommandError(f"No backup file at {path}.")
    with pg_connect(params, autocommit=True) as conn:
        if objects := database_objects_count(conn):
            raise CommandError(
                f"Database {conn.info.dbname} is not empty ({objects} objects): restore only "
                "into a newly created database. Nothing was changed.",
                returncode=TARGET_NOT_EMPTY,
            )
    pg_program_run(
        "pg_restore",
        ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", str(path)],
        params,
    )
    if not manifest_path(path).is_file():
        return None
    expected = json.loads(manifest_path(path).read_text())["tables"]
    with pg_connect(params, autocommit=True) as conn:
        restored = database_fingerprint(conn)
    return sorted(
        table
        for table in expected.keys() | restored.keys()
        if expected.get(table) != restored.get(table)
    )
