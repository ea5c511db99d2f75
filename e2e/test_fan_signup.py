from playwright.sync_api import expect

from e2e.helpers import label, link_in_email


def test_fan_signs_up_confirms_email_is_signed_in_picks_preferences_and_sees_them_in_the_feed(
    demo, new_page, outbox
):
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label(label("Full name")).fill("Rosa Almeida")
    page.get_by_label(label("Email")).fill("rosa@example.com")
    page.get_by_label(label("Username")).fill("rosa_listens")
    page.get_by_label(label("Password")).fill("a-long-walk-home-42")
    page.get_by_label(label("Password (again)")).fill("a-long-walk-home-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(link_in_email(outbox, "rosa@example.com"))
    page.get_by_role("button", name="Verify my email").click()
    expect(page.get_by_text("rosa@example.com is verified")).to_be_visible()
    # Signed in by confirming, in the browser that signed up: no second log-in.
    expect(page.get_by_role("heading", name="Welcome, Rosa!")).to_be_visible()

    page.get_by_label(label("Pop")).check()
    page.get_by_label(label("Latin")).check()
    page.get_by_label(label("Spanish")).check()
    page.get_by_label(label("Find favourite artists")).fill("kai")
    page.get_by_role("button", name="Search").click()
    # Ticks made before searching survive the search.
    expect(page.get_by_label(label("Latin"))).to_be_checked()
    page.get_by_label(label("Kai Moreno")).check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your music preferences are saved.")).to_be_visible()

    page.get_by_role("link", name="Feed").click()
    expect(page.get_by_text("Live set from last night's show is up")).to_be_visible()
    expect(page.get_by_text("Back in the studio")).to_have_count(0)

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Music preferences").click()
    for choice in ("Pop", "Latin", "Spanish", "Kai Moreno"):
        expect(page.get_by_label(choice, exact=True)).to_be_checked()
    expect(page.get_by_label(label("Rock"))).not_to_be_checked()
