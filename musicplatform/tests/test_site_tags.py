"""The tags of templates/base.html (musicplatform/templatetags/site.py)."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test.utils import override_script_prefix
from django.utils import translation

from accounts.tests.factories import UserFactory
from musicplatform.templatetags.site import breadcrumbs, money, when

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


def test_every_script_of_the_page_carries_this_responses_nonce(client):
    for prefix in ("/", "/music/"):
        with override_script_prefix(prefix):
            response = client.get("/shop/")
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
        scripts = re.findall(
            r'<script src="([^"]+)" defer nonce="([^"]+)"></script>', response.text
        )

        assert [src.partition("static/")[2].split(".")[0] for src, _ in scripts] == [
            "vendor/htmx/htmx",
            "js/site",
            "js/player",
        ]
        assert {given for _, given in scripts} == {nonce}
        assert '<link rel="stylesheet" href="/static/css/site.' in response.text
    assert client.get("/shop/").text.count(nonce) == 0  # a nonce per response


def test_the_body_gives_the_signed_in_users_time_zone_or_where_to_send_the_browsers(client):
    body = re.compile(r"<body[^>]*>")
    assert "time-zone" not in body.search(client.get("/shop/").text)[0]

    client.force_login(UserFactory(time_zone="Asia/Tokyo"))
    assert ' data-time-zone="Asia/Tokyo"' in body.search(client.get("/shop/").text)[0]

    client.force_login(UserFactory(time_zone=""))
    tag = body.search(client.get("/shop/").text)[0]
    assert ' data-time-zone-guess="/time-zone/"' in tag
    assert "data-time-zone=" not in tag


@pytest.mark.parametrize(
    ("currency", "language", "shown"),
    [("USD", "en-us", "$12.50"), ("EUR", "de", "12,50\xa0€"), ("GBP", "en-gb", "£1,200.00")],
)
def test_money_is_written_in_the_readers_locale_in_the_platform_currency(
    settings, currency, language, shown
):
    settings.PAYMENTS_CURRENCY = currency
    amount = Decimal("1200.00") if currency == "GBP" else Decimal("12.50")

    with translation.override(language):
        assert money(amount) == shown


def test_a_time_has_a_valid_datetime_in_milliseconds_and_names_its_zone():
    moment = datetime.datetime(2026, 3, 2, 18, 30, 5, 123456, tzinfo=datetime.UTC)

    html = when({}, moment, "datetime")

    assert 'datetime="2026-03-02T18:30:05.123Z"' in html
    assert 'title="March 2, 2026, 6:30 p.m. (UTC)"' in html
    assert 'data-style="datetime"' in html
    assert when({}, datetime.date(2026, 3, 2)) == (
        '<time datetime="2026-03-02">March 2, 2026</time>'
    )


def test_a_time_is_written_in_the_viewers_own_time_zone():
    moment = datetime.datetime(2026, 3, 2, 18, 30, tzinfo=datetime.UTC)
    viewer = SimpleNamespace(is_authenticated=True, time_zone="Asia/Tokyo")
    unset = SimpleNamespace(is_authenticated=True, time_zone="")

    html = when({"request": SimpleNamespace(user=viewer)}, moment, "datetime")
    utc = when({"request": SimpleNamespace(user=unset)}, moment, "datetime")

    assert ">March 3, 2026, 3:30 a.m.</time>" in html
    assert "(JST)" in html
    assert ">March 2, 2026, 6:30 p.m.</time>" in utc


def test_breadcrumbs_link_each_step_and_mark_the_page_itself():
    html = breadcrumbs("Shop", "/shop/", "<Luna>", "/luna/", "Vinyl")

    assert html == (
        '<nav class="breadcrumbs" aria-label="Breadcrumb"><ol>'
        '<li><a href="/shop/">Shop</a></li><li><a href="/luna/">&lt;Luna&gt;</a></li>'
        '<li aria-current="page">Vinyl</li></ol></nav>'
    )
