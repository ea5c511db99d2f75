import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.tests.factories import UserFactory, verified_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("term", ["ada@example.org", "ada_l", "Lovelace"])
def test_users_are_searchable_by_email_username_and_name(staff_client, term):
    verified_user(username="ada_l", email="ada@example.org", full_name="Ada Lovelace")
    verified_user(username="someone", email="someone@example.org", full_name="Some One")

    response = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": term})

    assert b"ada_l" in response.content
    assert b"someone" not in response.content


def test_staff_can_deactivate_and_reactivate_users(staff_client):
    user = verified_user()
    url = reverse("admin:accounts_user_changelist")

    staff_client.post(url, {"action": "deactivate", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert not user.is_active

    staff_client.post(url, {"action": "reactivate", "_selected_action": [user.pk]})
    user.refresh_from_db()
    assert user.is_active


def test_the_change_page_shows_verification_and_linked_accounts(staff_client):
    user = verified_user(google_id="109876543210987654321")
    SocialAccount.objects.create(user=user, provider="google", uid="109876543210987654321")

    response = staff_client.get(reverse("admin:accounts_user_change", args=[user.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert f"{user.email} — verified, primary" in content
    assert "google: 109876543210987654321" in content


def test_the_list_shows_linked_accounts(staff_client):
    verified_user(username="linked", google_id="1", spotify_linked=True)

    response = staff_client.get(reverse("admin:accounts_user_changelist"))

    assert "Google, Spotify" in response.content.decode()
