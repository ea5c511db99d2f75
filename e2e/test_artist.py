from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from e2e.helpers import label


def test_artist_runs_a_community_live_qa_and_fulfils_an_order(demo, new_page):
    artist = new_page(User.objects.get(username="demo_artist"))
    artist.goto("/communities/")
    artist.get_by_role("link", name="My communities").click()
    artist.get_by_role("link", name="New community").click()
    artist.get_by_label(label("Name")).fill("Night Drive Listening Club")
    artist.get_by_label(label("Description")).fill("Early demos and a monthly listening party.")
    artist.get_by_label(label("Fee (USD)")).fill("6.50")
    artist.get_by_label(label("Interval")).select_option(label="Monthly")
    artist.get_by_role("button", name="Save").click()
    expect(artist.get_by_role("heading", name="Night Drive Listening Club")).to_be_visible()
    community_url = artist.url

    for name, kind in (("Announcements", "Artist forum"), ("Hangout", "All chat")):
        artist.get_by_role("link", name="New forum").click()
        artist.get_by_label(label("Name")).fill(name)
        artist.get_by_label(label("Type")).select_option(label=kind)
        artist.get_by_role("button", name="Create forum").click()
        expect(artist.get_by_text(f"Forum “{name}” created.")).to_be_visible()
        artist.goto(community_url)
        expect(artist.get_by_role("link", name=name)).to_be_visible()

    artist.get_by_role("link", name="Dashboard").click()
    expect(artist.get_by_text("Active subscribers")).to_be_visible()
    figures = artist.get_by_role("definition")
    expect(figures.first).to_have_text("0")
    expect(artist.get_by_text("$0")).to_be_visible()

    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto(community_url)
    fan.get_by_role("button", name="Subscribe").click()
    fan.get_by_label(label("Card number")).fill("4242 4242 4242 4242")
    fan.get_by_role("button", name="Pay 6.50 USD").click()
    expect(fan.get_by_text("your payment went through")).to_be_visible()

    artist.reload()
    expect(figures.first).to_have_text("1")
    expect(artist.get_by_text("$6.50")).to_be_visible()
    expect(artist.get_by_role("cell", name="demo_fan")).to_be_visible()

    starts = timezone.now() + timedelta(days=2)
    artist.get_by_role("link", name="Schedule a live event").first.click()
    artist.get_by_label(label("Title")).fill("Night Drive Q&A")
    artist.get_by_label(label("Type")).select_option(label="Q&A")
    artist.get_by_label(label("Starts (UTC)")).fill(starts.strftime("%Y-%m-%dT%H:%M"))
    artist.get_by_role("button", name="Schedule").click()
    expect(artist.get_by_role("heading", name="Night Drive Q&A")).to_be_visible()
    artist.get_by_role("button", name="Go live").click()
    expect(artist.get_by_text("Live", exact=True)).to_be_visible()

    fan.goto(artist.url)
    fan.get_by_label("Your question").fill("Will Night Drive get an acoustic version?")
    fan.get_by_role("button", name="Ask").click()

    # The artist's page picks the question up by polling, without a reload.
    question = artist.get_by_role("listitem").filter(
        has_text="Will Night Drive get an acoustic version?"
    )
    question.get_by_role("button", name="Mark answered").click()
    expect(question.get_by_text("Answered")).to_be_visible()
    fan_question = fan.get_by_role("listitem").filter(has_text="acoustic version")
    expect(fan_question.get_by_text("Answered")).to_be_visible()

    artist.goto("/shop/fulfilment/")
    order = artist.get_by_role("article").filter(has_text="Inner Orbit tour T-shirt")
    order.get_by_role("button", name="Mark shipped").click()
    expect(artist.get_by_text("Shipped").first).to_be_visible()
    fan.goto("/shop/orders/")
    expect(fan.get_by_text("Shipped").first).to_be_visible()
