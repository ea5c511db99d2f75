"""Checkout for a real buyer: countries by name, regions where the country has them,
saved addresses, the artists' shipping rates added to what is paid, and a cart that says
when a quantity is above stock (issue 17, item 11a)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from payments.models import Payment
from shop.models import Order, SavedAddress, ShippingRate
from shop.services.cart import CART_SESSION_KEY
from shop.tests.factories import ProductFactory, ShippingRateFactory
from shop.tests.helpers import ADDRESS, add_to_cart, checkout, checkout_form, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]

US_ADDRESS = {
    "name": "Grace Hopper",
    "line1": "1 Navy Yard",
    "city": "Arlington",
    "postal_code": "22202",
    "country": "US",
    "region": "Virginia",
}


@pytest.fixture
def buyer(client):
    user = UserFactory()
    client.force_login(user)
    return user


def shirt(**rates):
    """A T-shirt (20.00) whose artist ships at `rates` (country → amount, None for the
    rest of the world)."""
    artist = ArtistFactory()
    for country, amount in rates.items():
        ShippingRateFactory(
            artist=artist, country=None if country == "world" else country, amount=Decimal(amount)
        )
    return ProductFactory(
        artist=artist, price=Decimal("20.00"), stock_quantity=5, ships_everywhere=False
    )


# --- Country and region ---------------------------------------------------------------


def test_the_country_is_chosen_by_name_from_a_list(client, buyer):
    add_to_cart(client, shirt(world="5.00"))

    page = client.get(reverse("shop:checkout")).text

    assert '<option value="GB">United Kingdom</option>' in page
    assert '<option value="DE">Germany</option>' in page
    assert "two-letter" not in page.lower()
    response = checkout(client, address={**ADDRESS, "country": "XX"})
    assert response.status_code == 400 and "Select a valid choice" in response.text
    assert not Order.objects.exists()


def test_a_us_state_is_chosen_from_a_list_and_stored_by_its_code(client, buyer):
    add_to_cart(client, shirt(world="5.00"))

    # Typed before the list was shown (no JavaScript), a state's name is understood.
    response = checkout(client, address=US_ADDRESS)
    assert response.status_code == 400  # first, the shipping to the US is shown
    assert "The new total is 25.00" in response.text
    assert '<option value="VA" selected>Virginia</option>' in response.text
    response = checkout(client, address={**US_ADDRESS, "region": "VA"}, expected_total="25.00")

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.shipping_address["region"] == "VA"
    client.get(response.url)
    page = client.get(reverse("shop:order", args=[order.pk])).text
    assert "Arlington, Virginia" in page and "United States" in page


def test_a_region_that_is_not_the_countrys_is_refused_with_the_list(client, buyer):
    add_to_cart(client, shirt(world="0.00"))

    response = checkout(client, address={**US_ADDRESS, "region": "Narnia"})

    assert response.status_code == 400
    assert "Choose a state from the list for United States of America" in response.text
    assert '<option value="CA">California</option>' in response.text
    assert not Order.objects.exists()


def test_update_shows_the_regions_and_shipping_of_the_chosen_country_and_places_nothing(
    client, buyer
):
    add_to_cart(client, shirt(CA="7.00", world="9.00"))

    response = checkout(client, address={"country": "CA"}, refresh="1")

    assert response.status_code == 200
    assert '<option value="ON">Ontario</option>' in response.text
    assert "Province or territory" in response.text
    assert 'id="checkout-shipping">$7.00' in response.text
    assert 'id="checkout-total">$27.00' in response.text
    assert "This field is required" not in response.text
    assert not Order.objects.exists()


def test_after_update_the_shown_total_is_the_one_confirmed(client, buyer):
    add_to_cart(client, shirt(world="5.00"))

    response = checkout(client, address=US_ADDRESS, refresh="1")  # "Virginia", typed
    assert response.context["form"]["expected_total"].value() == "25.00"
    assert '<option value="VA" selected>Virginia</option>' in response.text
    response = checkout(client, address={**US_ADDRESS, "region": "VA"}, expected_total="25.00")

    assert response.status_code == 302
    assert Order.objects.get().total_amount == Decimal("25.00")


def test_a_country_without_a_list_takes_a_free_text_region(client, buyer):
    add_to_cart(client, shirt(world="0.00"))

    response = checkout(client, address={**ADDRESS, "region": "Greater London"})

    assert response.status_code == 302
    assert Order.objects.get().shipping_address["region"] == "Greater London"


# --- Saved addresses ---------------------------------------------------------------


def test_the_address_is_remembered_and_offered_at_the_next_checkout(client, buyer):
    product = shirt(world="0.00")
    add_to_cart(client, product)
    pay(client, checkout(client, address={**ADDRESS, "remember": "on"}))
    saved = SavedAddress.objects.get(user=buyer)
    assert (saved.name, saved.country) == ("Ada Lovelace", "GB")

    add_to_cart(client, product)
    page = client.get(reverse("shop:checkout")).text
    assert "Ada Lovelace, 12 St James&#x27;s Square, London, United Kingdom" in page
    response = checkout(client, saved_address=str(saved.pk))

    assert response.status_code == 302
    second = Order.objects.order_by("-created_at").first()
    assert second.shipping_address["line1"] == "12 St James's Square"
    assert SavedAddress.objects.filter(user=buyer).count() == 1
    assert SavedAddress.objects.get().last_used_at > saved.last_used_at


def test_an_address_is_not_kept_when_the_buyer_says_no(client, buyer):
    add_to_cart(client, shirt(world="0.00"))
    assert checkout(client, address=ADDRESS).status_code == 302  # "remember" unticked
    assert not SavedAddress.objects.exists()


def test_someone_elses_saved_address_cannot_be_used(client, buyer):
    other = SavedAddress.objects.create(
        user=UserFactory(),
        name="Someone Else",
        line1="2 Elsewhere",
        city="Paris",
        postal_code="75001",
        country="FR",
    )
    add_to_cart(client, shirt(world="0.00"))

    response = checkout(client, saved_address=str(other.pk))

    assert response.status_code == 400
    assert "Someone Else" not in response.text
    assert not Order.objects.exists()


# --- Shipping rates --------------------------------------------------------------


def test_each_artists_rate_for_the_country_is_added_once_to_the_total_and_paid(client, buyer):
    """A's rate for GB (4.50) beats A's rest of the world; B has only a rest-of-world
    rate (3.00); two of A's items still pay A's rate once."""
    a_shirt = shirt(GB="4.50", world="12.00")
    a_poster = ProductFactory(artist=a_shirt.artist, price=Decimal("10.00"), stock_quantity=5)
    b_shirt = shirt(world="3.00")
    song = ProductFactory(download=True, price=Decimal("1.00"))
    for product in (a_shirt, a_poster, b_shirt, song):
        add_to_cart(client, product)

    page = client.get(reverse("shop:checkout")).text
    assert "from your country" in page  # no country chosen yet
    response = checkout(client, address=ADDRESS)
    assert "The new total is 58.50" in response.text  # 51.00 + 4.50 + 3.00
    response = checkout(client, address=ADDRESS, expected_total="58.50")
    assert response.status_code == 302

    order = Order.objects.get()
    assert (order.shipping_amount, order.total_amount) == (Decimal("7.50"), Decimal("58.50"))
    pay(client, response)
    assert Payment.objects.get(order=order).amount == Decimal("58.50")
    page = client.get(reverse("shop:order", args=[order.pk])).text
    assert "$7.50" in page


def test_an_artist_who_does_not_ship_to_the_country_is_named(client, buyer):
    product = shirt(GB="4.00")
    add_to_cart(client, product)

    response = checkout(client, address={**US_ADDRESS, "region": "VA"})

    assert response.status_code == 400
    assert f"{product.artist.artist_name} cannot ship to United States" in response.text
    assert not Order.objects.exists()


def test_an_artist_manages_their_shipping_rates(client):
    artist = ArtistFactory()
    client.force_login(artist.user)
    url = reverse("shop:shipping_rates")

    client.post(url, {"country": "GB", "amount": "4.50"})
    client.post(url, {"country": "", "amount": "12.00"})
    client.post(url, {"country": "GB", "amount": "5.00"})  # replaces the GB rate
    page = client.get(url).text

    rates = dict(ShippingRate.objects.filter(artist=artist).values_list("country", "amount"))
    assert rates == {"GB": Decimal("5.00"), None: Decimal("12.00")}
    assert "United Kingdom" in page and "Rest of the world" in page
    bad = client.post(url, {"country": "GB", "amount": "-1"})
    assert bad.status_code == 400 and "greater than or equal to 0" in bad.text
    assert ShippingRate.objects.get(artist=artist, country="GB").amount == Decimal("5.00")

    rate = ShippingRate.objects.get(artist=artist, country="GB")
    client.post(reverse("shop:shipping_rate_delete", args=[rate.pk]))
    assert not ShippingRate.objects.filter(pk=rate.pk).exists()


def test_an_artist_cannot_remove_another_artists_rate(client):
    rate = ShippingRateFactory(artist=ArtistFactory(), country="GB", amount=Decimal("4.00"))
    client.force_login(ArtistFactory().user)

    response = client.post(reverse("shop:shipping_rate_delete", args=[rate.pk]))

    assert response.status_code == 404
    assert ShippingRate.objects.filter(pk=rate.pk).exists()


# --- The cart says when a quantity is above stock ----------------------------------------


def test_a_quantity_above_stock_says_so_on_the_page_with_htmx(client):
    """htmx swaps no 4xx answer into the page: the refusal is answered 200 so that its
    message shows (with 400 the message was rendered, discarded, and lost)."""
    product = ProductFactory(name="Tour tee", stock_quantity=2)
    add_to_cart(client, product, 1)

    response = client.post(
        reverse("shop:cart_update", args=[product.pk]),
        {"quantity": 5},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "Only 2 of “Tour tee” left." in response.text
    assert client.session[CART_SESSION_KEY] == {str(product.pk): 1}


def test_a_quantity_above_stock_says_so_on_the_page_without_javascript(client):
    product = ProductFactory(name="Tour tee", stock_quantity=2)
    add_to_cart(client, product, 1)

    response = client.post(
        reverse("shop:cart_update", args=[product.pk]), {"quantity": 5}, follow=True
    )

    assert "Only 2 of “Tour tee” left." in response.text
    assert client.session[CART_SESSION_KEY] == {str(product.pk): 1}


def test_the_checkout_form_gives_the_total_with_shipping_to_the_saved_address(client, buyer):
    SavedAddress.objects.create(
        user=buyer, name="Ada", line1="1 Road", city="London", postal_code="N1", country="GB"
    )
    add_to_cart(client, shirt(GB="4.00"))

    assert checkout_form(client)["expected_total"] == "24.00"


def test_the_artist_page_links_to_its_shipping_rates(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    page = client.get(artist.get_absolute_url()).text

    assert f"{reverse('shop:shipping_rates')}?artist={artist.pk}" in page


def test_deleting_the_account_forgets_its_saved_addresses_but_not_its_orders(client, buyer):
    from accounts.services import user_delete_account

    add_to_cart(client, shirt(world="0.00"))
    checkout(client, address={**ADDRESS, "remember": "on"})

    user_delete_account(user=buyer)

    assert not SavedAddress.objects.exists()
    assert Order.objects.get().shipping_address["line1"] == "12 St James's Square"
