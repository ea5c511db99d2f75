"""The full OAuth round trip with Google's and Spotify's HTTP endpoints stubbed."""

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.urls import reverse

from accounts.models import User, UserPreferences
from accounts.tests.factories import UserFactory, UserPreferencesFactory, verified_user

pytestmark = pytest.mark.django_db

GOOGLE_CLIENT_ID = "1234567890-abc123def456.apps.googleusercontent.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_USERINFO_URL = "https://www.googleapis.com/oauth2/v2/userinfo"
SPOTIFY_TOKEN_URL = "https://accounts.spotify.com/api/token"
SPOTIFY_ME_URL = "https://api.spotify.com/v1/me"


@pytest.fixture(autouse=True)
def _providers_configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            "SCOPE": ["profile", "email"],
            "APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": "GOCSPX-test-secret"}],
        },
        "spotify": {
            "SCOPE": ["user-read-email", "user-top-read"],
            "APPS": [{"client_id": "5fe01282e44241328a84e7c5cc169165", "secret": "spotify-s"}],
        },
    }


def _start(client, provider: str, process: str = "login") -> str:
    """Begin the login as the browser would; returns the state sent to the provider."""
    response = client.post(reverse(f"{provider}_login"), {"process": process})
    assert response.status_code == 302
    return parse_qs(urlparse(response.url).query)["state"][0]


def _google_token_response(*, id_token_claims: dict | None = None) -> dict:
    body = {
        "access_token": "ya29.a0AfB_byC-test-access-token",
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/userinfo.email "
        "https://www.googleapis.com/auth/userinfo.profile openid",
        "token_type": "Bearer",
    }
    if id_token_claims is not None:
        # Received straight from Google over TLS, so allauth need not check the signature.
        body["id_token"] = jwt.encode(
            id_token_claims, "a-test-key-that-is-not-google-s-own-key", algorithm="HS256"
        )
    return body


def _google_userinfo(email: str, *, sub: str = "109876543210987654321") -> dict:
    return {
        "id": sub,
        "email": email,
        "verified_email": True,
        "name": "Grace Hopper",
        "given_name": "Grace",
        "family_name": "Hopper",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocK-test=s96-c",
    }


@responses.activate
def test_google_login_creates_a_verified_user_with_google_id(client):
    state = _start(client, "google")
    responses.post(GOOGLE_TOKEN_URL, json=_google_token_response())
    responses.get(
        GOOGLE_USERINFO_URL,
        json=_google_userinfo("grace@gmail.com"),
        match=[
            responses.matchers.header_matcher(
                {"Authorization": "Bearer ya29.a0AfB_byC-test-access-token"}
            )
        ],
    )

    response = client.get(
        reverse("google_callback"), {"state": state, "code": "4/0AeaYSHB-test-code"}
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:onboarding")
    user = User.objects.get(email="grace@gmail.com")
    assert user.full_name == "Grace Hopper"
    assert user.google_id == "109876543210987654321"
    assert user.is_verified
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)


@responses.activate
def test_google_login_with_an_id_token_creates_the_user_too(client):
    state = _start(client, "google")
    now = int(time.time())
    responses.post(
        GOOGLE_TOKEN_URL,
        json=_google_token_response(
            id_token_claims={
                "iss": "https://accounts.google.com",
                "azp": GOOGLE_CLIENT_ID,
                "aud": GOOGLE_CLIENT_ID,
                "sub": "118273645546372819201",
                "email": "katherine@gmail.com",
                "email_verified": True,
                "name": "Katherine Johnson",
                "picture": "https://lh3.googleusercontent.com/a/test=s96-c",
                "given_name": "Katherine",
                "family_name": "Johnson",
                "iat": now,
                "exp": now + 3600,
            }
        ),
    )

    client.get(reverse("google_callback"), {"state": state, "code": "4/0AeaYSHB-test-code"})

    user = User.objects.get(email="katherine@gmail.com")
    assert (user.google_id, user.full_name, user.is_verified) == (
        "118273645546372819201",
        "Katherine Johnson",
        True,
    )


@responses.activate
def test_google_login_links_an_existing_user_with_the_same_verified_email(client):
    user = verified_user(email="grace@example.com")
    UserPreferencesFactory(user=user)
    state = _start(client, "google")
    responses.post(GOOGLE_TOKEN_URL, json=_google_token_response())
    responses.get(GOOGLE_USERINFO_URL, json=_google_userinfo("grace@example.com"))

    response = client.get(
        reverse("google_callback"), {"state": state, "code": "4/0AeaYSHB-test-code"}
    )

    assert response.status_code == 302
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert user.google_id == "109876543210987654321"
    assert user.has_usable_password(), "a verified local address keeps its password"
    assert SocialAccount.objects.get(user=user).provider == "google"
    assert client.session["_auth_user_id"] == str(user.pk)


@responses.activate
def test_google_login_to_an_unverified_local_account_wipes_its_password(client):
    # Whoever registered grace@example.com never proved owning it; Google says she does.
    user = UserFactory(email="grace@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    state = _start(client, "google")
    responses.post(GOOGLE_TOKEN_URL, json=_google_token_response())
    responses.get(GOOGLE_USERINFO_URL, json=_google_userinfo("grace@example.com"))

    client.get(reverse("google_callback"), {"state": state, "code": "4/0AeaYSHB-test-code"})

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.google_id == "109876543210987654321"
    assert user.is_verified


@responses.activate
def test_a_state_mismatch_is_refused_and_creates_nothing(client):
    _start(client, "google")
    responses.post(GOOGLE_TOKEN_URL, json=_google_token_response())
    responses.get(GOOGLE_USERINFO_URL, json=_google_userinfo("mallory@gmail.com"))

    response = client.get(
        reverse("google_callback"), {"state": "forged-state", "code": "4/0AeaYSHB-test-code"}
    )

    assert response.status_code == 401
    assert b"We could not log you in" in response.content
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session
    assert len(responses.calls) == 0, "the code is never exchanged"


@responses.activate
def test_a_google_login_for_a_deleted_account_is_refused(client):
    user = verified_user(email="gone@example.com")
    SocialAccount.objects.create(user=user, provider="google", uid="109876543210987654321")
    from accounts import services

    services.user_deactivate(user=user)
    state = _start(client, "google")
    responses.post(GOOGLE_TOKEN_URL, json=_google_token_response())
    responses.get(GOOGLE_USERINFO_URL, json=_google_userinfo("gone@example.com"))

    response = client.get(reverse("google_callback"), {"state": state, "code": "4/0-code"})

    assert response.url == reverse("account_inactive")
    assert "_auth_user_id" not in client.session


def _spotify_me(email: str) -> dict:
    return {
        "country": "PT",
        "display_name": "Wizzler",
        "email": email,
        "explicit_content": {"filter_enabled": False, "filter_locked": False},
        "external_urls": {"spotify": "https://open.spotify.com/user/wizzler"},
        "followers": {"href": None, "total": 12},
        "href": "https://api.spotify.com/v1/users/wizzler",
        "id": "wizzler",
        "images": [],
        "product": "premium",
        "type": "user",
        "uri": "spotify:user:wizzler",
    }


@responses.activate
def test_linking_spotify_sets_spotify_linked_and_spotify_id_and_keeps_the_token(client):
    user = verified_user()
    UserPreferencesFactory(user=user)
    client.force_login(user)
    state = _start(client, "spotify", process="connect")
    responses.post(
        SPOTIFY_TOKEN_URL,
        json={
            "access_token": "BQD-spotify-access",
            "token_type": "Bearer",
            "scope": "user-read-email user-top-read",
            "expires_in": 3600,
            "refresh_token": "AQD-spotify-refresh",
        },
    )
    responses.get(SPOTIFY_ME_URL, json=_spotify_me("someone-else@example.com"))

    response = client.get(reverse("spotify_callback"), {"state": state, "code": "AQC-code"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.spotify_linked
    assert UserPreferences.objects.get(user=user).spotify_id == "wizzler"
    assert SocialToken.objects.get(account__user=user).token == "BQD-spotify-access"

    account = SocialAccount.objects.get(user=user, provider="spotify")
    client.post(reverse("socialaccount_connections"), {"account": account.pk})

    user.refresh_from_db()
    assert not user.spotify_linked
    assert UserPreferences.objects.get(user=user).spotify_id is None


@responses.activate
def test_spotify_cannot_create_an_account(client):
    state = _start(client, "spotify")
    responses.post(
        SPOTIFY_TOKEN_URL,
        json={"access_token": "BQD", "token_type": "Bearer", "expires_in": 3600},
    )
    responses.get(SPOTIFY_ME_URL, json=_spotify_me("new@example.com"))

    response = client.get(reverse("spotify_callback"), {"state": state, "code": "AQC-code"})

    assert b"Spotify can only be linked" in response.content
    assert not User.objects.exists()


def test_provider_buttons_show_only_when_configured(client, settings):
    page = client.get(reverse("account_login"))
    assert b"Continue with Google" in page.content
    assert b"Spotify" not in page.content, "Spotify links accounts; it does not log in"

    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": []},
        "spotify": {"APPS": []},
    }
    page = client.get(reverse("account_login"))
    assert b"Continue with Google" not in page.content

    client.force_login(UserFactory())
    page = client.get(reverse("socialaccount_connections"))
    assert b"No sign-in providers are configured" in page.content
