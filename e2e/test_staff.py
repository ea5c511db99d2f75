import re

from playwright.sync_api import expect

from accounts.models import User
from e2e.helpers import label


def test_staff_verify_an_artist_and_feature_a_product_in_the_admin(demo, new_page, outbox):
    visitor = new_page()
    visitor.goto("/artists/?q=lanterns")
    visitor.get_by_role("link", name="The Paper Lanterns", exact=True).click()
    artist_page = visitor.url
    expect(visitor.get_by_role("heading", name="The Paper Lanterns")).not_to_contain_text(
        "Verified"
    )
    visitor.goto("/explore/")
    featured = visitor.get_by_role("region", name="Featured in the shop")
    expect(featured.get_by_text("Studio Sessions cap")).to_have_count(0)

    staff = new_page(User.objects.get(username="demo_staff"))
    staff.goto("/admin/")
    staff.get_by_role("link", name="Artist verifications").click()
    staff.get_by_role("link", name="The Paper Lanterns", exact=True).click()
    staff.get_by_label(label("Decision")).select_option(label="Approve")
    staff.get_by_label(label("Admin notes")).fill("Label contract and press kit check out.")
    staff.get_by_role("button", name="Save", exact=True).click()
    expect(staff.get_by_text("was changed successfully")).to_be_visible()

    staff.goto("/admin/")
    staff.get_by_role("link", name="Products").click()
    staff.get_by_role("row", name="Studio Sessions cap").get_by_role("checkbox").check()
    # Django's admin wraps the select in its label: the name is "Action: <chosen option>".
    staff.get_by_label(re.compile(r"^Action")).select_option(
        label="Feature on the explore page for 14 days"
    )
    staff.get_by_role("button", name="Run").click()
    expect(staff.get_by_text("1 product(s) featured for 14 days")).to_be_visible()

    visitor.goto(artist_page)
    expect(visitor.get_by_role("heading", name="The Paper Lanterns")).to_contain_text("Verified")
    visitor.goto("/explore/")
    expect(featured.get_by_text("Studio Sessions cap")).to_be_visible()
    assert any(
        "paper.lanterns@example.com" in message.to and "verified" in message.subject.lower()
        for message in outbox
    ), [(message.to, message.subject) for message in outbox]
