"""`manage.py db_roles` against a copy of the app's schema in the real test server."""

import io
import json
import os
import subprocess
import sys
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from psycopg import errors

from operations.postgres import connection_params
from operations.services import manifest_path, scram_verifier_matches
from operations.tests.scratch import Scratch, url

# The test database is only needed as the source of the app's schema (see app_dump).
pytestmark = pytest.mark.django_db

OWNER_PASSWORD = "owner-secret-Zq81"
RUNTIME_PASSWORD = "runtime-secret-Jx42"

# Everything in the catalogue that db_roles decides: attributes, passwords, memberships,
# owners and access lists of the roles, the schema, relations, routines and default ACLs.
ROLE_STATE = """
    SELECT 'role', rolname, concat_ws(' ', rolsuper, rolcreatedb, rolcreaterole, rolcanlogin,
           rolreplication, rolbypassrls, rolpassword) FROM pg_authid WHERE rolname = ANY(%(roles)s)
    UNION ALL SELECT 'member', r.rolname, g.rolname FROM pg_auth_members m
           JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
           WHERE r.rolname = ANY(%(roles)s)
    UNION ALL SELECT 'database', datname, datacl::text FROM pg_database
           WHERE datname = current_database()
    UNION ALL SELECT 'schema', nspname, concat_ws(' ', nspowner::regrole, nspacl)
           FROM pg_namespace WHERE nspname = 'public'
    UNION ALL SELECT 'relation', relname, concat_ws(' ', relowner::regrole, relacl) FROM pg_class
           WHERE relnamespace = 'public'::regnamespace
    UNION ALL SELECT 'routine', proname, concat_ws(' ', proowner::regrole, proacl) FROM pg_proc
           WHERE pronamespace = 'public'::regnamespace
    UNION ALL SELECT 'default', defaclrole::regrole::text, concat_ws(' ', defaclobjtype, defaclacl)
           FROM pg_default_acl
    ORDER BY 1, 2, 3
"""


@pytest.fixture(scope="module")
def app_template(django_db_setup, django_db_blocker, app_dump):
    """The app's tables, triggers and functions, owned by the superuser that restored them:
    a production database migrated before roles were set up looks like this."""
    with django_db_blocker.unblock():
        made = Scratch(connection_params())
    params = made.database()
    call_command("restore", app_dump, database_url=url(params), stdout=io.StringIO())
    yield params["dbname"]
    made.drop()


@pytest.fixture
def app_database(scratch, app_template) -> dict[str, str]:
    """A copy of app_template of the test's own (copying a template is much faster than a restore)."""
    return scratch.database(template=app_template)


@pytest.fixture
def roles(scratch, monkeypatch) -> tuple[str, str]:
    monkeypatch.setenv("DATABASE_OWNER_PASSWORD", OWNER_PASSWORD)
    monkeypatch.setenv("DATABASE_RUNTIME_PASSWORD", RUNTIME_PASSWORD)
    return scratch.role("owner"), scratch.role("app")


def db_roles(params: dict[str, str], owner: str, runtime: str) -> str:
    out = io.StringIO()
    call_command("db_roles", owner=owner, runtime=runtime, database_url=url(params), stdout=out)
    return out.getvalue()


def connect_as(params: dict[str, str], role: str, password: str) -> psycopg.Connection:
    return psycopg.connect(**{**params, "user": role, "password": password}, autocommit=True)


def manage_as(
    params: dict[str, str], role: str, password: str, *arguments: str
) -> subprocess.CompletedProcess:
    """`manage.py ARGUMENTS` in a process of its own whose DATABASE_URL names `role`."""
    database_url = "postgresql://{user}:{password}@/{dbname}?{query}".format(
        user=role,
        password=password,
        dbname=params["dbname"],
        query=urlencode({key: params[key] for key in ("host", "port") if key in params}),
    )
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "musicplatform.settings.test",
        },
        capture_output=True,
        text=True,
        check=False,
    )


def role_state(params: dict[str, str], roles: tuple[str, str]) -> list[tuple]:
    with psycopg.connect(**params) as conn:
        return conn.execute(ROLE_STATE, {"roles": list(roles)}).fetchall()


def test_the_owner_gets_the_schema_and_every_object_in_it(app_database, roles):
    owner, runtime = roles

    output = db_roles(app_database, owner, runtime)

    with psycopg.connect(**app_database) as conn:
        # Objects of an extension (pg_trgm's functions) stay with the extension's creator.
        owners = conn.execute(
            """
            SELECT DISTINCT relowner::regrole::text FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND NOT EXISTS (
                SELECT 1 FROM pg_depend WHERE objid = pg_class.oid AND deptype = 'e')
            UNION SELECT proowner::regrole::text FROM pg_proc
            WHERE pronamespace = 'public'::regnamespace AND NOT EXISTS (
                SELECT 1 FROM pg_depend WHERE objid = pg_proc.oid AND deptype = 'e')
            UNION SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'
            """
        ).fetchall()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
            [owner],
        ).fetchone()[0]
    assert owners == [(owner,)]
    assert tables > 40
    assert f"Created role {owner}." in output
    assert f"Created role {runtime}." in output


def test_passwords_come_from_the_environment_and_are_never_printed(app_database, roles):
    owner, runtime = roles

    output = db_roles(app_database, owner, runtime)

    with psycopg.connect(**app_database) as conn:
        verifiers = dict(
            conn.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(%s)", [list(roles)]
            ).fetchall()
        )
    assert scram_verifier_matches(verifiers[owner], OWNER_PASSWORD)
    assert scram_verifier_matches(verifiers[runtime], RUNTIME_PASSWORD)
    assert not scram_verifier_matches(verifiers[runtime], OWNER_PASSWORD)
    assert OWNER_PASSWORD not in output
    assert RUNTIME_PASSWORD not in output


def test_the_verifier_check_agrees_with_libpqs_hashing(scratch):
    """db_roles leaves a password alone when this check says the verifier was made from it."""
    with scratch.admin() as conn:
        verifier = conn.pgconn.encrypt_password(b"s3cret", b"someone", b"scram-sha-256").decode()

    assert scram_verifier_matches(verifier, "s3cret")
    assert not scram_verifier_matches(verifier, "s3creT")
    assert not scram_verifier_matches(None, "s3cret")


def test_runtime_role_reads_and_writes_rows_triggers_and_generated_columns_included(
    app_database, roles
):
    owner, runtime = roles
    db_roles(app_database, owner, runtime)

    with connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn:
        user_id, updated = conn.execute(
            "INSERT INTO users (username, email, full_name, is_superuser)"
            " VALUES ('ops', 'ops@example.com', 'Ops', false)"
            " RETURNING user_id, updated_at"
        ).fetchone()
        artist_id = conn.execute(
            "INSERT INTO artists (user_id, artist_name) VALUES (%s, 'Nova') RETURNING artist_id",
            [user_id],
        ).fetchone()[0]
        (document,) = conn.execute(
            "INSERT INTO posts (artist_id, content_text, search_config)"
            " VALUES (%s, 'Recording songs', 'english')"
            " RETURNING search_document::text",
            [artist_id],
        ).fetchone()
        # pg_trgm's functions, which the owner's migration created, are the runtime role's too.
        (found,) = conn.execute(
            "SELECT count(*) FROM artists WHERE artist_name %> 'nvoa' OR artist_name %> 'nova'"
        ).fetchone()
        # set_updated_at() runs as a trigger on this UPDATE.
        conn.execute("UPDATE users SET full_name = 'Ops Team' WHERE user_id = %s", [user_id])
        full_name, updated_after = conn.execute(
            "SELECT full_name, updated_at FROM users WHERE user_id = %s", [user_id]
        ).fetchone()
        conn.execute("DELETE FROM artists WHERE user_id = %s", [user_id])
        conn.execute("DELETE FROM users WHERE user_id = %s", [user_id])
        remaining = conn.execute("SELECT count(*) FROM users").fetchone()[0]

    assert document == "'record':1B 'song':2B"
    assert found == 1
    assert full_name == "Ops Team"
    assert updated_after >= updated
    assert remaining == 0


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE orders",
        "ALTER TABLE orders ADD COLUMN note text",
        "CREATE TABLE mine (id int)",
        "TRUNCATE orders",
        "CREATE INDEX ON orders (created_at)",
        "CREATE FUNCTION mine() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    ],
)
def test_runtime_role_cannot_change_the_schema_or_empty_a_table(app_database, roles, statement):
    owner, runtime = roles
    db_roles(app_database, owner, runtime)

    with (
        connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_runtime_role_cannot_become_the_owner(app_database, roles):
    owner, runtime = roles
    db_roles(app_database, owner, runtime)

    with (
        connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(f'SET ROLE "{owner}"')


def test_a_table_a_later_migration_creates_is_usable_by_the_runtime_role(app_database, roles):
    owner, runtime = roles
    db_roles(app_database, owner, runtime)

    with connect_as(app_database, owner, OWNER_PASSWORD) as conn:
        conn.execute(
            "CREATE TABLE later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)"
        )
    with connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn:
        conn.execute("INSERT INTO later (note) VALUES ('a'), ('b')")
        conn.execute("UPDATE later SET note = 'c' WHERE note = 'a'")
        conn.execute("DELETE FROM later WHERE note = 'b'")
        notes = conn.execute("SELECT note FROM later").fetchall()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DROP TABLE later")

    assert notes == [("c",)]


def test_a_second_run_changes_nothing(app_database, roles):
    owner, runtime = roles
    db_roles(app_database, owner, runtime)
    before = role_state(app_database, roles)

    output = db_roles(app_database, owner, runtime)

    assert role_state(app_database, roles) == before
    assert f"Roles {owner} and {runtime} were already set up." in output


def test_existing_roles_with_too_many_rights_are_brought_down_to_theirs(
    app_database, roles, scratch
):
    owner, runtime = roles
    with scratch.admin() as admin:
        admin.execute(f'CREATE ROLE "{owner}" LOGIN CREATEDB')
        admin.execute(f'CREATE ROLE "{runtime}" LOGIN CREATEROLE IN ROLE "{owner}"')
    with psycopg.connect(**app_database, autocommit=True) as conn:
        conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{runtime}"')

    output = db_roles(app_database, owner, runtime)

    with psycopg.connect(**app_database) as conn:
        attributes = conn.execute(
            "SELECT rolname, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = ANY(%s)"
            " ORDER BY 1",
            [list(roles)],
        ).fetchall()
    with (
        connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute("TRUNCATE orders")
    assert attributes == sorted([(owner, False, False), (runtime, False, False)])
    assert f"Removed {runtime} from role {owner}." in output


@pytest.mark.parametrize(
    ("same_names", "passwords", "message"),
    [
        (True, True, "must be two different roles"),
        (False, False, "does not exist yet: give it a password"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    app_database, roles, monkeypatch, same_names, passwords, message
):
    owner, runtime = roles
    if not passwords:
        monkeypatch.delenv("DATABASE_OWNER_PASSWORD")
    before = role_state(app_database, roles)

    with pytest.raises(CommandError, match=message):
        db_roles(app_database, owner, owner if same_names else runtime)

    assert role_state(app_database, roles) == before


def test_a_new_database_is_migrated_by_the_owner_then_served_by_the_runtime_role(scratch, roles):
    """The release order of docker-compose.yml: db_roles, `migrate` as the owner, the app."""
    owner, runtime = roles
    target = scratch.database()
    db_roles(target, owner, runtime)

    migrate = manage_as(target, owner, OWNER_PASSWORD, "migrate", "--noinput")

    assert migrate.returncode == 0, migrate.stderr
    with psycopg.connect(**target) as conn:
        # The owner, no superuser, created the extension: pg_trgm is trusted.
        extensions = conn.execute(
            "SELECT extname, extowner::regrole::text FROM pg_extension WHERE extname <> 'plpgsql'"
        ).fetchall()
    assert extensions == [("pg_trgm", owner)]
    with connect_as(target, runtime, RUNTIME_PASSWORD) as conn:
        conn.execute("INSERT INTO genres (name) VALUES ('Jazz')")
        applied = conn.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DROP TABLE genres")
    assert applied > 20


def test_the_runtime_role_can_take_a_backup(app_database, roles, tmp_path):
    """Backups need no owner's or superuser's password: reading every row is enough."""
    owner, runtime = roles
    db_roles(app_database, owner, runtime)
    dump = tmp_path / "by-runtime.dump"

    call_command(
        "backup",
        output=dump,
        database_url=url({**app_database, "user": runtime, "password": RUNTIME_PASSWORD}),
        stdout=io.StringIO(),
    )

    manifest = json.loads(manifest_path(dump).read_text())
    assert "public.orders" in manifest["tables"]
    assert len(manifest["tables"]) > 40


def test_the_runtime_role_refreshes_the_member_counts_only_through_the_owners_function(
    app_database, roles
):
    """The beat task runs as the runtime role, which may not REFRESH a view it does not
    own; communities/0006's SECURITY DEFINER function refreshes it as the owner."""
    owner, runtime = roles
    db_roles(app_database, owner, runtime)
    with connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn:
        user_id = conn.execute(
            "INSERT INTO users (username, email, full_name, is_superuser)"
            " VALUES ('nova', 'nova@example.com', 'Nova', false) RETURNING user_id"
        ).fetchone()[0]
        artist_id = conn.execute(
            "INSERT INTO artists (user_id, artist_name) VALUES (%s, 'Nova') RETURNING artist_id",
            [user_id],
        ).fetchone()[0]
        community_id = conn.execute(
            "INSERT INTO communities (artist_id, name, subscription_fee)"
            " VALUES (%s, 'Night Drive', 5.00) RETURNING community_id",
            [artist_id],
        ).fetchone()[0]
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY community_member_counts")

    # The service the beat task calls, in a process connected as the runtime role.
    refresh = manage_as(
        app_database,
        runtime,
        RUNTIME_PASSWORD,
        "shell",
        "-c",
        "from communities.services.listing import member_counts_refresh; member_counts_refresh()",
    )

    assert refresh.returncode == 0, refresh.stderr
    with connect_as(app_database, runtime, RUNTIME_PASSWORD) as conn:
        counted = conn.execute(
            "SELECT member_count FROM community_member_counts WHERE community_id = %s",
            [community_id],
        ).fetchall()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("ALTER FUNCTION community_member_counts_refresh() OWNER TO CURRENT_USER")
    assert counted == [(0,)]
    with psycopg.connect(**app_database) as conn:
        function_owner, definer, callers = conn.execute(
            "SELECT proowner::regrole::text, prosecdef,"
            " array(SELECT grantee::regrole::text FROM aclexplode(proacl) ORDER BY 1)"
            " FROM pg_proc WHERE proname = 'community_member_counts_refresh'"
        ).fetchone()
    assert (function_owner, definer) == (owner, True)
    # Not PUBLIC (grantee 0, shown as "-"): only the owner and the runtime role.
    assert sorted(callers) == sorted([owner, runtime])
