"""Reads on a real streaming replica of the test database (musicplatform/routers.py).

A module fixture copies the running test server with PostgreSQL's own `pg_basebackup`,
starts the copy as a hot standby on a socket of its own, waits until it streams and
declares it as the `replica_0` database. Pausing the standby's replay makes the lag
certain, so each test can tell a page read on the replica (the old rows) from a page read
on the primary (the new ones).
"""

import copy
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import verified_user
from artists.models import Artist
from artists.tests.factories import ArtistFactory
from communities.models import ForumType
from communities.tests.factories import CommunitySubscriptionFactory, ForumFactory
from content.tests.factories import PostFactory
from musicplatform import routers

REPLICA = "replica_0"
# Every test writes on the primary and reads on the standby, which sees committed rows only.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])
REPLAY_TIMEOUT = 15
# pgserver's binaries, found without importing pgserver (which sets up runtime folders).
POSTGRES_BIN = Path(importlib.util.find_spec("pgserver").origin).parent / "pginstall" / "bin"


@dataclass
class Standby:
    primary: dict
    replica: dict

    def query(self, server: dict, sql: str):
        with psycopg.connect(**server, autocommit=True) as conn:
            return conn.execute(sql).fetchone()[0]

    def catch_up(self) -> None:
        """Wait until the standby has replayed everything committed so far."""
        deadline = time.monotonic() + REPLAY_TIMEOUT
        target = self.query(self.primary, "SELECT pg_current_wal_lsn()")
        while not self.query(self.replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'"):
            assert time.monotonic() < deadline, "the standby stopped replaying"
            time.sleep(0.01)

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        self.catch_up()
        self.query(self.replica, "SELECT pg_wal_replay_pause()")
        try:
            while self.query(self.replica, "SELECT pg_get_wal_replay_pause_state()") != "paused":
                time.sleep(0.01)
            yield
        finally:
            self.query(self.replica, "SELECT pg_wal_replay_resume()")


def _primary_params() -> dict:
    params = connections["default"].get_connection_params()
    keys = ("host", "port", "user", "password", "dbname")
    return {key: params[key] for key in keys if params.get(key)}


def _postgres(program: str, *args: str, as_owner_of: Path) -> None:
    """Run a PostgreSQL program as the user that owns the primary's data directory.

    The server refuses to run as root, so as root pgserver runs it as a user of its own;
    the standby's files and processes must belong to that user too.
    """
    owner = as_owner_of.stat()
    user = {"user": owner.st_uid, "group": owner.st_gid} if os.geteuid() == 0 else {}
    subprocess.run(
        [str(POSTGRES_BIN / program), *args],
        check=True,
        capture_output=True,
        timeout=60,
        **user,
    )


@pytest.fixture(scope="module", autouse=True)
def standby(django_db_setup) -> Iterator[Standby]:
    """A hot standby of the test server, streaming from it, declared as `replica_0`.

    Declared for the whole module, before each test's database setup checks the aliases
    the test may use.
    """
    primary = _primary_params()
    with psycopg.connect(**primary, autocommit=True) as conn:
        data_directory = Path(conn.execute("SHOW data_directory").fetchone()[0])
        port = conn.execute("SHOW port").fetchone()[0]
    # Unix socket paths are limited to about 100 bytes: a short directory under /tmp.
    home = Path(tempfile.mkdtemp(prefix="mp-replica-", dir="/tmp"))
    if os.geteuid() == 0:
        owner = data_directory.stat()
        os.chown(home, owner.st_uid, owner.st_gid)
    pgdata = home / "data"
    try:
        # Taken after the test database was created, so the standby has it; -R makes the
        # copy a standby that streams from the primary. A throwaway copy: no fsync.
        _postgres(
            "pg_basebackup",
            "--dbname", psycopg.conninfo.make_conninfo(**primary),
            "--pgdata", str(pgdata),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-sync",
            as_owner_of=data_directory,
        )  # fmt: skip
        _postgres(
            "pg_ctl", "start", "--wait",
            "--pgdata", str(pgdata),
            "--log", str(home / "standby.log"),
            "-o", f"-h '' -k {home} -p {port} -c shared_buffers=16MB -c fsync=off",
            as_owner_of=data_directory,
        )  # fmt: skip
        standby = Standby(primary=primary, replica={**primary, "host": str(home), "port": port})
        deadline = time.monotonic() + REPLAY_TIMEOUT
        while standby.query(standby.replica, "SELECT count(*) FROM pg_stat_wal_receiver") == 0:
            assert time.monotonic() < deadline, (home / "standby.log").read_text()
            time.sleep(0.05)
        assert standby.query(standby.replica, "SELECT pg_is_in_recovery()")
        with replica_declared(replica_settings(host=str(home), port=port)):
            yield standby
    finally:
        if (pgdata / "postmaster.pid").exists():
            _postgres(
                "pg_ctl", "stop", "--pgdata", str(pgdata), "--mode=immediate", "--wait",
                as_owner_of=data_directory,
            )  # fmt: skip
        shutil.rmtree(home)


def replica_settings(*, host: str, port: str) -> dict:
    """A replica's settings as DATABASE_REPLICA_URLS gives them: the primary's, elsewhere."""
    replica = copy.deepcopy(connections["default"].settings_dict)
    replica["OPTIONS"].pop("host", None)
    replica |= {"HOST": host, "PORT": port, "TEST": {**replica["TEST"], "MIRROR": "default"}}
    return replica


@contextmanager
def replica_declared(settings_dict: dict | None) -> Iterator[None]:
    """`replica_0` with these settings (None: no replica at all), then as it was."""
    previous = connections.settings.get(REPLICA)
    _declare(settings_dict)
    try:
        yield
    finally:
        _declare(previous)
        routers._retry_after.pop(REPLICA, None)


def _declare(settings_dict: dict | None) -> None:
    if hasattr(connections._connections, REPLICA):
        connections[REPLICA].close()
        del connections[REPLICA]
    if settings_dict is None:
        connections.settings.pop(REPLICA, None)
    else:
        connections.settings[REPLICA] = settings_dict


@contextmanager
def queries_per_database() -> Iterator[dict]:
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield {"primary": primary, "replica": replica}


def test_an_anonymous_visitor_reads_an_artist_page_from_the_replica(standby):
    artist = ArtistFactory(artist_name="Replica Rose")
    PostFactory(artist=artist, content_text="Tour dates are out")
    standby.catch_up()

    with queries_per_database() as queries:
        response = Client().get(artist.get_absolute_url())

    assert response.status_code == 200
    assert "Tour dates are out" in response.text
    assert len(queries["primary"]) == 0
    assert any('"artists"' in query["sql"] for query in queries["replica"].captured_queries)
    assert routers.WRITE_COOKIE not in response.cookies


def test_a_fan_sees_their_own_comment_at_once_and_other_fans_once_the_replica_replays_it(
    standby, settings
):
    post = PostFactory(content_text="New single on Friday")
    fan, other_fan = Client(), Client()
    fan.force_login(verified_user(username="eager_fan"))
    other_fan.force_login(verified_user(username="other_fan"))
    standby.catch_up()

    with standby.replay_paused():
        posted = fan.post(
            reverse("content:post_comment", args=[post.pk]), {"content": "Counting the days"}
        )
        fan_page = fan.get(post.get_absolute_url())
        other_page = other_fan.get(post.get_absolute_url())
        # Once the pin has expired, the fan's reads go back to the (still lagging) replica.
        fan.cookies[routers.WRITE_COOKIE] = str(time.time() - settings.REPLICA_PIN_SECONDS - 1)
        with queries_per_database() as queries:
            fan_later = fan.get(post.get_absolute_url())

    assert posted.status_code == 302
    assert posted.cookies[routers.WRITE_COOKIE]["max-age"] == max(
        settings.REPLICA_PIN_SECONDS, settings.FRAGMENT_CACHE_SECONDS
    )
    assert [fan_page.status_code, other_page.status_code, fan_later.status_code] == [200] * 3
    assert "Counting the days" in fan_page.text
    assert "Counting the days" not in other_page.text
    assert "Counting the days" not in fan_later.text
    assert len(queries["primary"]) == 0
    standby.catch_up()
    assert "Counting the days" in other_fan.get(post.get_absolute_url()).text


def test_a_write_stamped_by_a_server_whose_clock_is_ahead_still_pins_the_fan(standby):
    # Several web servers' clocks differ by milliseconds, and the stamp is rounded up to one:
    # the next request may see a write time a little in its future.
    post = PostFactory(content_text="New single on Friday")
    fan = Client()
    fan.force_login(verified_user(username="eager_fan"))
    standby.catch_up()

    with standby.replay_paused():
        fan.post(reverse("content:post_comment", args=[post.pk]), {"content": "Counting"})
        fan.cookies[routers.WRITE_COOKIE] = f"{time.time() + 0.5:.3f}"
        with queries_per_database() as queries:
            fan_page = fan.get(post.get_absolute_url())
        # A cookie that is no time at all is no write.
        fan.cookies[routers.WRITE_COOKIE] = "nan"
        with queries_per_database() as not_a_time:
            fan.get(post.get_absolute_url())

    assert fan_page.status_code == 200
    assert "Counting" in fan_page.text
    assert len(queries["replica"]) == 0
    assert len(not_a_time["primary"]) == 0


def test_reads_in_a_transaction_or_after_a_write_go_to_the_primary(standby):
    artist = ArtistFactory(artist_name="Before")
    standby.catch_up()

    def name() -> str:
        return Artist.objects.get(pk=artist.pk).artist_name

    with standby.replay_paused():
        Artist.objects.filter(pk=artist.pk).update(artist_name="After")
        with routers.replica_reads(allowed=True) as scope:
            on_the_replica = name()
            with transaction.atomic():
                in_a_transaction = name()
            Artist.objects.filter(pk=artist.pk).update(bio="Rewritten")
            after_writing = name()

    assert (on_the_replica, in_a_transaction, after_writing) == ("Before", "After", "After")
    assert scope.wrote


def test_cached_values_are_computed_on_the_primary(standby):
    standby.catch_up()

    with standby.replay_paused():
        ArtistFactory(artist_name="Freshly Featured", featured=True)
        home = Client().get(reverse("home"))

    assert home.status_code == 200
    assert "Freshly Featured" in home.text


def test_without_replicas_every_query_goes_to_the_primary():
    artist = ArtistFactory(artist_name="Only Primary")

    with replica_declared(None):
        with CaptureQueriesContext(connections["default"]) as primary:
            response = Client().get(artist.get_absolute_url())
        with routers.replica_reads(allowed=True):
            chosen = routers.ReplicaRouter().db_for_read(Artist)
        aliases = routers.replica_aliases()

    assert aliases == []
    assert response.status_code == 200
    assert "Only Primary" in response.text
    assert len(primary) > 0
    assert chosen == "default"


def test_a_replica_that_is_down_sends_reads_to_the_primary_until_it_is_back(
    standby, settings, caplog
):
    settings.REPLICA_RETRY_SECONDS = 1
    artist = ArtistFactory(artist_name="Still Online")
    standby.catch_up()
    # No server listens on that port's socket, in the standby's socket directory.
    down = replica_settings(host=standby.replica["host"], port="1")

    with replica_declared(down):
        with CaptureQueriesContext(connections["default"]) as primary:
            pages = [Client().get(artist.get_absolute_url()) for _ in range(3)]
        down["PORT"] = standby.replica["port"]
        time.sleep(settings.REPLICA_RETRY_SECONDS)
        with queries_per_database() as queries:
            back = Client().get(artist.get_absolute_url())

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert all("Still Online" in page.text for page in pages)
    assert len(primary) > 0
    # One warning, then the replica was left alone for REPLICA_RETRY_SECONDS.
    warnings = [r for r in caplog.records if r.name == "musicplatform.routers"]
    assert len(warnings) == 1
    assert "replica_0 is unreachable" in warnings[0].getMessage()
    assert back.status_code == 200
    assert "Still Online" in back.text
    assert (len(queries["primary"]), len(queries["replica"]) > 0) == (0, True)


def test_a_members_new_topic_shows_at_once_to_them_and_to_others_once_replayed(standby):
    # The topic list is plain SQL (communities.selectors._read_topics): routed all the same.
    forum = ForumFactory(forum_type=ForumType.SUGGESTIONS)
    url = reverse("communities:forum", args=[forum.community_id, forum.pk])
    fan, other_fan = Client(), Client()
    fan.force_login(CommunitySubscriptionFactory(community=forum.community).user)
    other_fan.force_login(CommunitySubscriptionFactory(community=forum.community).user)
    standby.catch_up()

    with standby.replay_paused():
        posted = fan.post(url, {"title": "Vinyl reissue", "content": "Please!"})
        fan_page = fan.get(url)
        with queries_per_database() as queries:
            other_page = other_fan.get(url)

    assert posted.status_code == 302
    assert "Vinyl reissue" in fan_page.text
    assert "Vinyl reissue" not in other_page.text
    assert any("forum_posts" in query["sql"] for query in queries["replica"].captured_queries)
    standby.catch_up()
    assert "Vinyl reissue" in other_fan.get(url).text
