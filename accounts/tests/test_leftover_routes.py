"""Third-party routes the platform does not use are not reachable (accounts/leftover_urls.py)."""

import pytest
from django.urls import resolve

pytestmark = pytest.mark.django_db

UNUSED = [
    # Email confirmation by allauth's signed key: we confirm with our own tokens.
    "/accounts/confirm-email/MTI:1vQx7s:a1b2c3d4e5/",
    # Sign-in by an emailed code, and Google's one-tap token: not offered.
    "/accounts/login/code/confirm/",
    "/accounts/google/login/token/",
    # allauth's old prefix for third-party accounts.
    "/accounts/social/connections/",
    "/accounts/social/login/error/",
    "/accounts/social/signup/",
]
USED = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("path", UNUSED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unused_third_party_route_is_not_found(client, path, method):
    assert getattr(client, method)(path).status_code == 404


@pytest.mark.parametrize("path", UNUSED)
def test_allauth_would_answer_them_without_the_override(path):
    """Negative control: each one is a live route of allauth's, shadowed by the override."""
    assert resolve(path.removeprefix("/accounts"), urlconf="allauth.urls")
    assert resolve(path).namespace == "leftover"


@pytest.mark.parametrize("path", USED)
def test_the_routes_we_use_still_answer(client, path):
    assert client.get(path).status_code == 200
