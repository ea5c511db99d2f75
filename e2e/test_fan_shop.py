from pathlib import Path

from django.core.files.base import ContentFile
from playwright.sync_api import expect

from accounts.models import User
from e2e.helpers import SHIPPING, check_out
from shop.models import Product

ALBUM_BYTES = b"PK\x03\x04 Static Noise, ten tracks in FLAC"


def test_fan_buys_merchandise_and_a_download_and_downloads_the_file(demo, new_page, outbox):
    album = Product.objects.get(name="Static Noise (digital album)")
    album.digital_file.save("static-noise.zip", ContentFile(ALBUM_BYTES))
    page = new_page(User.objects.get(username="demo_fan"))

    page.goto("/shop/")
    page.get_by_role("link", name="Studio Sessions cap").first.click()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/shop/")
    page.get_by_role("link", name="Static Noise (digital album)").first.click()
    page.get_by_role("button", name="Add to cart").click()

    page.get_by_role("link", name="Cart").first.click()
    expect(page.get_by_text("$48.97")).to_be_visible()  # 2 x 19.99 + 8.99
    check_out(page, "56.97")  # and Kai Moreno's shipping to Portugal (rest of world), 8.00
    page.get_by_role("link", name="Your order").click()

    expect(page.get_by_role("heading", name="Order")).to_be_visible()
    expect(page.get_by_text("Paid", exact=True)).to_be_visible()
    expect(page.get_by_text(SHIPPING["Address"])).to_be_visible()
    assert any("fan@example.com" in m.to and "56.97" in m.body for m in outbox), [
        (m.to, m.subject) for m in outbox
    ]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.startswith("static-noise")
    assert Path(download.value.path()).read_bytes() == ALBUM_BYTES

    page.get_by_role("link", name="All my orders").click()
    expect(page.get_by_text("$56.97")).to_be_visible()
