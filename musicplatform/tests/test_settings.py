import os
import subprocess
import sys

import pytest
from django.conf import settings


def settings_in_subprocess(module: str, environment: dict[str, str], expression: str):
    """Import a settings module in a fresh interpreter with exactly this environment."""
    variables = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION_ENVIRONMENT
        and key not in {"EMAIL_BACKEND", "PAYMENTS_ALLOW_TEST_GATEWAY"}
    }
    script = f"import {module} as s; print(repr({expression}))"
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**variables, **environment},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "a-real-secret",
    "PAYOUT_ENCRYPTION_KEY": "3gS5cVvJ0iX9r1mY7C8yQ0b3dQ2aN6kZpTfWlEoHuRs=",
    "DATABASE_URL": "postgresql://app@db.internal/musicplatform",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "ALLOWED_HOSTS": "music.example.com",
    "STRIPE_SECRET_KEY": "sk_live_a_real_key",
    "STRIPE_WEBHOOK_SECRET": "whsec_a_real_secret",
    "EMAIL_HOST": "smtp.example.com",
}


def without(*names: str) -> dict[str, str]:
    return {k: v for k, v in PRODUCTION_ENVIRONMENT.items() if k not in names}


def test_production_settings_refuse_to_start_without_a_secret_key():
    environment = without("SECRET_KEY")

    result = settings_in_subprocess("musicplatform.settings.production", environment, "1")

    assert result.returncode != 0
    assert "The SECRET_KEY environment variable is required" in result.stderr


def test_production_settings_refuse_to_start_without_the_payout_encryption_key():
    environment = without("PAYOUT_ENCRYPTION_KEY")

    result = settings_in_subprocess("musicplatform.settings.production", environment, "1")

    assert result.returncode != 0
    assert "PAYOUT_ENCRYPTION_KEY" in result.stderr


def test_production_settings_start_with_their_secrets_and_turn_debug_off():
    result = settings_in_subprocess(
        "musicplatform.settings.production",
        PRODUCTION_ENVIRONMENT,
        "(s.DEBUG, s.SECRET_KEY, s.ALLOWED_HOSTS, s.SESSION_COOKIE_SECURE)",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, 'a-real-secret', ['music.example.com'], True)"


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_production_settings_refuse_to_start_without_a_real_payment_gateway(missing):
    result = settings_in_subprocess("musicplatform.settings.production", without(missing), "1")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr
    assert "PAYMENTS_ALLOW_TEST_GATEWAY" in result.stderr


def test_a_staging_site_may_run_the_test_gateway_when_it_says_so():
    # Its pages then carry the test-mode banner: payments/tests/test_payments_views.py.
    environment = {
        **without("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
        "PAYMENTS_ALLOW_TEST_GATEWAY": "true",
    }

    result = settings_in_subprocess(
        "musicplatform.settings.production", environment, "s.STRIPE_SECRET_KEY"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_production_settings_refuse_an_email_backend_that_sends_nothing(backend):
    result = settings_in_subprocess(
        "musicplatform.settings.production",
        {**PRODUCTION_ENVIRONMENT, "EMAIL_BACKEND": backend},
        "1",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "real email backend" in result.stderr


def test_production_settings_refuse_to_start_without_an_smtp_host():
    result = settings_in_subprocess("musicplatform.settings.production", without("EMAIL_HOST"), "1")

    assert result.returncode != 0
    assert "EMAIL_HOST" in result.stderr


def test_production_sends_mail_over_smtp_to_the_configured_host():
    result = settings_in_subprocess(
        "musicplatform.settings.production",
        PRODUCTION_ENVIRONMENT,
        "(s.MAILERS['default']['BACKEND'], s.MAILERS['default']['OPTIONS']['host'])",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "('django.core.mail.backends.smtp.EmailBackend', 'smtp.example.com')"
    )


def test_a_database_url_with_a_unix_socket_directory_as_host_reaches_psycopg_as_that_host():
    result = settings_in_subprocess(
        "musicplatform.settings.base",
        {"DATABASE_URL": "postgresql://app@/musicplatform?host=/run/postgresql"},
        "(s.DATABASES['default']['NAME'], s.DATABASES['default']['OPTIONS']['host'])",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('musicplatform', '/run/postgresql')"


REPLICAS_ENVIRONMENT = {
    "DATABASE_URL": "postgresql://app@primary.internal/musicplatform",
    "DATABASE_REPLICA_URLS": "postgresql://app@replica-a.internal/musicplatform, "
    "postgresql://app@/musicplatform?host=/run/replica-b",
}


def test_database_replica_urls_become_replica_databases_that_mirror_the_primary_in_tests():
    result = settings_in_subprocess(
        "musicplatform.settings.base",
        REPLICAS_ENVIRONMENT,
        "sorted((alias, d['HOST'] or d['OPTIONS']['host'], d['OPTIONS']['connect_timeout'],"
        " d['TEST']) for alias, d in s.DATABASES.items() if alias != 'default')",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "[('replica_0', 'replica-a.internal', 2, {'MIRROR': 'default'}),"
        " ('replica_1', '/run/replica-b', 2, {'MIRROR': 'default'})]"
    )


def test_behind_pgbouncer_every_database_can_do_without_server_side_cursors():
    expression = "sorted((a, d['DISABLE_SERVER_SIDE_CURSORS']) for a, d in s.DATABASES.items())"

    direct = settings_in_subprocess("musicplatform.settings.base", REPLICAS_ENVIRONMENT, expression)
    pooled = settings_in_subprocess(
        "musicplatform.settings.base",
        {**REPLICAS_ENVIRONMENT, "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true"},
        expression,
    )

    assert direct.stdout.strip() == (
        "[('default', False), ('replica_0', False), ('replica_1', False)]"
    ), direct.stderr
    assert pooled.stdout.strip() == (
        "[('default', True), ('replica_0', True), ('replica_1', True)]"
    ), pooled.stderr


def test_no_statement_is_prepared_so_pgbouncers_transaction_mode_needs_nothing_more():
    """Behind PgBouncer in transaction mode each transaction may get another server
    connection, where a statement prepared on the last one does not exist. Django's psycopg 3
    backend binds parameters on the client and prepares nothing, unless OPTIONS say
    otherwise (`server_side_binding`, `prepare_threshold`): none of our settings do."""
    import psycopg
    from django.db import connections

    for alias in connections:
        params = connections[alias].get_connection_params()

        assert params["prepare_threshold"] is None, alias
        assert issubclass(params["cursor_factory"], psycopg.ClientCursor), alias
