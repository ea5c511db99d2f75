"""Issue 22 item 1's journey: a visitor reads a public post, hits the teaser of a
members-only one, joins the community through the test gateway and reads it."""

from playwright.sync_api import expect

from accounts.models import User
from artists.models import Artist
from communities.models import Community
from content import services
from content.models import Post, PostAudience
from e2e.helpers import pay

PUBLIC_POST = "Live set from last night's show is up"
TEASER = "Studio diary, week 12: the new single."
MEMBERS_TEXT = "Here is the unmixed take with the wrong chord at 1:32, for you only."


def test_a_visitor_reads_a_public_post_then_joins_to_read_a_members_only_one(demo, new_page):
    kai = Artist.objects.get(artist_name="Kai Moreno")
    public_post = Post.objects.get(artist=kai, content_text__startswith=PUBLIC_POST)
    members_post = services.post_create(
        artist=kai,
        by=kai.user,
        content_text=f"{TEASER}\n{MEMBERS_TEXT}",
        uploads=[],
        audience=PostAudience.MEMBERS,
        communities=[Community.objects.get(name="Kai's Studio Sessions")],
    )

    # Signed out, the public post and its comments are there to read.
    visitor = new_page()
    visitor.goto(public_post.get_absolute_url())
    expect(visitor.get_by_text(PUBLIC_POST)).to_be_visible()
    expect(visitor.locator("#comments")).to_be_visible()

    # The members-only post shows its first line and the way in, not the rest.
    visitor.goto(members_post.get_absolute_url())
    expect(visitor.get_by_text(TEASER)).to_be_visible()
    expect(visitor.get_by_text(MEMBERS_TEXT)).to_have_count(0)
    expect(visitor.get_by_role("link", name="Join Kai's Studio Sessions to read")).to_be_visible()

    # A fan who is not a member meets the same teaser, joins, and reads the post.
    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto(members_post.get_absolute_url())
    expect(fan.get_by_text(MEMBERS_TEXT)).to_have_count(0)
    fan.get_by_role("link", name="Join Kai's Studio Sessions to read").click()
    fan.get_by_role("button", name="Subscribe").click()
    expect(fan.get_by_role("heading", name="Test checkout")).to_be_visible()
    pay(fan, "5.99")
    fan.get_by_role("link", name="Go to the community").click()
    expect(fan.get_by_text("You are a member.")).to_be_visible()

    fan.goto(members_post.get_absolute_url())
    expect(fan.get_by_text(MEMBERS_TEXT)).to_be_visible()
    expect(fan.get_by_text("Members only")).to_be_visible()
