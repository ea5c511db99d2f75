"""The smoke suite of `make test-prod`: the topology of scripts/prodlocal.py, driven over
HTTPS like a browser would, and inspected like an operator would (psql, PgBouncer's console).

It starts the topology once for the session, in `$MP_DATA_DIR/prodlocal-smoke`. Each test
names the parts it goes through (`@pytest.mark.part(...)`): a failure reports them and the
end of each one's log. No Django here: the suite is a client of the running processes.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import psycopg
import pytest
import requests

from scripts.devservices import free_port

ROOT = Path(__file__).resolve().parent.parent

TOPOLOGY_KEY = pytest.StashKey["Topology"]()
START_TIMEOUT = 900  # seconds: a first start migrates a new database
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def pytest_configure(config):
    config.addinivalue_line("markers", "part(*names): the parts of the topology a test uses")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    topology = item.config.stash.get(TOPOLOGY_KEY, None)
    # A fixture that drives the site (the fan's sign-up, the payment) fails in "setup".
    if report.failed and call.when in ("setup", "call"):
        parts = [name for mark in item.iter_markers("part") for name in mark.args]
        report.sections.append(("prod-local parts under test", ", ".join(parts) or "?"))
        for part in parts:
            if topology and (log := Path(topology.logs) / f"{part}.log").exists():
                tail = log.read_text(errors="replace").splitlines()[-25:]
                report.sections.append((f"end of {log}", "\n".join(tail)))
    return report


@dataclass
class Topology:
    url: str
    ca: str
    maildir: str
    logs: str
    media_root: str
    private_root: str
    superuser_url: str
    pooled_url: str
    pooler_admin: str
    app_environment: dict[str, str]
    pids: dict[str, int]

    def browser(self) -> requests.Session:
        session = requests.Session()
        # Only Caddy's root: REQUESTS_CA_BUNDLE and proxies from the environment would win.
        session.trust_env = False
        session.verify = self.ca
        return session

    def superuser(self) -> psycopg.Connection:
        return psycopg.connect(self.superuser_url, autocommit=True)

    def pooler_console(self) -> psycopg.Connection:
        # The admin console speaks the simple query protocol only.
        return psycopg.connect(self.pooler_admin, autocommit=True, prepare_threshold=None)

    def pooler_stats(self) -> dict[str, int]:
        with self.pooler_console() as console:
            cursor = console.cursor()
            rows = cursor.execute("SHOW STATS").fetchall()
            columns = [column.name for column in cursor.description]
        stats = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
        return stats["musicplatform"]

    def celery_call(self, task: str) -> None:
        """Queues `task` through the app's broker, as beat does, for the real worker to run."""
        queued = subprocess.run(
            [sys.executable, "-m", "celery", "-A", "musicplatform", "call", task],
            env={**os.environ, **self.app_environment},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert queued.returncode == 0, f"redis: could not queue {task}: {queued.stderr}"

    def email_to(self, address: str, timeout: float = 30) -> str:
        """The plain-text body of the latest message the SMTP server received for `address`."""
        box = mailbox.Maildir(self.maildir, create=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = [
                email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
                for key in box.iterkeys()
            ]
            theirs = sorted(
                (message for message in messages if address in message["To"]),
                key=lambda message: parsedate_to_datetime(message["Date"]),
            )
            if theirs:
                return theirs[-1].get_body(("plain",)).get_content()
            time.sleep(0.5)
        raise AssertionError(f"smtp: no message to {address} within {timeout} s")


def form_post(
    session: requests.Session, page_url: str, data: dict, *, action: str | None = None, files=None
) -> requests.Response:
    """Submits a form of `page_url` (to `action`, itself by default) as a browser would:
    with the page's CSRF token and the page as Referer (Django checks it over HTTPS)."""
    page = session.get(page_url)
    assert page.status_code == 200, f"web: GET {page_url} answered {page.status_code}"
    token = CSRF_FIELD.search(page.text)
    assert token, f"web: no CSRF token on {page_url}"
    return session.post(
        action or page_url,
        data={**data, "csrfmiddlewaretoken": token[1]},
        files=files,
        headers={"Referer": page_url},
    )


def log_in(topology: Topology, login: str, password: str) -> requests.Session:
    session = topology.browser()
    answer = form_post(
        session, f"{topology.url}/accounts/login/", {"login": login, "password": password}
    )
    assert answer.url.rstrip("/") != f"{topology.url}/accounts/login", (
        f"web: {login} could not log in"
    )
    return session


@pytest.fixture(scope="session")
def topology(request, tmp_path_factory) -> Topology:
    data = Path(os.environ.get("MP_DATA_DIR", ROOT / ".data")).resolve() / "prodlocal-smoke"
    ready = tmp_path_factory.mktemp("prodlocal") / "ready.json"
    output = tmp_path_factory.getbasetemp() / "prodlocal.out"
    started = time.monotonic()
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "prodlocal.py"), "--data-dir", str(data),
             "--port", str(free_port()), "--ready-file", str(ready)],
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        while not ready.exists():
            if process.poll() is not None or time.monotonic() - started > START_TIMEOUT:
                tail = "\n".join(output.read_text(errors="replace").splitlines()[-40:])
                pytest.fail(f"prod-local did not start (see {data / 'logs'}):\n{tail}")
            time.sleep(1)
        info = json.loads(ready.read_text())
        made = Topology(**{field: info[field] for field in Topology.__dataclass_fields__})
        request.config.stash[TOPOLOGY_KEY] = made
        print(f"\nprod-local started in {time.monotonic() - started:.0f} s", file=sys.stderr)
        yield made
    finally:
        # Ctrl-C's way out: prodlocal.py stops every process, then PostgreSQL and Redis.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
