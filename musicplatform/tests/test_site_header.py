"""The site header, kept rendered per user (`{% site_header %}`, musicplatform/fragments.py):
each user sees their own, and whatever it shows that changes shows at once."""

import re

import pytest
from django.core.cache import cache
from django.middleware.csrf import _unmask_cipher_token, rotate_token
from django.test import RequestFactory
from django.urls import reverse

from accounts.middleware import USER_HINT_COOKIE
from accounts.tests.factories import UserFactory
from musicplatform.fragments import CSRF_PLACEHOLDER, response_csrf_token, user_header_key
from musicplatform.tests.test_fragments import browser
from notifications.models import NotificationType
from notifications.services import notifications_create
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def header(client, url: str | None = None) -> str:
    page = client.get(url or reverse("home")).text
    return re.search(r'<header class="site-header">.*?</header>', page, re.S).group()


def test_the_header_is_kept_after_the_first_page_and_then_served_as_kept():
    fan = UserFactory(username="kept_fan")
    client = browser(fan)
    first = header(client)

    assert cache.get(user_header_key(fan.pk)) is not None
    assert without_token(header(client)) == without_token(first)


def without_token(html: str) -> str:
    # Each response masks the CSRF token anew.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_each_user_sees_their_own_header_never_the_one_kept_for_another():
    alice, bob = UserFactory(username="alice_fan"), UserFactory(username="bob_fan")
    header(browser(alice))

    seen_by_bob = header(browser(bob))

    assert ">bob_fan</a>" in seen_by_bob
    assert "alice_fan" not in seen_by_bob


def test_a_new_username_shows_in_the_header_at_once():
    fan = UserFactory(username="old_name")
    client = browser(fan)
    assert ">old_name</a>" in header(client)

    fan.username = "new_name"
    fan.save()

    now = header(client)
    assert f'<a class="whoami" href="{reverse("accounts:profile", args=["new_name"])}">' in now
    assert "old_name" not in now


def test_becoming_an_artist_or_staff_shows_in_the_header_at_once():
    fan = UserFactory()
    client = browser(fan)
    assert "Become an artist" in header(client)
    assert ">Admin</a>" not in header(client)

    fan.is_artist = True
    fan.is_staff = True
    fan.save()

    now = header(client)
    assert "My artist page" in now
    assert "Become an artist" not in now
    assert ">Admin</a>" in now


# Committed for real: the unread count is forgotten once the notification commits.
@pytest.mark.django_db(transaction=True)
def test_a_new_notification_shows_in_the_header_badge_at_once():
    fan = UserFactory()
    client = browser(fan)
    assert "unread</span>" not in header(client)

    notifications_create(
        recipient_ids=[fan.pk],
        notification_type=NotificationType.POST,
        title="Welcome",
        message="Hello",
    )

    assert '<span class="count-badge">1<span class="visually-hidden"> unread' in header(client)


def test_an_item_put_in_the_cart_shows_in_the_header_at_once_signed_in_or_not():
    product = ProductFactory()
    for client in (browser(UserFactory()), browser()):
        assert 'id="cart-link">Cart</a>' in header(client)
        client.get(reverse("shop:list"))  # the CSRF cookie, as a visitor would have it
        add_to_cart_with_token(client, product, 2)

        assert '<span class="count-badge">2<span class="visually-hidden"> items' in header(client)


def add_to_cart_with_token(client, product, quantity):
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("shop:cart_add", args=[product.pk]),
        {"quantity": quantity},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code in (200, 302)


def test_signing_out_shows_the_signed_out_header_at_once():
    fan = UserFactory(username="leaving_fan")
    client = browser(fan)
    page = client.get(reverse("home")).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})

    now = header(client)
    assert "leaving_fan" not in now
    assert ">Log in</a>" in now and "Log out" not in now
    # Even with the hint of who the browser was signed in as left behind (or forged).
    client.cookies[USER_HINT_COOKIE] = str(fan.pk)
    assert "leaving_fan" not in header(client)


def test_the_kept_header_marks_the_section_of_each_page_and_nothing_else():
    client = browser(UserFactory())
    for name in ("content:feed", "communities:list", "shop:list", "shop:cart", "home"):
        url = reverse(name)
        current = re.findall(r'<a href="([^"]+)"[^>]* aria-current="page">', header(client, url))
        assert current == ([] if name == "home" else [url])


def test_the_log_out_form_of_a_kept_header_carries_this_browsers_csrf_token():
    fan = UserFactory()
    header(browser(fan))  # kept by another browser of the same user
    client = browser(fan)
    page = client.get(reverse("home")).text

    assert CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    assert client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert "Log out" not in header(client)


def test_a_page_carries_one_csrf_token_in_its_htmx_headers_and_forms_and_it_is_accepted():
    client = browser(UserFactory())
    page = client.get(reverse("home")).text

    in_headers = re.search(r'"X-CSRFToken": "([^"]+)"', page)[1]
    assert re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) == [in_headers]
    assert client.post(reverse("account_logout"), HTTP_X_CSRFTOKEN=in_headers).status_code == 302


def test_a_token_masked_before_the_secret_rotates_is_not_used_after():
    request = RequestFactory().get("/")
    before = response_csrf_token(request)
    assert response_csrf_token(request) == before

    rotate_token(request)  # as signing in does
    after = response_csrf_token(request)

    assert after != before
    assert _unmask_cipher_token(after) == request.META["CSRF_COOKIE"]


def test_a_page_refused_before_any_view_still_has_a_working_log_out_form():
    client = browser(UserFactory())
    header(client)  # kept

    page = client.get(reverse("home"), {"q": "nul\x00"})

    assert page.status_code == 400
    assert CSRF_PLACEHOLDER not in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    assert client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token}).status_code == 302
