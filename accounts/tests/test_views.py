import json
import re
import socketserver
import threading
import uuid
from datetime import date, timedelta

import bcrypt
import pytest
from allauth.account.models import EmailAddress
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, UserPreferences, UserVerification, VerificationType
from accounts.tests import images
from accounts.tests.factories import (
    FACTORY_PASSWORD,
    GenreFactory,
    LanguageFactory,
    UserFactory,
    UserPreferencesFactory,
    sign_in_recently,
    verified_user,
)
from artists.tests.factories import ArtistFactory
from shop.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

PASSWORD = FACTORY_PASSWORD
STRONG = "violet-harbour-tango-91"
PRODUCTION_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def _signup(client, **overrides):
    data = {
        "full_name": "Ada Listener",
        "email": "ada@example.com",
        "username": "ada",
        "password1": STRONG,
        "password2": STRONG,
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def _link_in(mail) -> str:
    return re.search(r"https?://\S+", mail.body).group(0).replace("http://testserver", "")


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def _onboarded(user):
    UserPreferencesFactory(user=user)
    return user


# --- Sign-up and verification ---------------------------------------------------------------


def test_signup_stores_the_user_and_mails_a_single_use_verification_link(client, mailoutbox):
    response = _signup(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(username="ada")
    assert (user.email, user.full_name, user.is_verified) == (
        "ada@example.com",
        "Ada Listener",
        False,
    )
    token = UserVerification.objects.get(user=user, verification_type=VerificationType.EMAIL)
    link = _link_in(mailoutbox[0])
    assert token.verification_token not in link, "only the digest is stored"
    assert mailoutbox[0].to == ["ada@example.com"]

    page = client.get(link)
    assert page.status_code == 200
    assert b"Verify my email" in page.content
    assert not EmailAddress.objects.get(user=user).verified, "GET changes nothing"

    response = client.post(link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_verified
    assert EmailAddress.objects.get(user=user).verified

    again = client.post(link)
    assert again.status_code == 410
    assert b"already used" in again.content


def test_an_expired_verification_link_shows_a_clear_page_and_changes_nothing(client, mailoutbox):
    _signup(client)
    link = _link_in(mailoutbox[0])
    UserVerification.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(link)

    assert response.status_code == 410
    assert b"has expired" in response.content
    assert not User.objects.get(username="ada").is_verified
    assert not EmailAddress.objects.get(email="ada@example.com").verified


def test_a_tampered_verification_link_is_refused(client, mailoutbox):
    _signup(client)
    link = _link_in(mailoutbox[0])

    response = client.post(link[:-3] + "xyz/")

    assert response.status_code == 400
    assert b"not valid" in response.content


def test_signup_with_an_email_registered_in_another_case_stores_nothing_and_reveals_nothing(
    client, mailoutbox
):
    verified_user(username="existing", email="taken@example.com")

    response = _signup(client, email="Taken@Example.COM", username="newcomer")

    # Enumeration prevention: the same "check your email" page as a real sign-up, and the
    # owner of the address is told someone tried.
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not User.objects.filter(username="newcomer").exists()
    assert User.objects.count() == 1
    assert mailoutbox[0].to == ["taken@example.com"]
    assert "already" in mailoutbox[0].body.lower()


def test_an_added_address_is_verified_through_our_link(client, mailoutbox):
    user = _onboarded(verified_user())
    sign_in_recently(client, user)

    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.com"})
    link = _link_in(mailoutbox[-1])
    assert mailoutbox[-1].to == ["second@example.com"]
    response = client.post(link)

    assert response.url == reverse("account_email")
    assert EmailAddress.objects.get(email="second@example.com").verified
    user.refresh_from_db()
    assert user.is_verified
    assert user.email != "second@example.com", "the primary address stays"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": "ada@@example..com"}, "Enter a valid email address."),
        ({"password1": "password", "password2": "password"}, "This password is too common."),
        ({"password1": "x7", "password2": "x7"}, "This password is too short."),
        ({"password2": STRONG + "!"}, "You must type the same password each time."),
        ({"full_name": "   "}, "This field is required."),
        ({"username": "a b"}, "Usernames can only contain"),
        ({"username": "deleted-0123"}, "This username is not available."),
    ],
)
def test_bad_signups_get_a_clear_message_and_store_nothing(client, mailoutbox, overrides, message):
    response = _signup(client, **overrides)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not mailoutbox


# --- Login, logout, passwords -------------------------------------------------------------------


@pytest.mark.parametrize("login_field", ["email", "username"])
def test_login_by_email_or_username_records_last_login(client, login_field):
    user = _onboarded(verified_user())

    response = client.post(
        reverse("account_login"), {"login": getattr(user, login_field), "password": PASSWORD}
    )

    assert response.status_code == 302
    assert _logged_in(client)
    user.refresh_from_db()
    assert user.last_login is not None


def test_the_first_login_leads_to_onboarding(client):
    user = verified_user()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.url == reverse("accounts:onboarding")


def test_a_wrong_password_does_not_say_whether_the_account_exists(client):
    user = verified_user()

    wrong = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "nope"}
    )

    assert wrong.status_code == unknown.status_code == 200
    assert "not correct" in wrong.content.decode()
    assert "not correct" in unknown.content.decode()


def test_failed_logins_are_rate_limited(client):
    """From one address, failures past the free ones wait a growing delay, even with the
    right password (accounts/tests/test_login_throttle.py has the rest)."""
    user = verified_user()
    for _ in range(4):
        client.post(reverse("account_login"), {"login": user.email, "password": "nope"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not _logged_in(client)


def test_an_unverified_user_cannot_log_in_and_gets_a_new_link(client, mailoutbox):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})

    assert response.url == reverse("account_email_verification_sent")
    assert not _logged_in(client)
    assert len(mailoutbox) == 1
    assert UserVerification.objects.filter(user=user, is_used=False).count() == 1


def test_a_deactivated_user_cannot_log_in(client):
    user = _onboarded(verified_user(deleted_at=timezone.now()))

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True
    )

    # Only the right password reaches this page, so it reveals nothing to a guesser.
    assert response.redirect_chain[-1][0] == reverse("account_inactive")
    assert b"This account is inactive" in response.content
    assert not _logged_in(client)


def test_logout(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    assert client.get(reverse("account_logout")).status_code == 200
    client.post(reverse("account_logout"))

    assert not _logged_in(client)


def test_a_bcrypt_hash_is_accepted_and_upgraded_to_argon2id(client, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = _onboarded(verified_user())
    legacy = bcrypt.hashpw(b"legacy-secret-77", bcrypt.gensalt(rounds=4)).decode()
    User.objects.filter(pk=user.pk).update(password=f"bcrypt${legacy}")

    response = client.post(
        reverse("account_login"), {"login": user.username, "password": "legacy-secret-77"}
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("legacy-secret-77")


def test_new_passwords_are_hashed_with_argon2id(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    user = UserFactory()
    user.set_password(STRONG)
    assert user.password.startswith("argon2$argon2id$")


def test_password_change(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    bad = client.post(
        reverse("account_change_password"),
        {"oldpassword": "wrong", "password1": STRONG, "password2": STRONG},
    )
    assert "Please type your current password." in bad.content.decode()

    client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": STRONG, "password2": STRONG},
    )
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_password_reset_uses_a_single_use_token_from_user_verification(client, mailoutbox):
    user = verified_user()

    response = client.post(reverse("account_reset_password"), {"email": user.email.upper()})

    assert response.url == reverse("account_reset_password_done")
    token = UserVerification.objects.get(user=user, verification_type="password_reset")
    link = _link_in(mailoutbox[0])
    assert token.verification_token not in link
    form_page = client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    set_password_url = form_page.redirect_chain[-1][0]

    weak = client.post(set_password_url, {"password1": "123", "password2": "123"})
    assert "too short" in weak.content.decode()
    token.refresh_from_db()
    assert not token.is_used

    done = client.post(set_password_url, {"password1": STRONG, "password2": STRONG})
    assert done.url == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(STRONG)
    token.refresh_from_db()
    assert token.is_used

    reused = Client().get(link, follow=True)
    assert b"This link no longer works" in reused.content


def test_an_expired_password_reset_link_changes_nothing(client, mailoutbox):
    user = verified_user()
    client.post(reverse("account_reset_password"), {"email": user.email})
    UserVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(_link_in(mailoutbox[0]), follow=True)

    assert b"This link no longer works" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_looks_the_same_and_stores_nothing(client):
    response = client.post(reverse("account_reset_password"), {"email": "ghost@example.com"})

    assert response.url == reverse("account_reset_password_done")
    assert not UserVerification.objects.exists()


# --- Profile ----------------------------------------------------------------------------------


def _profile_data(**overrides):
    return {
        "full_name": "Ada Lovelace",
        "gender": "female",
        "date_of_birth": "1990-12-10",
        "city": "Lisbon",
        "country": "Portugal",
        "mobile_number": "912 345 678",
        "bio": "Synth-pop and fado.",
        **overrides,
    }


def test_profile_edit_saves_and_normalises_the_phone_to_e164(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    response = client.post(reverse("accounts:settings_profile"), _profile_data())

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.mobile_number == "+351912345678"
    assert (user.country, user.date_of_birth) == ("Portugal", date(1990, 12, 10))


def test_profile_picture_upload_stores_two_sizes(client, django_capture_on_commit_callbacks):
    user = _onboarded(verified_user())
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:settings_profile"),
            _profile_data(profile_picture=images.jpeg_upload(exif=True)),
        )

    user.refresh_from_db()
    assert user.profile_picture_url.endswith("-512.jpg")
    _dirs, files = default_storage.listdir(f"profile-pictures/{user.pk}")
    assert len(files) == 2


def test_a_picture_can_be_removed(client, django_capture_on_commit_callbacks):
    user = _onboarded(verified_user())
    client.force_login(user)
    url = reverse("accounts:settings_profile")
    assert b"Remove my current picture" not in client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _profile_data(profile_picture=images.png_upload()))
    assert b"Remove my current picture" in client.get(url).content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, _profile_data(remove_picture="on"))

    user.refresh_from_db()
    assert user.profile_picture_url is None
    _dirs, files = default_storage.listdir(f"profile-pictures/{user.pk}")
    assert files == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "cannot be in the future"),
        ({"date_of_birth": str(timezone.localdate() - timedelta(days=365 * 10))}, "at least 13"),
        ({"date_of_birth": "31/31/1990"}, "Enter a valid date."),
        ({"mobile_number": "+1 555 not a number"}, "Enter a valid mobile number"),
        ({"mobile_number": "12345"}, "Enter a valid mobile number"),
        ({"country": "Atlantis"}, "Select a valid choice."),
        ({"full_name": ""}, "This field is required."),
        ({"profile_picture": images.text_as_jpeg}, "is not a JPEG, PNG, GIF or WebP picture"),
        ({"profile_picture": images.six_megabyte_png}, "larger than 5 MB"),
        ({"profile_picture": images.huge_dimensions_png}, "too many pixels"),
    ],
)
def test_bad_profile_input_gets_a_message_and_stores_nothing(client, overrides, message):
    user = _onboarded(verified_user(city="Porto", mobile_number=None))
    client.force_login(user)
    before = User.objects.values().get(pk=user.pk)
    data = {k: v() if callable(v) else v for k, v in _profile_data(**overrides).items()}

    response = client.post(reverse("accounts:settings_profile"), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.values().get(pk=user.pk) == before
    with pytest.raises(FileNotFoundError):
        default_storage.listdir(f"profile-pictures/{user.pk}")


def test_profile_settings_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    user = _onboarded(verified_user())
    client.force_login(user)
    client.get(reverse("accounts:settings_profile"))

    # The user and the header's unread count come from the cache (accounts/middleware.py).
    with django_assert_num_queries(0):
        response = client.get(reverse("accounts:settings_profile"))
    assert response.status_code == 200


# --- Preferences and onboarding ----------------------------------------------------------------


def test_onboarding_saves_preferences_and_search_finds_artists(client):
    user = verified_user()
    client.force_login(user)
    genre, language = GenreFactory(), LanguageFactory()
    wanted = ArtistFactory(artist_name="Luna Veil")
    ArtistFactory(artist_name="Somebody Else")

    page = client.get(reverse("accounts:onboarding"), {"q": "luna"})
    assert b"Luna Veil" in page.content
    assert b"Somebody Else" not in page.content

    response = client.post(
        reverse("accounts:onboarding"),
        {
            "genres": [genre.pk],
            "languages": [language.pk],
            "favorite_artists": [wanted.pk],
            "q": "luna",
        },
    )

    assert response.url == reverse("accounts:onboarding_artists")
    preferences = UserPreferences.objects.get(user=user)
    assert preferences.favorite_artists == [wanted.pk]
    assert preferences.genres == [genre.pk]


def test_onboarding_can_be_skipped_and_is_not_shown_again(client):
    user = verified_user()
    client.force_login(user)

    client.post(reverse("accounts:onboarding"), {"skip": "1"})
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert UserPreferences.objects.filter(user=user).exists()
    assert response.url == reverse("home")


def test_preferences_refuse_an_unknown_artist(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    response = client.post(
        reverse("accounts:settings_preferences"),
        {"favorite_artists": [uuid.uuid4(), "not-an-id"]},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert UserPreferences.objects.get(user=user).favorite_artists == []


def test_a_second_artist_search_keeps_unsaved_ticks_and_saves_nothing(client):
    user = _onboarded(verified_user())
    client.force_login(user)
    genre = GenreFactory()
    picked = ArtistFactory(artist_name="Luna Veil")
    found = ArtistFactory(artist_name="Kai Marlow")

    response = client.post(
        reverse("accounts:settings_preferences"),
        {
            "search": "1",
            "q": "kai",
            "genres": [genre.pk, "not-a-genre"],
            "favorite_artists": [picked.pk, "not-an-id"],
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'value="{genre.pk}"[^>]*checked', html)
    assert re.search(rf'value="{picked.pk}"[^>]*checked', html)
    assert re.search(rf'value="{found.pk}"(?![^>]*checked)', html)
    assert UserPreferences.objects.get(user=user).genres == []

    client.post(
        reverse("accounts:settings_preferences"),
        {"q": "kai", "genres": [genre.pk], "favorite_artists": [picked.pk, found.pk]},
    )
    assert set(UserPreferences.objects.get(user=user).favorite_artists) == {picked.pk, found.pk}


def test_spotify_import_without_spotify_explains_what_to_do(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    response = client.post(reverse("accounts:spotify_import"), follow=True)

    assert "Link your Spotify account first." in response.content.decode()


@pytest.mark.parametrize("favourites", [1, 8])
def test_preferences_page_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, favourites
):
    user = verified_user()
    UserPreferencesFactory(
        user=user, favorite_artists=[a.pk for a in ArtistFactory.create_batch(favourites)]
    )
    GenreFactory.create_batch(favourites)
    client.force_login(user)

    # session, user, preferences, favourites, search, genres, languages
    with django_assert_num_queries(7):
        response = client.get(reverse("accounts:settings_preferences"), {"q": "Echoes"})
    assert response.status_code == 200


# --- Public profile --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 10])
def test_public_profile_runs_a_fixed_number_of_queries(client, django_assert_num_queries, size):
    user = verified_user(bio="Here for the bass.")
    UserPreferencesFactory(
        user=user,
        favorite_artists=[a.pk for a in ArtistFactory.create_batch(size)],
        genres=[g.pk for g in GenreFactory.create_batch(size)],
        languages=[lang.pk for lang in LanguageFactory.create_batch(size)],
    )

    with django_assert_num_queries(4):  # user with preferences, genres, languages, artists
        response = client.get(reverse("accounts:profile", args=[user.username]))
    with django_assert_num_queries(1):  # the rest comes from Redis
        client.get(reverse("accounts:profile", args=[user.username]))

    assert response.status_code == 200
    assert b"Here for the bass." in response.content


@pytest.mark.django_db(transaction=True)  # each write its own transaction, as in production
def test_a_public_profile_shows_a_change_at_once_despite_the_cache(client):
    user = verified_user(bio="Old bio.")
    UserPreferencesFactory(user=user, genres=[])
    client.get(reverse("accounts:profile", args=[user.username]))
    genre = GenreFactory(name="Shoegaze")

    # Any write moves updated_at (the database's trigger), and with it the cache key.
    UserPreferences.objects.filter(user=user).update(genres=[genre.pk])
    response = client.get(reverse("accounts:profile", args=[user.username]))

    assert b"Shoegaze" in response.content


def test_a_deleted_users_profile_is_gone(client):
    user = verified_user(deleted_at=timezone.now())

    assert client.get(reverse("accounts:profile", args=[user.username])).status_code == 404


# --- Export and deletion ------------------------------------------------------------------------


@pytest.mark.parametrize("orders", [1, 5])
def test_data_export_is_json_with_everything_but_secrets(client, django_assert_num_queries, orders):
    user = _onboarded(verified_user())
    OrderFactory.create_batch(orders, user=user)
    client.force_login(user)
    client.get(reverse("accounts:settings_export"))

    response = client.get(reverse("accounts:settings_export"), {"download": "1"})

    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == user.email
    assert "password" not in data["account"]
    assert len(data["related"]["orders.user_id"]) == orders
    assert data["related"]["account_emailaddress.user_id"][0]["email"] == user.email
    assert "user_preferences.user_id" in data["related"]


def test_data_export_query_count_does_not_grow_with_data(client, django_assert_max_num_queries):
    user = _onboarded(verified_user())
    client.force_login(user)
    with django_assert_max_num_queries(60) as small:
        client.get(reverse("accounts:settings_export"), {"download": "1"})
    OrderFactory.create_batch(6, user=user)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("accounts:settings_export"), {"download": "1"})


def test_delete_account_needs_the_password(client):
    user = _onboarded(verified_user())
    client.force_login(user)

    response = client.post(
        reverse("accounts:settings_delete"), {"password": "wrong", "confirm": "on"}
    )

    assert "not your current password" in response.content.decode()
    user.refresh_from_db()
    assert user.is_active


def test_delete_account_ends_every_session_refuses_login_and_keeps_orders(client):
    user = _onboarded(verified_user())
    order = OrderFactory(user=user)
    other_device = Client()
    other_device.force_login(user)
    client.force_login(user)

    response = client.post(
        reverse("accounts:settings_delete"), {"password": PASSWORD, "confirm": "on"}
    )

    assert response.url == reverse("home")
    assert not _logged_in(client)
    assert other_device.get(reverse("accounts:settings_profile")).status_code == 302
    order.refresh_from_db()
    assert order.user_id == user.pk
    user.refresh_from_db()
    assert user.deleted_at is not None
    login = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert not _logged_in(client)
    assert login.status_code == 200


def test_confirming_the_email_in_the_browser_that_signed_up_signs_the_new_user_in(
    client, mailoutbox
):
    _signup(client)
    assert not _logged_in(client)

    response = client.post(_link_in(mailoutbox[0]))

    assert _logged_in(client)
    assert response.url == reverse("accounts:onboarding")


def test_the_link_opened_in_another_browser_verifies_but_asks_to_log_in(client, mailoutbox):
    _signup(client)
    elsewhere = Client()

    response = elsewhere.post(_link_in(mailoutbox[0]))

    assert response.url == reverse("account_login")
    assert User.objects.get(username="ada").is_verified
    assert not _logged_in(elsewhere)


class _RefusingSMTPHandler(socketserver.StreamRequestHandler):
    """A mail server that greets and then refuses every recipient, as a real one does
    for an address it will not deliver to."""

    def handle(self) -> None:
        self.wfile.write(b"220 refusing.test ESMTP\r\n")
        for line in self.rfile:
            command = line[:4].upper()
            if command in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 refusing.test\r\n")
            elif command == b"MAIL":
                self.wfile.write(b"250 OK\r\n")
            elif command == b"RCPT":
                self.wfile.write(b"550 5.1.1 Recipient address rejected\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def refusing_smtp(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingSMTPHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.server_address[1], "use_tls": False},
        }
    }
    yield
    server.shutdown()
    server.server_close()


def test_signup_is_kept_and_explained_when_the_mail_server_refuses_the_email(client, refusing_smtp):
    response = _signup(client)

    assert response.status_code == 302
    assert User.objects.filter(username="ada").exists()
    page = client.get(response.url)
    assert "We could not send the email to ada@example.com just now" in page.content.decode()
