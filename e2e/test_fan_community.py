from playwright.sync_api import expect

from accounts.models import User
from e2e.helpers import label, pay

KAI_POST = "Live set from last night's show is up"


def test_fan_subscribes_chats_live_likes_comments_and_shares_a_post(demo, new_page):
    fan = User.objects.get(username="demo_fan")
    page = new_page(fan)
    page.goto("/communities/")
    page.get_by_role("link", name="Kai's Studio Sessions").first.click()
    page.get_by_role("button", name="Subscribe").click()

    expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
    pay(page, "5.99")
    page.get_by_role("link", name="Go to the community").click()
    expect(page.get_by_text("You are a member.")).to_be_visible()

    page.get_by_role("link", name="All chat").click()
    page.get_by_label("Message").fill("Hello from Lisbon, first time here!")
    page.get_by_role("button", name="Send").click()
    chat = page.locator("#chat-log")
    expect(chat.get_by_text("Hello from Lisbon, first time here!")).to_be_visible()

    # Another member writes from their own browser; the fan's page shows it by polling.
    page.evaluate("window.notReloaded = true")
    other = new_page(User.objects.get(username="nova_listener"))
    other.goto(page.url)
    other.get_by_label("Message").fill("Welcome! The Friday sets are the best.")
    other.get_by_role("button", name="Send").click()
    expect(chat.get_by_text("Welcome! The Friday sets are the best.")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    expect(other.locator("#chat-log").get_by_text("Hello from Lisbon")).to_be_visible()

    # Membership brings Kai's posts into the feed.
    page.get_by_role("link", name="Feed").click()
    post = page.get_by_role("article").filter(has_text=KAI_POST)
    post.get_by_role("link", name="0 comments").click()
    post.get_by_role("button", name="1 like", pressed=False).click()
    expect(post.get_by_role("button", name="2 likes", pressed=True)).to_be_visible()
    page.get_by_label(label("Comment")).fill("That encore was unreal.")
    page.get_by_role("button", name="Comment").click()
    expect(page.locator("#comments").get_by_text("That encore was unreal.")).to_be_visible()
    page.reload()
    expect(post.get_by_role("button", name="2 likes", pressed=True)).to_be_visible()
    expect(page.locator("#comments").get_by_text("That encore was unreal.")).to_be_visible()

    page.get_by_text("Share", exact=True).click()
    page.get_by_role("button", name="Create a share link").click()
    share_url = page.get_by_label("Anyone with this link can see the post").input_value()

    stranger = new_page()
    stranger.goto(share_url)
    expect(stranger.get_by_text(KAI_POST)).to_be_visible()
    expect(stranger.get_by_role("link", name="Join to follow Kai Moreno")).to_be_visible()
