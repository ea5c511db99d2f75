"""docker-compose.yml and the Dockerfile, read as files: no Docker engine runs here.

Both docker-compose.yml and scripts/prodlocal.py (`make prod-local`, run by `make test-prod`)
are held to one description of the topology, deploy/topology.yml.
"""

import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
TOPOLOGY = yaml.safe_load((ROOT / "deploy" / "topology.yml").read_text())
APP_SERVICES = tuple(TOPOLOGY["app_services"])
LONG_RUNNING = tuple(TOPOLOGY["services"])


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def prodlocal():
    """scripts/prodlocal.py as a module (it imports devservices from its own folder)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location(
            "prodlocal", ROOT / "scripts" / "prodlocal.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    return module


def command_of(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else shlex.join(command)


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return environment


def database_url_of(service: dict) -> SplitResult:
    """DATABASE_URL as Compose passes it, each required `${VARIABLE:?…}` standing for its value."""
    url = environment_of(service)["DATABASE_URL"]
    return urlsplit(re.sub(r"\$\{(\w+):\?[^}]*\}", lambda match: f"<{match[1]}>", url))


def named_volumes_of(service: dict) -> set[str]:
    return {
        volume.split(":")[0] for volume in service.get("volumes", []) if not volume.startswith(".")
    }


def test_the_services_are_the_topologys_and_its_one_shot_jobs(services):
    assert services.keys() == TOPOLOGY["services"].keys() | TOPOLOGY["jobs"].keys()


def test_only_the_proxy_publishes_a_port_and_only_https(services):
    published = {name for name, service in services.items() if service.get("ports")}

    assert published == {TOPOLOGY["published"]} == {"proxy"}
    assert {port.split("/")[0] for port in services["proxy"]["ports"]} == {"443:443"}
    assert not any(service.get("network_mode") == "host" for service in services.values())


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_has_a_healthcheck(services, name):
    assert services[name]["healthcheck"]["test"], name


def test_each_service_mounts_the_volumes_the_topology_gives_it(compose, services):
    assert compose["volumes"].keys() == TOPOLOGY["volumes"].keys()
    for name, service in services.items():
        expected = {volume for volume, users in TOPOLOGY["volumes"].items() if name in users}
        assert named_volumes_of(service) == expected, name


def test_the_proxy_never_mounts_private_files(services):
    # Private uploads (verification documents, downloads) are served only by the app,
    # which checks who asks: the proxy has no path to them.
    assert "private" not in named_volumes_of(services["proxy"])
    assert "private" in TOPOLOGY["volumes"] and "proxy" not in TOPOLOGY["volumes"]["private"]


def test_the_proxy_runs_our_caddyfile_with_the_topologys_settings(services, prodlocal, tmp_path):
    proxy = services["proxy"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    required = set(re.findall(r"\{\$(\w+)\}", caddyfile))
    local = prodlocal.proxy_environment(
        site="https://localhost:1", paths={"static": tmp_path, "media": tmp_path},
        gunicorn_socket=tmp_path / "gunicorn.sock", live_socket=tmp_path / "live.sock",
    )  # fmt: skip

    assert re.fullmatch(r"caddy:2([.-].*)?", proxy["image"])
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert required == set(TOPOLOGY["proxy_settings"])
    assert environment_of(proxy).keys() == local.keys() == required


def test_the_proxy_reaches_web_only_through_gunicorns_socket(services):
    upstream = environment_of(services["proxy"])["APP_UPSTREAM"]
    socket_path = upstream.removeprefix("unix/")
    command = command_of(services["web"])

    assert upstream.startswith("unix//")
    assert f"--bind unix:{socket_path}" in command
    assert command.count("--bind") == 1


def test_db_is_postgres_18_with_a_volume_and_a_healthcheck(services):
    db = services["db"]

    assert re.fullmatch(r"postgres:18([.-].*)?", db["image"])
    assert environment_of(db)["POSTGRES_DB"] == "musicplatform"
    assert environment_of(db)["POSTGRES_PASSWORD"]
    # From 18 on the image keeps its data in a versioned directory under this one; a new
    # volume, since 18 cannot open the PostgreSQL 16 cluster of the old `pgdata`.
    assert "pgdata18:/var/lib/postgresql" in db["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_pgbouncer_pools_by_transaction_for_the_runtime_role_only(services):
    pgbouncer = services["pgbouncer"]
    environment = environment_of(pgbouncer)

    assert (environment["DB_HOST"], environment["DB_NAME"]) == ("db", "musicplatform")
    assert environment["DB_USER"] == "musicplatform_app"
    assert environment["POOL_MODE"] == "transaction"
    assert pgbouncer["depends_on"]["db"]["condition"] == "service_healthy"


def test_redis_is_redis_7_with_a_healthcheck(services):
    redis = services["redis"]

    assert re.fullmatch(r"redis:7([.-].*)?", redis["image"])
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_web_serves_the_app_with_gunicorn_and_its_one_configuration(services):
    command = command_of(services["web"])

    assert "exec gunicorn --config deploy/gunicorn.conf.py --bind unix:" in command
    assert command.index("manage.py collectstatic --noinput") < command.index("gunicorn")
    assert "ports" not in services["web"]


def test_the_images_own_command_is_gunicorn_with_the_same_configuration():
    command = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")
    )

    assert shlex.join(json.loads(command.removeprefix("CMD "))).startswith(
        "gunicorn --config deploy/gunicorn.conf.py --bind unix:/run/gunicorn/gunicorn.sock"
    )


def test_every_start_of_gunicorn_uses_the_one_configuration():
    """Production, prod-local, the benchmarks and the tests run gunicorn the same way: each
    file that starts it names deploy/gunicorn.conf.py, and no file names the WSGI app to it."""
    tracked = subprocess.run(
        [shutil.which("git") or "git", "ls-files", "*.py", "*.yml", "Dockerfile", "Makefile"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    starts = re.compile(r"""exec gunicorn|\["gunicorn"|"-m", "gunicorn"|/ "gunicorn"\)""")
    starting = [path for path in tracked if starts.search((ROOT / path).read_text())]

    assert {"Dockerfile", "docker-compose.yml", "bench/load.py", "scripts/prodlocal.py"} <= set(
        starting
    )
    for path in starting:
        text = (ROOT / path).read_text()
        assert "gunicorn.conf.py" in text or "GUNICORN_CONFIG" in text, path
        assert not re.search(r"gunicorn.{0,40}musicplatform\.wsgi", text, re.DOTALL), path


def test_roles_are_set_up_by_the_superuser_then_migrations_run_as_the_owner(services):
    roles, migrate = services["roles"], services["migrate"]

    assert command_of(roles) == "python manage.py db_roles"
    assert database_url_of(roles).username == "postgres"
    assert database_url_of(roles).hostname == database_url_of(migrate).hostname == "db"
    for variable in ("DATABASE_OWNER_PASSWORD", "DATABASE_RUNTIME_PASSWORD"):
        assert environment_of(roles)[variable].startswith(f"${{{variable}:?"), variable
    assert command_of(migrate) == "python manage.py migrate --noinput"
    assert database_url_of(migrate).username == "musicplatform_owner"
    assert database_url_of(migrate).password == "<DATABASE_OWNER_PASSWORD>"
    assert migrate["depends_on"]["roles"]["condition"] == "service_completed_successfully"
    assert {roles["restart"], migrate["restart"]} == {"no"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_get_the_topologys_settings_and_production_ones(services, name):
    environment = environment_of(services[name])

    assert environment.keys() == {*TOPOLOGY["app_settings"], *TOPOLOGY["production_settings"]}
    # prod-local's staging switch (SMTP without TLS) never here.
    assert not environment.keys() & set(TOPOLOGY["staging_settings"])
    assert environment["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] == "true"
    # Prepared statements only where the pooler keeps them (PgBouncer >= 1.21, below).
    assert environment["DATABASE_PREPARED_STATEMENTS"] == "true"
    assert int(environment_of(services["pgbouncer"])["MAX_PREPARED_STATEMENTS"]) > 0
    assert environment["TRUSTED_PROXIES"] == "unix"


def test_prod_local_gives_the_app_the_topologys_settings_and_staging_ones(prodlocal, tmp_path):
    environment = prodlocal.app_environment(
        database_url="postgresql://musicplatform_app:secret@127.0.0.1:6432/musicplatform",
        redis_url="redis://127.0.0.1:6379/0",
        site_host="localhost",
        site_url="https://localhost:8443",
        paths={name: tmp_path / name for name in ("static", "media", "private", "backups")},
        smtp_port=2525,
        keys={"SECRET_KEY": "s", "PAYOUT_ENCRYPTION_KEY": "k"},
    )

    assert environment.keys() == {*TOPOLOGY["app_settings"], *TOPOLOGY["staging_settings"]}
    assert environment["PAYMENTS_ALLOW_TEST_GATEWAY"] == "true"
    assert environment["SITE_URL"] == "https://localhost:8443"
    assert environment["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] == "true"
    # Debian's PgBouncer (1.18) keeps no prepared statements across transactions.
    assert environment["DATABASE_PREPARED_STATEMENTS"] == "false"
    assert environment["TRUSTED_PROXIES"] == "unix"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_after_the_migrations_as_the_runtime_role(services, name):
    service = services[name]
    database = database_url_of(service)

    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert database.username == "musicplatform_app"
    assert database.password == "<DATABASE_RUNTIME_PASSWORD>"
    assert "manage.py migrate" not in command_of(service)
    assert not any("OWNER" in variable for variable in environment_of(service))


def test_prod_local_runs_gunicorn_with_the_configuration_and_live_ahead_of_the_rest(
    prodlocal, tmp_path
):
    commands = prodlocal.app_commands(
        gunicorn_socket=tmp_path / "g.sock", live_socket=tmp_path / "l.sock", app_port=None,
        beat_schedule=tmp_path / "schedule",
    )  # fmt: skip
    web = shlex.join(commands["web"])
    config = ROOT / "deploy" / "gunicorn.conf.py"

    assert f"-m gunicorn --config {config} --bind unix:{tmp_path / 'g.sock'}" in web
    # What cpu_shares gives the live service in Compose: the others yield the CPU to it.
    for name in ("web", "worker", "beat"):
        assert commands[name][:3] == ["nice", "-n", "10"], name
    assert commands["live"][0] == prodlocal.PYTHON


def test_worker_and_beat_run_celery(services):
    assert command_of(services["worker"]).startswith("celery -A musicplatform worker")
    assert command_of(services["beat"]).startswith("celery -A musicplatform beat")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_production_settings_and_the_compose_db_and_redis(services, name):
    service = services[name]
    environment = environment_of(service)

    assert service["build"] == "."
    assert environment["DJANGO_SETTINGS_MODULE"] == "musicplatform.settings.production"
    database = database_url_of(service)
    # Through the pooler; only the one-shot jobs connect to db itself.
    assert (database.scheme, database.hostname, database.port) == ("postgresql", "pgbouncer", 5432)
    assert database.path == "/musicplatform"
    redis = urlsplit(environment["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)
    for dependency in ("pgbouncer", "redis"):
        assert service["depends_on"][dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_secrets_come_from_the_environment_and_are_required(services, name):
    environment = environment_of(services[name])

    for variable in (
        "SECRET_KEY",
        "PAYOUT_ENCRYPTION_KEY",
        "ALLOWED_HOSTS",
        "EMAIL_HOST",
        "DEFAULT_FROM_EMAIL",
    ):
        assert environment[variable].startswith(f"${{{variable}:?"), variable


@pytest.mark.parametrize("name", APP_SERVICES)
def test_a_real_gateway_and_mail_server_are_required_and_test_payments_are_opt_in(services, name):
    environment = environment_of(services[name])

    # Set, though a staging site may set the Stripe ones empty and allow the test gateway
    # (production settings then still refuse to start unless it does).
    for variable in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        assert environment[variable].startswith(f"${{{variable}?"), variable
    for variable in ("EMAIL_HOST", "DEFAULT_FROM_EMAIL"):
        assert environment[variable].startswith(f"${{{variable}:?"), variable
    assert environment["PAYMENTS_ALLOW_TEST_GATEWAY"] == "${PAYMENTS_ALLOW_TEST_GATEWAY:-false}"


def test_the_dockerfile_installs_the_requirements_and_htmx():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.12-slim\b", dockerfile, re.MULTILINE)
    assert re.search(r"^RUN pip install .*-r requirements\.txt", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM node:20-slim AS (\w+)", dockerfile, re.MULTILINE)
    assert "npm ci" in dockerfile
    # Settings serve htmx from node_modules/htmx.org/dist: the image keeps that path.
    assert re.search(
        r"^COPY --from=\w+ \S*node_modules/htmx\.org /app/node_modules/htmx\.org$",
        dockerfile,
        re.MULTILINE,
    )


def test_local_state_stays_out_of_the_build_context():
    ignored = (ROOT / ".dockerignore").read_text().split()

    assert {".git", ".venv", ".data", "node_modules"} <= set(ignored)


def test_the_proxy_sends_live_streams_to_uvicorn_over_its_socket(services):
    upstream = environment_of(services["proxy"])["LIVE_UPSTREAM"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()

    assert upstream == "unix//run/live/live.sock"
    assert command_of(services["live"]).startswith(
        "uvicorn live.asgi:application --uds /run/live/live.sock"
    )
    assert "handle /live/* {\n\t\treverse_proxy {$LIVE_UPSTREAM}" in caddyfile
    assert "ports" not in services["live"]


def test_live_streams_come_first_when_the_cpu_is_scarce(services):
    default_weight = 1024  # Docker's, for every service that does not set one
    weights = {
        name: service.get("cpu_shares", default_weight) for name, service in services.items()
    }

    assert weights["live"] > max(weight for name, weight in weights.items() if name != "live")
