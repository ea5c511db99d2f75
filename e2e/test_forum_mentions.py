"""A member @mentions another in a forum reply; the other finds it in their notifications."""

from playwright.sync_api import expect

from accounts.models import User


def test_a_member_mentions_another_who_is_notified(demo, new_page):
    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto("/communities/mine/")
    fan.get_by_role("link", name="Luna's Inner Orbit").first.click()
    fan.get_by_role("link", name="Artist forum").click()
    fan.get_by_role("link", name="Welcome to Luna's Inner Orbit").click()

    # Typing @nov suggests the community's members; a click completes the name.
    reply = fan.get_by_label("Your reply")
    reply.press_sequentially("See you at the show @nov", delay=20)
    fan.get_by_role("button", name="@nova_listener").click()
    expect(reply).to_have_value("See you at the show @nova_listener ")
    reply.press_sequentially("— front row, **promise**!")
    fan.get_by_role("button", name="Reply", exact=True).click()
    posted = fan.get_by_role("article").filter(has_text="See you at the show")
    expect(posted.locator("strong", has_text="promise")).to_be_visible()

    nova = new_page(User.objects.get(username="nova_listener"))
    nova.goto("/")
    nova.get_by_role("link", name="Notifications").click()
    mention = nova.get_by_role("link", name="demo_fan mentioned you in Luna's Inner Orbit")
    expect(mention).to_be_visible()
    mention.click()
    expect(nova.get_by_role("heading", name="Welcome to Luna's Inner Orbit")).to_be_visible()
    expect(nova.get_by_text("See you at the show @nova_listener")).to_be_visible()
