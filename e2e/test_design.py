"""What a new visitor sees first (issue 25): pictures on the main pages, links that lead
somewhere, a header that fits a phone, pages that fit a 375 px screen, times in the
reader's own zone, and no serious accessibility problem that axe-core can find."""

import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.models import User
from artists.models import Artist
from communities.models import Community, LiveEvent
from content.models import Post
from e2e.helpers import PHONE
from shop.models import Product

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# The phone header, closed: one row of brand and menu button.
PHONE_HEADER_MAX_PX = 64


def fan() -> User:
    return User.objects.get(username="demo_fan")


def main_pages() -> dict[str, str]:
    luna = Artist.objects.get(artist_name="Luna Vega")
    post = Post.objects.filter(artist=luna, comments__isnull=False).distinct().get()
    return {
        "home": reverse("home"),
        "explore": reverse("content:explore"),
        "artist": luna.get_absolute_url(),
        "post": reverse("content:post_detail", args=[post.pk]),
        "community": Community.objects.get(name="Luna's Inner Orbit").get_absolute_url(),
        "shop": reverse("shop:list"),
        "product": Product.objects.get(name__endswith="signed vinyl").get_absolute_url(),
        "cart": reverse("shop:cart"),
    }


def shown_pictures(page: Page) -> int:
    """Pictures in the page's main part that the browser loaded and drew."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main img')]
            .filter(img => img.complete && img.naturalWidth > 0).length"""
    )


@pytest.mark.parametrize("name", ["home", "explore", "artist"])
def test_the_main_pages_show_pictures(demo, new_page, name):
    page = new_page(fan())
    page.goto(main_pages()[name])
    page.wait_for_load_state("load")
    for image in page.locator("main img").all():
        image.scroll_into_view_if_needed()

    assert shown_pictures(page) >= 2


def test_every_artist_product_and_post_on_explore_links_to_its_page(demo, new_page):
    page = new_page(fan())
    page.goto(reverse("content:explore"))
    main = page.get_by_role("main")

    expect(main.get_by_role("link", name="Luna Vega").first).to_be_visible()
    product = Product.objects.get(name__endswith="signed vinyl")
    expect(main.get_by_role("link", name=product.name)).to_have_attribute(
        "href", product.get_absolute_url()
    )
    addresses = {link.get_attribute("href") for link in main.get_by_role("link").all()} - {None}
    broken = [
        address
        for address in sorted(addresses)
        if not (response := page.request.get(address)).ok
        and response.status != 405  # a form's address, answered to POST
    ]
    assert len(addresses) > 5
    assert broken == []


def test_the_phone_header_is_one_row_and_its_menu_opens_without_script(demo, new_page):
    page = new_page(fan(), viewport=PHONE, java_script_enabled=False)
    page.goto(reverse("content:explore"))
    header = page.get_by_role("banner")

    assert header.bounding_box()["height"] <= PHONE_HEADER_MAX_PX
    expect(header.get_by_role("link", name="Communities")).to_be_hidden()
    header.get_by_text("Menu").click()
    expect(header.get_by_role("link", name="Communities")).to_be_visible()
    menu_link = header.get_by_role("link", name="Communities").bounding_box()
    assert menu_link["height"] >= 44


def test_the_main_pages_fit_a_phone_without_sideways_scrolling(demo, new_page):
    page = new_page(fan(), viewport=PHONE)
    page.goto(Product.objects.get(name__endswith="signed vinyl").get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    too_wide = {}
    for name, address in main_pages().items():
        page.goto(address)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[name] = width

    assert too_wide == {}


def test_times_are_shown_in_the_readers_zone_which_is_named_on_hover(demo, new_page):
    event = LiveEvent.objects.get(community__name="Luna's Inner Orbit")
    page = new_page(fan(), timezone_id="Asia/Tokyo")
    page.goto(event.community.get_absolute_url())
    start = page.locator(f'time[datetime^="{event.start_time:%Y-%m-%dT}"]').first

    expect(start).to_have_attribute("title", re.compile(r"\(Asia/Tokyo\)$"))
    tokyo = event.start_time.astimezone(ZoneInfo("Asia/Tokyo"))
    expect(start).to_contain_text(f"{tokyo:%-I}:{tokyo:%M}")


@pytest.mark.parametrize(
    ("viewer", "scheme"),
    [
        (None, "light"),
        ("demo_fan", "light"),
        ("demo_fan", "dark"),
        ("demo_artist", "light"),
        ("demo_staff", "light"),
    ],
)
def test_axe_finds_no_serious_or_critical_problem_on_the_main_pages(demo, new_page, viewer, scheme):
    page = new_page(User.objects.get(username=viewer) if viewer else None, color_scheme=scheme)
    axe = AXE.read_text()
    problems = []
    for name, address in main_pages().items():
        page.goto(address)
        page.evaluate(axe)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        problems += [
            f"{name}: {violation['id']} ({violation['impact']}): {violation['nodes'][0]['target']}"
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")
        ]

    assert problems == []


def test_a_share_link_has_a_copy_button_that_copies_it(demo, new_page):
    page = new_page(fan(), permissions=["clipboard-read", "clipboard-write"])
    page.goto(main_pages()["post"])
    page.get_by_text("Share", exact=True).click()
    page.get_by_role("button", name="Create a share link").click()
    address = page.get_by_label("Anyone with this link can see the post:").input_value()

    page.get_by_role("button", name="Copy link").click()

    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address


def test_a_like_updates_its_count_in_place(demo, new_page):
    page = new_page(fan())
    page.goto(main_pages()["explore"])
    like = page.get_by_role("button", name=re.compile(r"1 like$")).first
    address = page.url

    like.click()

    expect(page.get_by_role("button", name=re.compile(r"2 likes$")).first).to_be_visible()
    assert page.url == address
