import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from artists.tests.factories import ArtistFactory
from communities.tasks import member_counts_refresh
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content.tests.factories import PostFactory
from musicplatform import views
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

UNREACHABLE_PORT = 9  # discard: nothing listens there on these machines


def test_healthz_answers_200_when_database_and_redis_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok", "status": "ok"}


def test_healthz_answers_200_degraded_when_only_the_cache_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{UNREACHABLE_PORT}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "cache": "down",
        "broker": "ok",
        "status": "degraded",
    }


def test_healthz_answers_503_when_the_database_is_down():
    # A separate process whose DATABASE_URL points where no PostgreSQL listens.
    script = textwrap.dedent(
        """
        import django, json
        django.setup()
        from django.test import Client
        response = Client().get("/healthz", HTTP_HOST="localhost")
        print(json.dumps([response.status_code, response.json()]))
        """
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "musicplatform.settings.test",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{UNREACHABLE_PORT}/none",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"database": "down", "cache": "ok", "broker": "ok", "status": "down"}


def test_home_page_renders_with_the_layout(client):
    response = client.get("/")

    assert response.status_code == 200
    assert b"Log in" in response.content


def test_healthz_live_answers_without_touching_any_service(client, django_assert_num_queries):
    """The liveness probe: no query, no cache, no broker, even with the cache unreachable."""
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_healthz_ready_reuses_its_checks_for_a_moment(
    client, settings, monkeypatch, django_assert_num_queries
):
    """A flood of readiness probes costs one round of checks per process and interval;
    with the interval at 0 (the negative control) every probe checks again."""
    monkeypatch.setattr(views, "_last_states", None)  # forget earlier tests' answers
    settings.HEALTHZ_READY_CACHE_SECONDS = 60
    client.get("/healthz/ready")
    with django_assert_num_queries(0):
        for _ in range(5):
            assert client.get("/healthz/ready").json()["status"] == "ok"

    settings.HEALTHZ_READY_CACHE_SECONDS = 0
    with django_assert_num_queries(1):
        client.get("/healthz/ready")


@pytest.mark.parametrize("path", ["/", "/healthz", "/healthz/live", "/healthz/ready", "/explore/"])
def test_pages_answer_head_requests_like_get_without_a_body(client, path):
    """Uptime monitors and load balancers check pages with HEAD."""
    response = client.head(path)

    assert response.status_code == 200
    assert response.content == b""


def _home_with(size: int):
    for _ in range(size):
        artist = ArtistFactory(featured=True)
        PostFactory(artist=artist)
        CommunitySubscriptionFactory(community=CommunityFactory(artist=artist))
        ProductFactory(artist=artist)


def test_home_page_links_to_what_it_shows_in_a_constant_number_of_queries(
    client, django_assert_num_queries
):
    _home_with(1)
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    _home_with(8)
    cache.clear()  # compare two cold pages

    with django_assert_num_queries(len(few)):
        response = client.get("/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/")

    page = response.content.decode()
    home = response.context["home"]
    post = home.latest_posts[0]
    community = home.communities[0]
    assert f'href="{post.get_absolute_url()}"' in page
    assert f'href="{community.get_absolute_url()}"' in page
    assert f'href="{home.products[0].get_absolute_url()}"' in page
    assert len(warm) < len(few)  # the second visit is served from Redis


def test_home_page_counts_only_members_whose_access_has_not_ended(client):
    community = CommunityFactory(name="Night Owls")
    CommunitySubscriptionFactory(community=community)
    CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=5), grace_until=None
    )
    member_counts_refresh()

    response = client.get("/")

    shown = next(c for c in response.context["home"].communities if c.pk == community.pk)
    assert shown.member_count == 1
    assert "1 member" in response.content.decode()
