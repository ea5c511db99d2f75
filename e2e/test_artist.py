import csv
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.helpers import check_out, label, pay

SHIRT = "Inner Orbit tour T-shirt"
DASHBOARD_TABLES = ("Members by month", "Revenue by month", "Sales per product")


def artist_dashboard_rows(page: Page) -> dict[str, dict[str, str]]:
    """From the artist dashboard's data tables (under the charts): this month's members and
    revenue and the T-shirt's sales, as {table: {column: cell}}."""
    month = timezone.now().strftime("%Y-%m")
    rows = {}
    for table, heading in zip(DASHBOARD_TABLES, (month, month, SHIRT), strict=True):
        panel = page.get_by_role("region", name=table)
        panel.get_by_text(f"{table} as a table").click()
        row = panel.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=heading, exact=True)
        )
        expect(row).to_be_visible()
        cells = [heading, *row.get_by_role("cell").all_inner_texts()]
        columns = panel.get_by_role("columnheader").all_inner_texts()
        rows[table] = dict(zip(columns, cells, strict=True))
    return rows


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

    artist.get_by_role("link", name="My artist page").click()
    artist.get_by_role("link", name="Dashboard", exact=True).click()
    before = artist_dashboard_rows(artist)
    artist_dashboard = artist.url

    artist.goto(community_url)
    artist.get_by_role("link", name="Dashboard").click()
    expect(artist.get_by_text("Active subscribers")).to_be_visible()
    figures = artist.get_by_role("definition")
    expect(figures.first).to_have_text("0")
    expect(artist.get_by_text("$0")).to_be_visible()

    fan = new_page(User.objects.get(username="demo_fan"))
    fan.goto(community_url)
    fan.get_by_role("button", name="Subscribe").click()
    pay(fan, "6.50")

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

    fan.goto("/shop/")
    fan.get_by_role("link", name=SHIRT).first.click()
    fan.get_by_role("button", name="Add to cart").click()
    fan.get_by_role("link", name="Cart 1 item").click()
    check_out(fan, "29.49")  # and Luna Vega's shipping to Portugal, 4.50

    # The seeded order holds two T-shirts; the fan's new one, one.
    artist.goto("/shop/fulfilment/")
    order = artist.get_by_role("article").filter(has_text=f"1 × {SHIRT}")
    order.get_by_label("Carrier").fill("CTT")
    order.get_by_label("Tracking number").fill("RR123456785PT")
    order.get_by_role("button", name="Mark shipped").click()
    expect(artist.get_by_text("Item updated")).to_be_visible()
    fan.goto("/shop/orders/")
    expect(fan.get_by_text("Shipped").first).to_be_visible()

    artist.goto(artist_dashboard)
    after = artist_dashboard_rows(artist)

    def moved(table: str, column: str) -> Decimal:
        return Decimal(after[table][column]) - Decimal(before[table][column])

    assert moved("Members by month", "New") == 1
    assert moved("Members by month", "Net") == 1
    assert moved("Revenue by month", "Subscriptions") == Decimal("6.50")
    assert moved("Revenue by month", "Sales") == Decimal("24.99")
    assert moved("Revenue by month", "Total") == Decimal("31.49")
    assert moved("Sales per product", "Units sold") == 1
    assert moved("Sales per product", "Revenue") == Decimal("24.99")

    with artist.expect_download() as download:
        artist.get_by_role("link", name="Download CSV").click()
    exported = list(csv.reader(Path(download.value.path()).read_text().splitlines()))
    for table in DASHBOARD_TABLES:
        assert list(after[table].values()) in exported, table
