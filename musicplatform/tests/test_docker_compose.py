"""docker-compose.yml and the Dockerfile, read as files: no Docker engine runs here."""

import re
import shlex
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


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


def test_every_service_is_defined(services):
    assert {"db", "redis", "roles", "migrate", "web", "worker", "beat"} <= services.keys()


def test_db_is_postgres_16_with_a_volume_and_a_healthcheck(services):
    db = services["db"]

    assert re.fullmatch(r"postgres:16([.-].*)?", db["image"])
    assert environment_of(db)["POSTGRES_DB"] == "musicplatform"
    assert environment_of(db)["POSTGRES_PASSWORD"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_redis_is_redis_7_with_a_healthcheck(services):
    redis = services["redis"]

    assert re.fullmatch(r"redis:7([.-].*)?", redis["image"])
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_web_serves_the_wsgi_app_with_gunicorn(services):
    command = command_of(services["web"])

    assert "gunicorn musicplatform.wsgi:application --bind 0.0.0.0:8000" in command
    assert command.index("manage.py collectstatic --noinput") < command.index("gunicorn")
    assert "8000:8000" in services["web"]["ports"]


def test_roles_are_set_up_by_the_superuser_then_migrations_run_as_the_owner(services):
    roles, migrate = services["roles"], services["migrate"]

    assert command_of(roles) == "python manage.py db_roles"
    assert database_url_of(roles).username == "postgres"
    for variable in ("DATABASE_OWNER_PASSWORD", "DATABASE_RUNTIME_PASSWORD"):
        assert environment_of(roles)[variable].startswith(f"${{{variable}:?"), variable
    assert command_of(migrate) == "python manage.py migrate --noinput"
    assert database_url_of(migrate).username == "musicplatform_owner"
    assert database_url_of(migrate).password == "<DATABASE_OWNER_PASSWORD>"
    assert migrate["depends_on"]["roles"]["condition"] == "service_completed_successfully"
    assert {roles["restart"], migrate["restart"]} == {"no"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_after_the_migrations_as_the_runtime_role(services, name):
    service = services[name]
    database = database_url_of(service)

    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert database.username == "musicplatform_app"
    assert database.password == "<DATABASE_RUNTIME_PASSWORD>"
    assert "manage.py migrate" not in command_of(service)
    assert not any("OWNER" in variable for variable in environment_of(service))


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
    assert (database.scheme, database.hostname, database.port) == ("postgresql", "db", 5432)
    assert database.path == "/musicplatform"
    redis = urlsplit(environment["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)
    for dependency in ("db", "redis"):
        assert service["depends_on"][dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_secrets_come_from_the_environment_and_are_required(services, name):
    environment = environment_of(services[name])

    for variable in ("SECRET_KEY", "PAYOUT_ENCRYPTION_KEY", "ALLOWED_HOSTS"):
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
