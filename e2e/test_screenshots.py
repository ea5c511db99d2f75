"""Full-page screenshots of the main pages, desktop and phone.

Taken on the `seed_demo` data, with half a year of members and sales added for the
dashboards. `make test` writes them under `$SCREENSHOTS_DIR` (`.data/screenshots/` by
default), never over tracked files; `make screenshots` points it at docs/screenshots/ to
refresh the README's copies. Each page is also checked for what a visitor would notice first: it answers, has a title and
a main heading, and fits a 375 px phone without sideways scrolling.
"""

import io
import os
from datetime import timedelta
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page

from accounts.models import User
from artists.models import Artist
from artists.selectors import dashboard_months
from artists.tests.test_dashboard import cancel, sell
from catalogue.models import Release
from communities.models import Community, CommunitySubscription, ForumType, LiveEventStatus
from communities.tests.factories import (
    CommunitySubscriptionFactory,
    LiveEventMessageFactory,
    LiveEventVoteFactory,
)
from content.models import Post, Review
from demo.management.commands.seed_demo import DEMO_ORDER_ID
from e2e.helpers import DESKTOP, PHONE
from shop.models import Product
from shop.tests.factories import PaymentFactory

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(
    os.environ.get(
        "SCREENSHOTS_DIR", Path(os.environ.get("MP_DATA_DIR", ROOT / ".data")) / "screenshots"
    )
)
DEVICES = (("desktop", DESKTOP), ("phone", PHONE))
QUESTIONS = (
    ("nova_listener", "Which song from Night Drive was the hardest to finish?", 2),
    ("demo_fan", "Any plans to play Lisbon on the autumn tour?", 1),
    ("nova_listener", "What synth is on the intro of Slow Motion?", 0),
)
# The six months before this one: (members joining, members cancelling, T-shirts sold).
HISTORY = ((2, 0, 1), (3, 1, 0), (5, 1, 2), (4, 2, 3), (6, 1, 1), (8, 2, 4))


def _dashboard_history(community: Community, shirt: Product) -> None:
    """Members joining the community, paying every month and cancelling, and T-shirt sales,
    over the months before the demo's, so that the dashboards' charts show a trend."""
    months = dashboard_months(timezone.now())[-len(HISTORY) - 1 : -1]
    members: list[CommunitySubscription] = []
    cancelled = []
    for month, (joining, cancelling, shirts) in zip(months, HISTORY, strict=True):
        day = month + timedelta(days=9)
        members += CommunitySubscriptionFactory.create_batch(
            joining, community=community, start_date=day
        )
        for member in members:
            PaymentFactory(for_subscription=True, subscription=member, payment_date=day)
        for member in members[:cancelling]:
            cancel(member, day)
            cancelled.append(member.pk)
        members = members[cancelling:]
        for _ in range(shirts):
            sell(shirt, day)
    # Who stayed renewed this month too.
    for member in members:
        PaymentFactory(for_subscription=True, subscription=member, payment_date=timezone.now())
    CommunitySubscription.objects.filter(pk__in=cancelled).update(
        auto_renew=False, status="cancelled"
    )


def _live_qa(community: Community) -> str:
    """The community's Q&A, live, with a few questions and votes."""
    event = community.live_events.get()
    event.status = LiveEventStatus.LIVE
    event.save(update_fields=["status"])
    voters = list(User.objects.filter(username__in=["demo_fan", "nova_listener", "demo_staff"]))
    for seq, (username, text, votes) in enumerate(QUESTIONS, start=1):
        message = LiveEventMessageFactory(
            event=event, user=User.objects.get(username=username), seq=seq, content=text
        )
        for voter in voters[:votes]:
            LiveEventVoteFactory(message=message, user=voter)
    return event.get_absolute_url()


def _pages() -> list[tuple[str, str | None, str]]:
    """(name, username of the viewer or None when signed out, path)."""
    luna = Artist.objects.get(artist_name="Luna Vega")
    orbit = Community.objects.get(name="Luna's Inner Orbit")
    _dashboard_history(orbit, Product.objects.get(name="Inner Orbit tour T-shirt"))
    forums = {forum.forum_type: forum for forum in orbit.forums.all()}
    post = Post.objects.filter(artist=luna, comments__isnull=False).distinct().get()
    fan = "demo_fan"
    return [
        ("home", None, "/"),
        ("explore", fan, reverse("content:explore")),
        ("feed", fan, reverse("content:feed")),
        ("artist", fan, luna.get_absolute_url()),
        ("community", fan, orbit.get_absolute_url()),
        *(
            (
                f"forum-{kind.replace('_', '-')}",
                fan,
                reverse("communities:forum", args=[orbit.pk, forums[kind].pk]),
            )
            for kind in ForumType.values
        ),
        ("live-event", fan, _live_qa(orbit)),
        ("post", fan, reverse("content:post_detail", args=[post.pk])),
        (
            "review",
            fan,
            reverse(
                "content:review_detail", args=[Review.objects.get(title__startswith="Best").pk]
            ),
        ),
        ("release", fan, Release.objects.get(title="Night Drive").get_absolute_url()),
        ("shop", fan, reverse("shop:list")),
        (
            "product",
            fan,
            reverse("shop:product", args=[Product.objects.get(name__endswith="signed vinyl").pk]),
        ),
        ("cart", fan, reverse("shop:cart")),
        ("checkout", fan, reverse("shop:checkout")),
        ("order", fan, reverse("shop:order", args=[DEMO_ORDER_ID])),
        ("notifications", fan, reverse("notifications:list")),
        ("settings", fan, reverse("accounts:settings_profile")),
        ("artist-dashboard", "demo_artist", reverse("artists:dashboard", args=[luna.pk])),
        ("community-dashboard", "demo_artist", reverse("communities:dashboard", args=[orbit.pk])),
    ]


def _save_png(page: Page, path: Path) -> None:
    # A full-page picture shows what lies below the fold: lazy pictures are loaded first.
    page.evaluate(
        """() => Promise.all([...document.querySelectorAll('img[loading=lazy]')].map(img => {
            img.loading = 'eager';
            return img.complete ? null : new Promise(done => { img.onload = img.onerror = done; });
        }))"""
    )
    # A 256-colour palette keeps a full page in the low hundreds of kilobytes.
    image = Image.open(io.BytesIO(page.screenshot(full_page=True, animations="disabled")))
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(
        path, optimize=True
    )


def _problems(page: Page, name: str, response, width: int) -> list[str]:
    problems = []
    if response is None or not response.ok:
        problems.append(f"{name}: answered {response and response.status}")
    if not page.title().strip():
        problems.append(f"{name}: no <title>")
    if page.get_by_role("heading", level=1).count() == 0:
        problems.append(f"{name}: no <h1>")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    if overflow > width:
        problems.append(f"{name}: {overflow} px wide on a {width} px screen")
    return problems


def test_main_pages_at_desktop_and_phone_widths(demo, new_page):
    pages = _pages()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browsers = {
        username: new_page(User.objects.get(username=username) if username else None)
        for username in {viewer for _, viewer, _ in pages}
    }
    # The cart and checkout show what the fan put in the cart.
    fan = browsers["demo_fan"]
    fan.goto(next(path for name, _, path in pages if name == "product"))
    fan.get_by_role("button", name="Add to cart").click()
    problems = []
    for name, viewer, path in pages:
        page = browsers[viewer]
        response = page.goto(path)
        # One load serves both widths: the layout follows the viewport without a reload
        # (media queries; no script measures the screen).
        for device, viewport in DEVICES:
            page.set_viewport_size(viewport)
            problems += _problems(page, f"{name} ({device})", response, viewport["width"])
            _save_png(page, SCREENSHOTS / f"{name}-{device}.png")
    readme = (ROOT / "README.md").read_text()
    problems += [
        f"README.md does not show {shot}"
        for shot in (
            f"docs/screenshots/{name}-{device}.png" for name, _, _ in pages for device, _ in DEVICES
        )
        if shot not in readme
    ]
    assert problems == []
