"""The tags of templates/base.html (musicplatform/templatetags/site.py)."""

import pytest
from django.test.utils import override_script_prefix

pytestmark = pytest.mark.django_db


def test_the_header_links_follow_the_prefix_the_site_is_mounted_under(client):
    # They are reversed once per process and prefix, not once per page.
    plain = client.get("/shop/").text
    with override_script_prefix("/music/"):
        mounted = client.get("/shop/").text
    plain_again = client.get("/shop/").text

    for page in (plain, plain_again):
        assert '<a href="/shop/cart/" id="cart-link">' in page
        assert '<a href="/accounts/login/">Log in</a>' in page
    assert '<a href="/music/shop/cart/" id="cart-link">' in mounted
    assert '<a href="/music/accounts/login/">Log in</a>' in mounted
