"""Payout methods: encrypted at rest, shown masked, one default, only for their artist."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from artists import crypto, selectors, services
from artists.models import ArtistPayoutMethod
from artists.tests.factories import ArtistFactory, ArtistPayoutMethodFactory

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"
OLD_KEY = "3gS5cVvJ0iX9r1mY7C8yQ0b3dQ2aN6kZpTfWlEoHuRs="


def raw_details(method) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_details::text FROM artist_payout_methods WHERE payout_id = %s",
            [method.pk],
        )
        return cursor.fetchone()[0]


def payouts_url(artist) -> str:
    return reverse("artists:payouts", args=(artist.pk,))


def test_bank_details_are_stored_only_as_ciphertext(owner_client, artist):
    response = owner_client.post(
        payouts_url(artist),
        {
            "method_type": "bank_transfer",
            "account_holder": "Nova Lights",
            "iban": "de89 3704 0044 0532 0130 00",
        },
    )

    assert response.status_code == 302
    method = ArtistPayoutMethod.objects.get(artist=artist)
    raw = raw_details(method)
    assert IBAN not in raw
    assert "3704" not in raw
    assert "Nova Lights" not in raw
    assert set(method.account_details) == {"v", "ciphertext"}
    assert crypto.decrypt_details(method.account_details) == {
        "iban": IBAN,
        "account_holder": "Nova Lights",
    }


def test_the_list_shows_details_masked(owner_client, artist):
    owner_client.post(
        payouts_url(artist),
        {"method_type": "bank_transfer", "account_holder": "Nova Lights", "iban": IBAN},
    )
    owner_client.post(
        payouts_url(artist), {"method_type": "paypal", "paypal_email": "nova@example.com"}
    )

    page = owner_client.get(payouts_url(artist)).text

    assert IBAN not in page
    assert "DE•• •••• 3000" in page
    assert "n•••@example.com" in page
    assert "nova@example.com" not in page
    assert "Default" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"method_type": "bank_transfer", "account_holder": "N", "iban": "DE00 1234"},
            "iban",
            "valid IBAN",
        ),
        (
            {
                "method_type": "bank_transfer",
                "account_holder": "N",
                "iban": "DE88370400440532013000",
            },
            "iban",
            "check digits",
        ),
        (
            {"method_type": "bank_transfer", "account_holder": "", "iban": IBAN},
            "account_holder",
            "holder",
        ),
        ({"method_type": "paypal", "paypal_email": "not-an-email"}, "paypal_email", "valid email"),
        ({"method_type": "paypal", "paypal_email": ""}, "paypal_email", "PayPal account"),
        ({"method_type": "bitcoin"}, "method_type", "Select a valid choice"),
    ],
)
def test_malformed_details_are_refused_and_nothing_is_stored(
    owner_client, artist, data, field, message
):
    response = owner_client.post(payouts_url(artist), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ArtistPayoutMethod.objects.exists()


def test_the_first_method_is_the_default_and_the_default_can_move(artist):
    first = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "a@example.com"}
    )
    second = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "b@example.com"}
    )
    assert (first.is_default, second.is_default) == (True, False)

    services.payout_method_set_default(payout_method=second)

    assert set(ArtistPayoutMethod.objects.filter(is_default=True).values_list("pk", flat=True)) == {
        second.pk
    }


def test_the_database_refuses_a_second_default(artist):
    ArtistPayoutMethodFactory(artist=artist, is_default=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        ArtistPayoutMethodFactory(artist=artist, is_default=True)


def test_removing_the_default_hands_it_to_a_remaining_method(owner_client, artist):
    default = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "a@example.com"}
    )
    other = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "b@example.com"}
    )

    response = owner_client.post(reverse("artists:payout_delete", args=(artist.pk, default.pk)))

    assert response.status_code == 302
    assert list(ArtistPayoutMethod.objects.values_list("pk", "is_default")) == [(other.pk, True)]


def test_make_default_through_the_page(owner_client, artist):
    services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "a@example.com"}
    )
    other = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "b@example.com"}
    )

    owner_client.post(reverse("artists:payout_default", args=(artist.pk, other.pk)))

    other.refresh_from_db()
    assert other.is_default


def test_old_rows_stay_readable_after_a_key_rotation_and_can_be_re_encrypted(settings, artist):
    settings.PAYOUT_ENCRYPTION_KEY = OLD_KEY
    method = services.payout_method_add(
        artist=artist, method_type="paypal", details={"email": "a@example.com"}
    )
    new_key = Fernet.generate_key().decode()

    settings.PAYOUT_ENCRYPTION_KEY = f"{new_key}, {OLD_KEY}"
    assert selectors.payout_methods(artist=artist)[0]["masked"] == "a•••@example.com"
    assert services.payout_methods_rotate() == 1

    settings.PAYOUT_ENCRYPTION_KEY = new_key
    method.refresh_from_db()
    assert crypto.decrypt_details(method.account_details) == {"email": "a@example.com"}


def test_details_no_key_can_read_are_reported_not_crashed_on(settings, owner_client, artist):
    ArtistPayoutMethodFactory(artist=artist)
    settings.PAYOUT_ENCRYPTION_KEY = Fernet.generate_key().decode()

    page = owner_client.get(payouts_url(artist))

    assert page.status_code == 200
    assert "Details unreadable" in page.text


@pytest.mark.parametrize("view", ["payout_default", "payout_delete"])
def test_another_users_payout_methods_are_not_found(other_client, artist, view):
    method = ArtistPayoutMethodFactory(artist=artist)

    assert other_client.get(payouts_url(artist)).status_code == 404
    assert (
        other_client.post(reverse(f"artists:{view}", args=(artist.pk, method.pk))).status_code
        == 404
    )
    assert ArtistPayoutMethod.objects.filter(pk=method.pk, is_default=True).exists()


def test_an_artist_cannot_reach_a_method_of_another_artist_through_their_own_url(
    owner_client, artist
):
    foreign = ArtistPayoutMethodFactory(artist=ArtistFactory())

    response = owner_client.post(reverse("artists:payout_delete", args=(artist.pk, foreign.pk)))

    assert response.status_code == 404
    assert ArtistPayoutMethod.objects.filter(pk=foreign.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, artist):
    response = client.get(payouts_url(artist))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_staff_can_see_an_artists_payout_methods(staff_client, artist):
    ArtistPayoutMethodFactory(artist=artist)

    page = staff_client.get(payouts_url(artist))

    assert page.status_code == 200
    assert "DE•• •••• 3000" in page.text


def test_the_rotation_command_re_encrypts_with_the_newest_key(settings, artist):
    settings.PAYOUT_ENCRYPTION_KEY = OLD_KEY
    ArtistPayoutMethodFactory(artist=artist)
    new_key = Fernet.generate_key().decode()
    settings.PAYOUT_ENCRYPTION_KEY = f"{new_key},{OLD_KEY}"
    out = io.StringIO()

    call_command("rotate_payout_keys", stdout=out)

    settings.PAYOUT_ENCRYPTION_KEY = new_key
    assert "Re-encrypted 1 payout method(s)" in out.getvalue()
    assert selectors.payout_methods(artist=artist)[0]["masked"] == "IBAN DE•• •••• 3000"


def test_staff_cannot_change_where_an_artist_is_paid(staff_client, artist):
    method = ArtistPayoutMethodFactory(artist=artist)

    added = staff_client.post(
        payouts_url(artist), {"method_type": "paypal", "paypal_email": "staff@example.com"}
    )
    removed = staff_client.post(reverse("artists:payout_delete", args=(artist.pk, method.pk)))

    assert (added.status_code, removed.status_code) == (403, 403)
    assert list(ArtistPayoutMethod.objects.values_list("pk", flat=True)) == [method.pk]
    assert "Add a payout method" not in staff_client.get(payouts_url(artist)).text
