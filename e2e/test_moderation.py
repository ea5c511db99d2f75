"""Issue 22's moderation journey: a member flags a chat message, the artist names a
moderator, the moderator mutes the message's author, who then cannot post."""

from playwright.sync_api import expect

from accounts.models import User


def test_a_flag_leads_to_a_moderator_muting_the_author_who_then_cannot_post(demo, new_page):
    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto("/communities/")
    fan.get_by_role("link", name="Luna's Inner Orbit").first.click()
    community_url = fan.url
    fan.get_by_role("link", name="All chat").click()
    chat_url = fan.url

    fan.get_by_role("link", name="Flag the message by nova_listener").first.click()
    fan.get_by_label("Spam").check()
    fan.get_by_label("Anything the moderators should know (optional)").fill("Off-site links")
    fan.get_by_role("button", name="Flag it").click()
    expect(fan.get_by_text("Thank you. The moderators will look at it.")).to_be_visible()

    # The artist sees the flag in the queue and names the fan moderator.
    artist = new_page(User.objects.get(username="demo_artist"))
    artist.goto(community_url)
    artist.get_by_role("link", name="Moderation").click()
    expect(artist.get_by_text("Spam (demo_fan")).to_be_visible()
    artist.get_by_label("Member's username").fill("demo_fan")
    artist.get_by_role("button", name="Name moderator").click()
    expect(artist.get_by_text("demo_fan is a moderator now.")).to_be_visible()

    # The new moderator mutes the author of the flagged message for a day.
    fan.goto(community_url)
    fan.get_by_role("link", name="Moderation").click()
    fan.get_by_role("link", name="nova_listener").first.click()
    fan.get_by_label("Mute for").select_option(label="1 day")
    fan.get_by_label("Why").first.fill("Spamming links in the chat")
    fan.get_by_role("button", name="Mute", exact=True).click()
    expect(fan.get_by_text("nova_listener is muted.")).to_be_visible()
    expect(fan.get_by_text("Muted nova_listener for 1 day")).to_be_visible()

    # The muted member still reads the chat, but what they send is refused, and said why.
    muted = new_page(User.objects.get(username="nova_listener"))
    muted.goto(chat_url)
    muted.get_by_label("Message").fill("Is anyone there?")
    muted.get_by_role("button", name="Send").click()
    expect(muted.get_by_text("You are muted in this community until")).to_be_visible()
    muted.reload()
    expect(muted.locator("#chat-log").get_by_text("Is anyone there?")).to_have_count(0)
