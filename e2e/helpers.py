"""What the browser journeys share besides fixtures: viewports, labels, email links,
paying."""

import re

from playwright.sync_api import Page, expect

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# The test gateway (the stand-in for Stripe's checkout) accepts this card.
TEST_CARD = "4242 4242 4242 4242"
# The checkout form's text fields, by label, and the country chosen from its list.
SHIPPING = {
    "Phone": "+351 912 345 678",
    "Full name": "Demo Fan",
    "Address": "Rua das Flores 12",
    "City": "Lisbon",
    "Postal code": "1200-195",
}
COUNTRY = "Portugal"


def link_in_email(outbox: list, to: str) -> str:
    """The first link of the latest email sent to `to`."""
    messages = [message for message in outbox if to in message.to]
    assert messages, f"no email to {to}; sent: {[m.subject for m in outbox]}"
    match = re.search(r"https?://\S+", messages[-1].body)
    assert match, messages[-1].body
    return match.group(0)


def label(text: str) -> re.Pattern:
    """A field's label exactly, with or without the colon Django's forms add."""
    return re.compile(rf"^\s*{re.escape(text)}:?\s*$")


def pay(page: Page, amount: str) -> None:
    """On the test gateway's checkout page: pays `amount` ("6.50") with the test card."""
    page.get_by_label(label("Card number")).fill(TEST_CARD)
    page.get_by_role("button", name=f"Pay {amount} USD").click()
    expect(page.get_by_text("your payment went through")).to_be_visible()


def check_out(page: Page, amount: str) -> None:
    """From the cart: checks out to the SHIPPING address in COUNTRY, sees the total with
    the artists' shipping to it, and pays `amount` (shipping included)."""
    page.get_by_role("link", name="Checkout").click()
    for field, value in SHIPPING.items():
        page.get_by_label(label(field)).fill(value)
    page.get_by_label(label("Country")).select_option(label=COUNTRY)
    page.get_by_role("button", name="Update regions and shipping for this country").click()
    expect(page.get_by_role("row", name=re.compile(r"^Total"))).to_contain_text(f"${amount}")
    page.get_by_role("button", name="Complete checkout and pay").click()
    pay(page, amount)
