import hashlib
import io
from datetime import timedelta

import pytest
import responses
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from accounts import services
from accounts.models import UserPreferences, UserVerification, VerificationType
from accounts.tests import images
from accounts.tests.factories import (
    EmailAddressFactory,
    GenreFactory,
    LanguageFactory,
    UserFactory,
    UserPreferencesFactory,
    verified_user,
)
from artists.tests.factories import ArtistFactory

pytestmark = pytest.mark.django_db


# --- Tokens -------------------------------------------------------------------------------


def test_an_issued_token_is_stored_only_as_a_digest_with_an_expiry():
    user = UserFactory()

    raw = services.password_reset_token_issue(user=user)

    token = UserVerification.objects.get(user=user)
    assert token.verification_token != raw
    assert token.verification_token == hashlib.sha256(f"\n{raw}".encode()).hexdigest()
    assert token.verification_type == VerificationType.PASSWORD_RESET
    assert timedelta(minutes=59) < token.expires_at - timezone.now() <= timedelta(hours=1)
    assert not token.is_used


def test_a_new_token_retires_the_unused_one_so_only_one_stays_unused():
    user = UserFactory()
    first = services.password_reset_token_issue(user=user)

    second = services.password_reset_token_issue(user=user)

    assert user.verifications.filter(is_used=False).count() == 1
    assert not services.password_reset_token_valid(user=user, raw_token=first)
    assert services.password_reset_token_valid(user=user, raw_token=second)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: None, "invalid"),
        (lambda t: UserVerification.objects.filter(pk=t.pk).update(is_used=True), "used"),
        (
            lambda t: UserVerification.objects.filter(pk=t.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            ),
            "expired",
        ),
    ],
)
def test_a_token_check_names_why_it_fails(mutate, reason):
    user = UserFactory()
    raw = services.password_reset_token_issue(user=user)
    token = UserVerification.objects.get(user=user)
    mutate(token)

    with pytest.raises(services.VerificationTokenError) as error:
        services.verification_token_check(
            user=user,
            verification_type=VerificationType.PASSWORD_RESET,
            raw_token=raw if reason != "invalid" else raw + "x",
        )

    assert error.value.reason == reason


def test_password_reset_sets_the_password_and_consumes_the_token_once():
    user = UserFactory()
    raw = services.password_reset_token_issue(user=user)

    services.password_reset(user=user, raw_token=raw, password="a-fresh-passphrase-42")

    user.refresh_from_db()
    assert user.check_password("a-fresh-passphrase-42")
    assert UserVerification.objects.get(user=user).is_used
    with pytest.raises(services.VerificationTokenError, match="used"):
        services.password_reset(user=user, raw_token=raw, password="another-passphrase-43")
    user.refresh_from_db()
    assert user.check_password("a-fresh-passphrase-42")


def test_email_verify_marks_the_address_verified_and_the_user_verified():
    user = UserFactory(is_verified=False)
    address = EmailAddressFactory(user=user, verified=False)
    raw = services.email_verification_send(email_address=address)

    services.email_verify(email_address_id=address.pk, raw_token=raw)

    address.refresh_from_db()
    user.refresh_from_db()
    assert address.verified
    assert user.is_verified
    assert UserVerification.objects.get(user=user).is_used


def test_an_email_token_does_not_verify_another_address_of_the_user():
    user = UserFactory()
    EmailAddressFactory(user=user, verified=False)
    other = EmailAddressFactory(
        user=user, email="second@example.com", verified=False, primary=False
    )
    raw = services.email_verification_send(email_address=user.emailaddress_set.get(primary=True))

    with pytest.raises(services.VerificationTokenError, match="invalid"):
        services.email_verify(email_address_id=other.pk, raw_token=raw)

    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


# --- Flags in step with allauth -------------------------------------------------------------


def test_sync_flags_copies_linked_accounts_and_verified_email():
    user = UserFactory(is_verified=False)
    EmailAddressFactory(user=user, verified=True)
    SocialAccount.objects.create(user=user, provider="google", uid="1093847561")
    SocialAccount.objects.create(user=user, provider="spotify", uid="wizzler")

    services.user_sync_flags(user=user)

    user.refresh_from_db()
    assert (user.is_verified, user.google_id, user.spotify_linked) == (True, "1093847561", True)
    assert UserPreferences.objects.get(user=user).spotify_id == "wizzler"

    SocialAccount.objects.filter(user=user).delete()
    services.user_sync_flags(user=user)

    user.refresh_from_db()
    assert (user.google_id, user.spotify_linked) == (None, False)
    assert UserPreferences.objects.get(user=user).spotify_id is None


# --- Pictures --------------------------------------------------------------------------------


def test_a_picture_is_re_encoded_square_at_512_and_128_pixels_without_exif():
    result = services.profile_picture_process(upload=images.jpeg_upload(size=(900, 600), exif=True))

    for key, side in (("512", 512), ("128", 128)):
        with Image.open(io.BytesIO(result[key])) as image:
            assert image.format == "JPEG"
            assert image.size == (side, side)
            assert not image.getexif()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (images.text_as_jpeg, "is not a JPEG, PNG, GIF or WebP picture"),
        (images.six_megabyte_png, "larger than 5 MB"),
        (images.huge_dimensions_png, "too many pixels"),
    ],
)
def test_bad_pictures_are_refused_with_a_message(upload, message):
    with pytest.raises(ValidationError, match=message):
        services.profile_picture_process(upload=upload())


def test_update_profile_stores_both_sizes_and_keeps_the_512_url(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    pictures = services.profile_picture_process(upload=images.png_upload())

    with django_capture_on_commit_callbacks(execute=True):
        services.user_update_profile(user=user, data={"city": "Porto"}, pictures=pictures)

    user.refresh_from_db()
    assert user.city == "Porto"
    assert user.profile_picture_url.endswith("-512.jpg")
    _dirs, files = default_storage.listdir(f"profile-pictures/{user.pk}")
    assert sorted(f[-8:] for f in files) == ["-128.jpg", "-512.jpg"]

    with django_capture_on_commit_callbacks(execute=True):
        services.user_update_profile(user=user, data={}, pictures=pictures)

    _dirs, files = default_storage.listdir(f"profile-pictures/{user.pk}")
    assert len(files) == 2, "the previous picture's files are removed"


# --- Preferences ------------------------------------------------------------------------------


def test_preferences_set_refuses_unknown_ids_and_stores_nothing():
    user = UserFactory()
    genre = GenreFactory()

    with pytest.raises(ValueError, match="Unknown artist"):
        services.preferences_set(
            user=user,
            genre_ids=[genre.pk],
            language_ids=[],
            artist_ids=[genre.pk],  # not an artist id
        )

    assert not UserPreferences.objects.filter(user=user).exists()


def test_preferences_set_replaces_the_arrays():
    user = UserFactory()
    genre, language, artist = GenreFactory(), LanguageFactory(), ArtistFactory()

    services.preferences_set(
        user=user, genre_ids=[genre.pk], language_ids=[language.pk], artist_ids=[artist.pk]
    )

    preferences = UserPreferences.objects.get(user=user)
    assert (preferences.genres, preferences.languages, preferences.favorite_artists) == (
        [genre.pk],
        [language.pk],
        [artist.pk],
    )


SPOTIFY_ACCESS_TOKEN = "BQD-access-token"


def _link_spotify(user):
    app = SocialApp.objects.create(provider="spotify", name="Spotify", client_id="id", secret="s")
    account = SocialAccount.objects.create(user=user, provider="spotify", uid="wizzler")
    SocialToken.objects.create(app=app, account=account, token=SPOTIFY_ACCESS_TOKEN)


@responses.activate
def test_spotify_import_matches_by_spotify_id_or_name_and_keeps_existing_favourites():
    user = verified_user()
    kept = ArtistFactory(artist_name="Old Favourite")
    by_id = ArtistFactory(artist_name="Renamed Here", third_party_id="0OdUWJ0sBjDrqHygGUXeCF")
    by_name = ArtistFactory(artist_name="Daft Punk")
    UserPreferencesFactory(user=user, favorite_artists=[kept.pk])
    _link_spotify(user)
    responses.get(
        "https://api.spotify.com/v1/me/top/artists",
        match=[responses.matchers.header_matcher({"Authorization": "Bearer BQD-access-token"})],
        json={
            "href": "https://api.spotify.com/v1/me/top/artists?limit=50&offset=0",
            "limit": 50,
            "offset": 0,
            "total": 3,
            "next": None,
            "previous": None,
            "items": [
                {
                    "id": "0OdUWJ0sBjDrqHygGUXeCF",
                    "name": "Band of Horses",
                    "type": "artist",
                    "uri": "spotify:artist:0OdUWJ0sBjDrqHygGUXeCF",
                    "genres": ["indie folk"],
                    "popularity": 59,
                    "followers": {"href": None, "total": 1030523},
                    "images": [],
                    "external_urls": {
                        "spotify": "https://open.spotify.com/artist/0OdUWJ0sBjDrqHygGUXeCF"
                    },
                },
                {"id": "4tZwfgrHOc3mvqYlEYSvVi", "name": "daft punk", "type": "artist"},
                {"id": "7dGJo4pcD2V6oG8kP0tJRR", "name": "Eminem", "type": "artist"},
            ],
        },
    )

    result = services.spotify_import_top_artists(user=user)

    assert result.matched == ["Renamed Here", "Daft Punk"]
    assert result.unmatched == ["Eminem"]
    assert UserPreferences.objects.get(user=user).favorite_artists == [
        kept.pk,
        by_id.pk,
        by_name.pk,
    ]


@responses.activate
def test_spotify_import_with_an_expired_token_asks_to_reconnect_and_changes_nothing():
    user = verified_user()
    _link_spotify(user)
    responses.get(
        "https://api.spotify.com/v1/me/top/artists",
        status=401,
        json={"error": {"status": 401, "message": "The access token expired"}},
    )

    with pytest.raises(services.SpotifyUnavailable, match="reconnect"):
        services.spotify_import_top_artists(user=user)

    assert not UserPreferences.objects.filter(user=user).exists()


def test_spotify_import_without_spotify_is_refused():
    with pytest.raises(services.SpotifyNotLinked):
        services.spotify_import_top_artists(user=verified_user())


# --- Deletion ---------------------------------------------------------------------------------


def test_delete_account_anonymises_and_keeps_the_row():
    user = verified_user(mobile_number="+351912345678", city="Lisbon")
    SocialAccount.objects.create(user=user, provider="google", uid="1093847561")
    UserPreferencesFactory(user=user)
    services.password_reset_token_issue(user=user)

    services.user_delete_account(user=user)

    user.refresh_from_db()
    assert not user.is_active
    assert user.full_name == "Deleted user"
    assert user.email.endswith("@deleted.invalid")
    assert user.username.startswith("deleted-")
    assert (user.mobile_number, user.city, user.date_of_birth, user.bio) == (None, None, None, None)
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not UserVerification.objects.filter(user=user).exists()
    assert not UserPreferences.objects.filter(user=user).exists()


def test_deactivate_and_reactivate():
    user = verified_user()

    services.user_deactivate(user=user)
    user.refresh_from_db()
    assert not user.is_active

    services.user_reactivate(user=user)
    user.refresh_from_db()
    assert user.is_active
