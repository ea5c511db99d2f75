"""The signed-in user comes from the cache after the first request, and every change to
the user (a save, a deactivation, a new password) takes effect on the next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.tests.factories import UserFactory

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


def test_a_deactivated_user_is_signed_out_at_once(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    client.force_login(user)
    assert users_queries(client)[0] == 200
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
