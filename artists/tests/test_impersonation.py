"""Impersonation (docs/security.md, section 9): artist names that look like a verified
artist's are flagged for staff, and the verified badge shows wherever the name appears."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from artists.models import VerificationStatus
from artists.selectors import impersonation_suspects
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunityFactory
from content.tests.factories import PostFactory
from musicplatform.validators import name_skeleton
from shop.models import OrderStatus
from shop.tests.factories import OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

LOOKALIKES = [
    "taylor  swift",
    "TAYLOR-SWIFT",
    "Tay1or Swift",
    "Tayl0r $wift",
    "\u0422aylor Swift",  # a Cyrillic T
    "Taylor Swíft",
    "Ｔａｙｌｏｒ Ｓｗｉｆｔ",  # full-width
    "Taylor Swiift",
    "Taylor Swit",
    "Tay\u200blor Swift",  # a zero-width space
]
DIFFERENT = ["Taylor Made", "Swift Taylor", "Tailor Shift", "Nova"]


def verified(name: str):
    return ArtistFactory(artist_name=name, verification_status=VerificationStatus.VERIFIED)


def test_names_that_look_like_a_verified_artists_are_suspects():
    real = verified("Taylor Swift")
    lookalikes = [ArtistFactory(artist_name=name) for name in LOOKALIKES]
    others = [ArtistFactory(artist_name=name) for name in DIFFERENT]

    suspects = impersonation_suspects()

    assert {artist.pk for artist in lookalikes} <= set(suspects)
    assert all(suspects[artist.pk] == "Taylor Swift" for artist in lookalikes)
    assert not {artist.pk for artist in others} & set(suspects)
    assert real.pk not in suspects


def test_without_a_verified_artist_nobody_is_a_suspect():
    """Negative control: the same names are fine while no artist of that name is verified."""
    ArtistFactory(artist_name="Taylor Swift")
    for name in LOOKALIKES:
        ArtistFactory(artist_name=name)

    assert impersonation_suspects() == {}


def test_a_lookalike_already_removed_is_no_longer_a_suspect():
    verified("Taylor Swift")
    removed = ArtistFactory(artist_name="Tay1or Swift", removed_at=timezone.now())
    listed = ArtistFactory(artist_name="Taylor Swiift")

    assert impersonation_suspects() == {listed.pk: "Taylor Swift"}
    assert removed.pk not in impersonation_suspects()


def test_short_names_must_match_exactly():
    verified("Nova")
    ArtistFactory(artist_name="Nora")
    n0va = ArtistFactory(artist_name="N0VA")

    assert set(impersonation_suspects()) == {n0va.pk}
    assert name_skeleton("Nora") != name_skeleton("Nova")


def test_staff_find_the_suspects_with_the_admin_filter(client):
    verified("Taylor Swift")
    suspect = ArtistFactory(artist_name="Tay1or Swift")
    ArtistFactory(artist_name="Taylor Made")
    client.force_login(
        User.objects.create_superuser(
            username="staff", email="staff@example.com", full_name="Staff", password="pw"
        )
    )

    page = client.get(reverse("admin:artists_artist_changelist"), {"impersonation": "suspects"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [suspect]
    assert "looks like a verified artist" in page.content.decode()


@pytest.mark.parametrize(
    "page",
    ["artist", "post", "product", "community", "search", "purchases"],
)
def test_the_verified_badge_shows_where_the_name_appears(client, page):
    real = verified("Taylor Swift")
    impostor = ArtistFactory(artist_name="Tay1or Swift")
    fan = User.objects.create_user(username="fan9", email="f9@example.com", password="pw")
    client.force_login(fan)

    def bought_from(artist) -> str:
        order = OrderFactory(user=fan, status=OrderStatus.PAID)
        OrderItemFactory(order=order, product=ProductFactory(artist=artist, download=True))
        return reverse("purchases")

    urls = {
        "artist": lambda a: a.get_absolute_url(),
        "post": lambda a: PostFactory(artist=a).get_absolute_url(),
        "product": lambda a: reverse("shop:product", args=[ProductFactory(artist=a).pk]),
        "community": lambda a: CommunityFactory(artist=a).get_absolute_url(),
        "search": lambda a: reverse("artists:search") + "?q=" + a.artist_name,
        "purchases": bought_from,
    }

    assert "✓ Verified" in client.get(urls[page](real)).content.decode()
    # Negative control: the lookalike's pages carry no badge (a search for its name finds
    # the real artist too, so there only the lookalike's own card is looked at).
    answer = client.get(urls[page](impostor)).content.decode()
    if page == "search":
        answer = answer[answer.index(impostor.get_absolute_url()) :].split("</h3>")[0]
    if page == "purchases":  # the real artist's purchase is listed too: the impostor's row
        answer = answer[answer.index(impostor.artist_name) :].split("</td>")[0]
    assert "✓ Verified" not in answer
