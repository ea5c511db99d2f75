"""prod-local, end to end: a fan signs up and pays, an artist posts a picture, beat's tasks
run on the real worker, and every part holds its line (proxy, pooler, roles)."""

import hashlib
import io
import os
import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from PIL import Image
from psycopg import errors

from prodlocal_tests.conftest import Topology, form_post, log_in

PASSWORD = "violet-harbour-tango-91"  # noqa: S105 (a throwaway account's)
RUN = uuid.uuid4().hex[:8]
FAN = {"email": f"smoke-{RUN}@example.com", "username": f"smoke_{RUN}"}
TEST_CARD = "4242 4242 4242 4242"


def wait_for(condition, what: str, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(1)
    raise AssertionError(f"{what}: not seen within {timeout:.0f} s")


@pytest.fixture(scope="module")
def pooler_before(topology: Topology) -> dict[str, int]:
    """PgBouncer's counters before the suite's first request."""
    return topology.pooler_stats()


@pytest.fixture(scope="module")
def fan(topology: Topology, pooler_before):
    """A new fan, signed up through the proxy and verified with the link the SMTP server got."""
    browser = topology.browser()
    signup = form_post(
        browser,
        f"{topology.url}/accounts/signup/",
        {**FAN, "full_name": "Smoke Test", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert signup.status_code == 200, f"web: sign-up answered {signup.status_code}"
    body = topology.email_to(FAN["email"])
    link = re.search(r"https://\S+", body)
    assert link and link[0].startswith(topology.url), f"web: the verification link is {link}"
    verified = form_post(browser, link[0], {})
    assert verified.status_code == 200, f"web: verifying answered {verified.status_code}"
    return log_in(topology, FAN["email"], PASSWORD)


@pytest.mark.part("proxy", "web", "smtp")
def test_a_fan_signs_up_verifies_by_email_and_logs_in(topology, fan):
    home = fan.get(f"{topology.url}/")

    assert home.status_code == 200
    assert home.headers["Via"] == "1.1 Caddy", "proxy: the page did not come through Caddy"
    assert FAN["username"] in home.text or "Log out" in home.text, "web: not logged in"


@pytest.mark.part("proxy", "web")
def test_static_files_come_from_the_proxy(topology):
    home = topology.browser().get(f"{topology.url}/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)

    answer = topology.browser().get(f"{topology.url}{stylesheet[1]}")

    assert answer.status_code == 200
    assert answer.headers["Server"] == "Caddy", "proxy: /static/ was not served by Caddy"
    assert "immutable" in answer.headers["Cache-Control"]


@pytest.mark.part("proxy", "web")
def test_an_artists_post_picture_is_served_by_the_proxy_and_private_files_are_not(topology):
    artist = log_in(topology, "artist@example.com", "demo-artist-password")
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 90)).save(picture, format="PNG")
    text = f"Smoke test picture {RUN}"

    created = form_post(
        artist,
        f"{topology.url}/posts/new/",
        {"content_text": text, **hidden_artist(artist, topology)},
        files={"media": ("smoke.png", picture.getvalue(), "image/png")},
    )

    assert created.status_code == 200 and text in created.text, "web: the post was not created"
    source = re.search(r'<img[^>]+src="(/media/[^"]+)"', created.text)
    assert source, "web: the post page shows no picture from /media/"
    served = topology.browser().get(f"{topology.url}{source[1]}")
    assert served.status_code == 200, f"proxy: {source[1]} answered {served.status_code}"
    assert served.headers["Server"] == "Caddy", "proxy: the picture did not come from Caddy"
    assert served.headers["Content-Type"].startswith("image/")
    assert Image.open(io.BytesIO(served.content)).size[0] > 0
    # A private upload: neither its name under /media/ nor a climb out of it reaches it.
    secret = Path(topology.private_root) / f"smoke-{RUN}.pdf"
    secret.write_bytes(b"%PDF- private")
    for path in (
        f"/media/{secret.name}",
        f"/media/../private/{secret.name}",
        f"/private/{secret.name}",
    ):
        answer = topology.browser().get(f"{topology.url}{path}")
        assert b"private" not in answer.content, f"proxy: served a private file at {path}"


def hidden_artist(session, topology) -> dict:
    """The post form's artist field (hidden when the user has one artist profile)."""
    page = session.get(f"{topology.url}/posts/new/").text
    field = re.search(r'name="artist" value="([^"]+)"', page)
    return {"artist": field[1]} if field else {}


@pytest.fixture(scope="module")
def membership(topology, fan) -> dict:
    """The fan subscribes to a demo community and pays on the test gateway's page."""
    with topology.superuser() as db:
        community_id, fee = db.execute(
            "SELECT community_id, subscription_fee FROM communities ORDER BY name LIMIT 1"
        ).fetchone()
    community_url = f"{topology.url}/communities/{community_id}/"
    checkout = form_post(fan, community_url, {}, action=f"{community_url}subscribe/")
    assert "/test-checkout/" in checkout.url, f"web: subscribing led to {checkout.url}"
    paid = form_post(fan, checkout.url, {"card_number": TEST_CARD})
    assert "your payment went through" in paid.text, "web: the test gateway did not take the card"
    return {"community_id": community_id, "fee": Decimal(fee)}


def member_count(topology, community_id) -> int:
    with topology.superuser() as db:
        row = db.execute(
            "SELECT member_count FROM community_member_counts WHERE community_id = %s",
            [community_id],
        ).fetchone()
    return row[0] if row else 0


def active_members(topology, community_id) -> int:
    with topology.superuser() as db:
        return db.execute(
            "SELECT count(*) FROM community_subscriptions WHERE community_id = %s AND is_active"
            " AND (end_date > now() OR grace_until > now())",
            [community_id],
        ).fetchone()[0]


@pytest.mark.part("web", "worker", "beat")
def test_beat_refreshes_the_member_counts_as_the_runtime_role(topology, membership):
    community_id = membership["community_id"]
    expected = active_members(topology, community_id)

    # Beat queues the refresh every minute; the worker runs it as musicplatform_app.
    wait_for(
        lambda: member_count(topology, community_id) == expected,
        f"beat/worker: community_member_counts showing {expected} members",
        timeout=150,
    )
    with topology.superuser() as db:
        grantee = db.execute(
            "SELECT proowner::regrole::text FROM pg_proc"
            " WHERE proname = 'community_member_counts_refresh'"
        ).fetchone()[0]
    assert grantee == "musicplatform_owner"
    worker_log = (Path(topology.logs) / "worker.log").read_text(errors="replace")
    assert "permission denied" not in worker_log, "worker: a task was refused by PostgreSQL"


@pytest.mark.part("worker", "redis")
def test_a_due_renewal_is_charged_by_the_worker(topology, membership):
    with topology.superuser() as db:
        subscription_id, end_date = db.execute(
            "UPDATE community_subscriptions s SET end_date = now() + interval '1 minute'"
            " FROM users u WHERE u.user_id = s.user_id AND u.username = %s"
            " AND s.community_id = %s RETURNING s.subscription_id, s.end_date",
            [FAN["username"], membership["community_id"]],
        ).fetchone()

    topology.celery_call("communities.tasks.subscriptions_renew_due")

    def renewed():
        with topology.superuser() as db:
            return db.execute(
                "SELECT s.end_date, p.payment_status, p.amount FROM community_subscriptions s"
                " JOIN community_subscription_renewals r ON r.subscription_id = s.subscription_id"
                " JOIN payments p ON p.payment_id = r.payment_id"
                " WHERE s.subscription_id = %s AND r.period_end = %s",
                [subscription_id, end_date],
            ).fetchone()

    new_end, status, amount = wait_for(renewed, "worker: the renewal's payment", timeout=60)
    assert status == "completed", f"worker: the renewal payment is {status}"
    assert amount == membership["fee"]
    assert new_end > end_date


@pytest.mark.part("proxy", "web")
def test_a_spoofed_forwarded_for_does_not_change_the_address_the_login_limit_counts(topology):
    login = f"nobody-{RUN}@example.com"

    form_post(
        topology.browser(),
        f"{topology.url}/accounts/login/",
        {"login": login, "password": "wrong"},
    )
    spoofed = topology.browser()
    spoofed.headers["X-Forwarded-For"] = "203.0.113.77"
    form_post(spoofed, f"{topology.url}/accounts/login/", {"login": login, "password": "wrong"})

    with topology.superuser() as db:
        addresses = db.execute(
            "SELECT host(ip_address) FROM login_failures WHERE login_key = %s",
            [hashlib.sha256(login.lower().encode()).hexdigest()],
        ).fetchall()
    assert addresses == [("127.0.0.1",), ("127.0.0.1",)], f"proxy/web: counted under {addresses}"


@pytest.mark.part("pgbouncer", "db")
def test_the_runtime_role_cannot_create_a_table(topology):
    with psycopg.connect(topology.pooled_url, autocommit=True) as conn:
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE smoke_intruder (id int)")
        assert conn.execute("SELECT current_user").fetchone()[0] == "musicplatform_app"


@pytest.mark.part("pgbouncer", "db")
def test_every_query_of_the_app_went_through_pgbouncer(topology, pooler_before, fan, membership):
    after = topology.pooler_stats()
    with topology.pooler_console() as console:
        cursor = console.cursor()
        servers = cursor.execute("SHOW SERVERS").fetchall()
        columns = [column.name for column in cursor.description]
    pooled = {dict(zip(columns, row, strict=True))["remote_pid"] for row in servers}
    with topology.superuser() as db:
        app_backends = {
            pid
            for (pid,) in db.execute(
                "SELECT pid FROM pg_stat_activity WHERE usename = 'musicplatform_app'"
            ).fetchall()
        }

    assert after["total_query_count"] > pooler_before["total_query_count"] + 50, (
        f"pgbouncer: {after['total_query_count'] - pooler_before['total_query_count']} queries"
    )
    # Every connection the runtime role holds is one of PgBouncer's server connections.
    assert app_backends <= pooled, f"db: backends not from PgBouncer: {app_backends - pooled}"


def listening_sockets(sessions: set[int]) -> dict[int, str]:
    """{socket inode: "address:port"} of the TCP listeners and bound UDP sockets held by any
    process of these sessions (each launched process leads one; its children inherit it)."""
    inodes = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            # Field 6 of stat is the session id; the name (field 2) may hold spaces.
            session = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[3])
            if session in sessions:
                for fd in (proc / "fd").iterdir():
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(int(target[8:-1]))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    found = {}
    for table, listening in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == listening and int(fields[9]) in inodes:
                address, port = fields[1].split(":")
                found[int(fields[9])] = f"{table} {readable_address(address)}:{int(port, 16)}"
    return found


def readable_address(hex_address: str) -> str:
    if len(hex_address) == 8:  # IPv4, little-endian
        return ".".join(str(int(hex_address[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "::1" if hex_address == "0" * 24 + "01000000" else f"[{hex_address}]"


@pytest.mark.part("proxy", "web", "pgbouncer", "smtp")
def test_nothing_of_the_topology_listens_beyond_loopback(topology):
    sockets = listening_sockets(set(topology.pids.values()))
    port = topology.url.rsplit(":", 1)[1]

    assert f"tcp 127.0.0.1:{port}" in sockets.values(), f"proxy: not listening: {sockets}"
    outside = [
        listener
        for listener in sockets.values()
        if not listener.split(" ")[1].startswith(("127.", "::1"))
    ]
    assert not outside, f"listening beyond loopback: {outside}"
