"""The signed-in user comes from the cache after the first request, read in the session's
own Redis round trip, and every change to the user (a save, a deactivation, a new
password) takes effect on the next request."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import services
from accounts.middleware import USER_HINT_COOKIE, user_cache_key
from accounts.tests.factories import FACTORY_PASSWORD, UserFactory, verified_user

pytestmark = pytest.mark.django_db

PAGE = "/notifications/"


def users_queries(client) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    return response.status_code, [q["sql"] for q in queries if 'FROM "users"' in q["sql"]]


def test_the_next_request_reads_the_user_from_the_cache(client):
    client.force_login(UserFactory())
    assert users_queries(client)[1]  # the first visit reads it
    assert users_queries(client) == (200, [])


@contextmanager
def session_and_user_reads(client, user) -> Iterator[list[str]]:
    """The commands that read this client's session or the user's cached copy, as Redis
    itself received them meanwhile (MONITOR), in order."""
    redis = cache.client.get_client()
    keys = (
        cache.make_key(f"django.contrib.sessions.cached_db{client.session.session_key}"),
        cache.make_key(user_cache_key(user.pk)),
    )
    commands: list[str] = []
    with redis.monitor() as monitor:
        yield commands
        marker = f"end-of-request-{uuid.uuid4()}"
        redis.echo(marker)
        for event in monitor.listen():
            if marker in event["command"]:
                break
            if any(key in event["command"] for key in keys):
                commands.append(event["command"].split()[0])


def test_the_session_and_the_user_are_read_in_one_round_trip(client):
    user = UserFactory()
    client.force_login(user)
    first = client.get(PAGE)  # reads the user from PostgreSQL and caches it
    assert first.cookies[USER_HINT_COOKIE].value == str(user.pk)
    assert first.cookies[USER_HINT_COOKIE]["httponly"]

    with session_and_user_reads(client, user) as commands:
        assert client.get(PAGE).status_code == 200
    assert commands == ["MGET"]

    # A browser without the hint (as before it existed): two round trips, the second
    # waiting for the first, and the hint is set again.
    del client.cookies[USER_HINT_COOKIE]
    with session_and_user_reads(client, user) as commands:
        response = client.get(PAGE)
    assert commands == ["GET", "GET"]
    assert response.cookies[USER_HINT_COOKIE].value == str(user.pk)


def test_a_hint_naming_someone_else_signs_nobody_in_as_them(client):
    other = UserFactory()
    other_browser = Client()
    other_browser.force_login(other)
    other_browser.get(PAGE)  # the other user's copy is in the cache
    me = UserFactory()
    client.force_login(me)

    client.cookies[USER_HINT_COOKIE] = str(other.pk)
    response = client.get(PAGE)
    assert response.wsgi_request.user == me
    assert response.cookies[USER_HINT_COOKIE].value == str(me.pk)

    client.logout()
    client.cookies[USER_HINT_COOKIE] = str(other.pk)
    response = client.get(PAGE)
    assert response.status_code == 302  # to the login page
    assert response.cookies[USER_HINT_COOKIE].value == ""  # removed


def test_signing_in_sets_the_hint_and_signing_out_removes_it(client):
    user = verified_user()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": FACTORY_PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies[USER_HINT_COOKIE].value == str(user.pk)

    response = client.post(reverse("account_logout"))
    assert response.cookies[USER_HINT_COOKIE].value == ""
    assert response.cookies[USER_HINT_COOKIE]["max-age"] == 0
    assert client.get(PAGE).status_code == 302


def test_a_session_gone_from_redis_is_read_from_postgresql(client):
    user = UserFactory()
    client.force_login(user)
    client.get(PAGE)
    cache.delete(f"django.contrib.sessions.cached_db{client.session.session_key}")

    response = client.get(PAGE)
    assert response.status_code == 200
    assert response.wsgi_request.user == user
    assert cache.get(f"django.contrib.sessions.cached_db{client.session.session_key}")


def test_a_deactivated_user_is_signed_out_at_once(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    assert users_queries(client)[0] == 200
    assert USER_HINT_COOKIE in client.cookies  # the next request reads both in one MGET
    with django_capture_on_commit_callbacks(execute=True):
        services.user_deactivate(user=user)
    assert client.get(PAGE).status_code == 302  # to the login page
    with django_capture_on_commit_callbacks(execute=True):
        services.user_reactivate(user=user)
    assert client.get(PAGE).status_code == 200


def test_a_new_password_signs_other_sessions_out(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    assert users_queries(client)[0] == 200
    assert USER_HINT_COOKIE in client.cookies
    with django_capture_on_commit_callbacks(execute=True):
        user.set_password("a brand new password")
        user.save()
    assert client.get(PAGE).status_code == 302


def test_a_name_change_shows_on_the_next_page(client, django_capture_on_commit_callbacks):
    user = UserFactory(full_name="Old Name")
    client.force_login(user)
    client.get(PAGE)
    with django_capture_on_commit_callbacks(execute=True):
        user.full_name = "New Name"
        user.save()
    assert client.get(PAGE).wsgi_request.user.full_name == "New Name"
