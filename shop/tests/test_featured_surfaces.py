"""Featured things show on every surface that shows featured things (home and explore read
one selector), the moment they are paid for or staff feature them."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from shop.tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]

SURFACES = {
    # page → the id of the heading whose section lists featured artists / products
    "home": ("featured-heading", "featured-products"),
    "content:explore": ("featured-artists", "featured-products"),
}


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'id="{heading_id}".*?</section>', html, re.DOTALL)
    return match.group(0) if match else ""


def featured_on(visitor: Client, page: str, kind: int) -> str:
    return section(visitor.get(reverse(page)).text, SURFACES[page][kind])


def prime(visitor: Client) -> None:
    """Every surface is rendered (and cached) before the change."""
    for page in SURFACES:
        assert visitor.get(reverse(page)).status_code == 200


@pytest.fixture
def staff_client():
    staff = Client()
    staff.force_login(UserFactory(staff=True, is_superuser=True))
    return staff


def test_a_paid_placement_shows_on_home_and_explore_the_moment_it_is_paid(
    client, django_capture_on_commit_callbacks
):
    artist = ArtistFactory(artist_name="Placement Paid Just Now")
    visitor = Client()
    prime(visitor)
    client.force_login(artist.user)
    today = timezone.localdate().isoformat()
    response = client.post(
        reverse("shop:featured_new"),
        {"target": f"artist:{artist.pk}", "start_date": today, "end_date": today},
    )
    for page in SURFACES:
        assert artist.artist_name not in featured_on(visitor, page, 0)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"card_number": "4242 4242 4242 4242"})

    for page in SURFACES:
        assert artist.artist_name in featured_on(visitor, page, 0), page


def test_staff_featuring_an_artist_in_the_admin_shows_on_home_and_explore(
    staff_client, django_capture_on_commit_callbacks
):
    artist = ArtistFactory(artist_name="Staff Pick Of The Week")
    visitor = Client()
    prime(visitor)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:artists_artist_changelist"),
            {"action": "feature", "_selected_action": [str(artist.pk)]},
        )

    for page in SURFACES:
        assert artist.artist_name in featured_on(visitor, page, 0), page

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:artists_artist_changelist"),
            {"action": "unfeature", "_selected_action": [str(artist.pk)]},
        )

    for page in SURFACES:
        assert artist.artist_name not in featured_on(visitor, page, 0), page


def test_staff_featuring_a_product_in_the_admin_shows_on_home_and_explore(
    staff_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(name="Limited Vinyl Staff Pick")
    visitor = Client()
    prime(visitor)

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:shop_product_changelist"),
            {"action": "feature", "_selected_action": [str(product.pk)]},
        )

    for page in SURFACES:
        assert product.name in featured_on(visitor, page, 1), page
