"""What every page gives a reader, a screen-reader user and a phone: a title of the form
"Page — Music Platform", one <h1>, the landmarks, alt text on each image and a label on
each field; and the design tokens' colours are readable.

The pages are those of the authorization matrix (musicplatform/tests/test_authorization.py),
each fetched as the first role that may see it, in the same world; allauth's pages, which
the matrix leaves out, are added by name.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from musicplatform.tests import test_authorization
from musicplatform.tests.test_authorization import (
    ANON,
    EXPECTED,
    FAN,
    MEMBER,
    OK,
    OTHER,
    OWNER,
    POST_ONLY,
    STAFF,
    client_for,
    request_undone,
)

# The matrix's world, built once for this module as for that one.
module_world = test_authorization.module_world
world = test_authorization.world

TITLE = re.compile(r"^\S.* — Music Platform$")
# Who is asked first: the owner sees the most of a page (management links, forms).
ROLE_ORDER = (OWNER, STAFF, MEMBER, FAN, OTHER, ANON)
# Answers that are not pages, with the reason.
NOT_PAGES = {
    "healthz": "JSON for the load balancer",
    "healthz_ready": "JSON for the load balancer",
    "healthz_live": "plain text for the liveness probe",
    "artists:verification_document": "the uploaded file itself",
    "artists:dashboard_csv": "a CSV download",
    "ledger:statement_csv": "a CSV download",
    "communities:event_messages": "the live event's messages, polled by htmx into its page",
    "communities:forum_chat": "new chat messages, polled by htmx into the chat forum's page",
    "communities:mention_suggestions": "members for the @name being typed, fetched by htmx into the reply form",
    "catalogue:track_audio": "the audio stream itself",
    "catalogue:embed": "the player other sites frame: no site header, navigation or footer",
    "content:post_media": "a post's picture, audio or video itself",
    "communities:event_ics": "a calendar file",
    "communities:event_state": "the changing part of an event's page, swapped in by htmx",
    "content:post_teaser_picture": "the blurred picture itself",
}
ALLAUTH_PAGES = {
    ANON: ("account_login", "account_signup", "account_reset_password"),
    FAN: ("account_email", "account_change_password"),
}
FIELD_TAGS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageOutline(HTMLParser):
    """The parts of a page the checks look at."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.in_title = False
        self.svg_depth = 0
        self.counts: dict[str, int] = {}
        self.images_without_alt: list[str] = []
        self.label_targets: set[str] = set()
        self.open_labels = 0
        self.fields: list[tuple[str, dict, bool]] = []  # (tag, attrs, inside a <label>)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag == "svg":
            self.svg_depth += 1
        if tag == "title" and not self.svg_depth:
            self.in_title = True
        elif tag == "img" and attributes.get("alt") is None:
            self.images_without_alt.append(attributes.get("src", "?"))
        elif tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_targets.add(attributes["for"])
        elif tag in FIELD_TAGS:
            self.fields.append((tag, attributes, self.open_labels > 0))

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg_depth -= 1
        elif tag == "title":
            self.in_title = False
        elif tag == "label":
            self.open_labels -= 1

    def handle_data(self, data):
        if self.in_title:
            self.title += data

    def unlabelled_fields(self) -> list[str]:
        missing = []
        for tag, attributes, wrapped in self.fields:
            if tag == "input" and attributes.get("type") in UNLABELLED_INPUT_TYPES:
                continue
            named = (
                wrapped
                or attributes.get("id") in self.label_targets
                or attributes.get("aria-label")
                or attributes.get("aria-labelledby")
            )
            if not named:
                missing.append(f"<{tag} name={attributes.get('name')!r}>")
        return missing


def problems_of(html: str) -> list[str]:
    page = PageOutline()
    page.feed(html)
    found = []
    title = " ".join(page.title.split())
    if not TITLE.match(title):
        found.append(f"title {title!r} is not 'Page — Music Platform'")
    for landmark in ("header", "nav", "main", "footer"):
        if not page.counts.get(landmark):
            found.append(f"no <{landmark}>")
    if page.counts.get("main", 0) > 1:
        found.append("more than one <main>")
    if page.counts.get("h1", 0) != 1:
        found.append(f"{page.counts.get('h1', 0)} <h1> instead of one")
    found += [f"image without alt: {src}" for src in page.images_without_alt]
    found += [f"field without a label: {field}" for field in page.unlabelled_fields()]
    if 'class="skip-link" href="#main"' not in html:
        found.append("no skip link")
    return found


def page_views() -> list[str]:
    return sorted(
        name
        for name, outcomes in EXPECTED.items()
        if name not in POST_ONLY
        and name not in NOT_PAGES
        and any(outcome == OK for outcome in outcomes.values())
    )


def test_the_problems_are_found():
    """The checks fail where a reader would notice, so their silence elsewhere means it."""
    broken = (
        "<html><head><title>Music Platform</title></head><body>"
        "<main><h1>One</h1><h1>Two</h1><img src='a.png'>"
        "<label for='q'>Search</label><input id='q' name='q'><input name='email'>"
        "<select name='sort'></select><input type='hidden' name='next'>"
        "<label>Wrapped <input name='ok'></label>"
        "<svg><title>A chart</title></svg></main></body></html>"
    )

    assert problems_of(broken) == [
        "title 'Music Platform' is not 'Page — Music Platform'",
        "no <header>",
        "no <nav>",
        "no <footer>",
        "2 <h1> instead of one",
        "image without alt: a.png",
        "field without a label: <input name='email'>",
        "field without a label: <select name='sort'>",
        "no skip link",
    ]


@pytest.mark.parametrize("name", page_views())
def test_every_page_has_a_title_one_heading_landmarks_alt_texts_and_labels(world, name):
    role = next(role for role in ROLE_ORDER if EXPECTED[name][role] == OK)
    url = reverse(name, kwargs=world["kwargs"].get(name))

    response, text, _changed = request_undone(client_for(world, role), "get", url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert problems_of(text) == [], f"{role}: GET {url}"


@pytest.mark.parametrize(
    ("role", "name"), [(role, name) for role, names in ALLAUTH_PAGES.items() for name in names]
)
def test_the_account_pages_meet_the_same_bar(world, role, name):
    response, text, _changed = request_undone(client_for(world, role), "get", reverse(name))

    assert response.status_code == 200
    assert problems_of(text) == [], name


@pytest.mark.parametrize("status", [403, 404])
def test_error_pages_are_pages_of_the_site_with_a_way_on(world, status):
    url = {
        403: reverse("content:post_create"),  # a fan is not an artist
        404: "/no-such-page/",
    }[status]
    response, text, _changed = request_undone(client_for(world, FAN), "get", url)

    assert response.status_code == status
    assert problems_of(text) == []
    assert f'href="{reverse("home")}"' in text


def test_the_paywall_is_a_page_of_the_site_too(world):
    name = "communities:forum"
    url = reverse(name, kwargs=world["kwargs"][name])

    response, text, _changed = request_undone(client_for(world, FAN), "get", url)

    assert response.status_code == 403
    assert problems_of(text) == []


def test_the_main_navigation_marks_where_the_reader_is(world):
    _response, text, _changed = request_undone(
        client_for(world, FAN), "get", reverse("communities:list")
    )

    current = re.findall(r'<a href="([^"]+)" aria-current="page">', text)
    assert current == [reverse("communities:list")]


def test_every_page_links_the_favicon_and_it_is_there(world):
    _response, text, _changed = request_undone(client_for(world, ANON), "get", reverse("home"))

    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', text)
    assert icon is not None
    path = finders.find(icon.group(1).removeprefix(settings.STATIC_URL).lstrip("/"))
    assert path is not None and "<svg" in Path(path).read_text()


# The design tokens ---------------------------------------------------------------------

STYLESHEET = Path(settings.BASE_DIR) / "static" / "css" / "site.css"
# Text colour on background colour, as the stylesheet pairs them.
TEXT_PAIRS = [
    ("--ink", "--paper"),
    ("--muted", "--paper"),
    ("--muted", "--card"),
    ("--muted", "--accent-soft"),
    ("--accent", "--paper"),
    ("--accent", "--accent-soft"),
    ("--accent-ink", "--accent"),
    ("--header-ink", "--header-bg"),
    ("--ok", "--ok-soft"),
    ("--warn", "--warn-soft"),
    ("--warn", "--card"),
    ("--error", "--error-soft"),
    ("--error", "--card"),
    ("--info", "--info-soft"),
    ("--accent-ink", "--alert"),
    ("--rating", "--paper"),
    ("--rating", "--card"),
]


def tokens(*, dark: bool = False) -> dict[str, str]:
    """The design tokens; with `dark`, as dark mode (prefers-color-scheme) overrides them."""
    roots = re.findall(r":root\s*{(.*?)}", STYLESHEET.read_text(), re.S)
    colours = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", roots[0]))
    if dark:
        (dark_root,) = re.findall(
            r"@media \(prefers-color-scheme: dark\)\s*{\s*:root\s*{(.*?)}",
            STYLESHEET.read_text(),
            re.S,
        )
        colours |= dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", dark_root))
    return colours


def contrast(foreground: str, background: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_colours_meet_wcag_aa_contrast(dark):
    colours = tokens(dark=dark)

    assert contrast("#777777", "#ffffff") < 4.5 < contrast("#767676", "#ffffff")  # the bar
    weak = {
        (text, background): round(contrast(colours[text], colours[background]), 2)
        for text, background in TEXT_PAIRS
        if contrast(colours[text], colours[background]) < 4.5
    }
    assert weak == {}


# Chart marks (bars, lines, dots) are graphics a reader must tell from what they are drawn
# on: WCAG's non-text contrast asks 3:1 there. The dashboard's series sit on a card; the
# rating distribution's bars on their track.
CHART_PAIRS = [
    ("--accent", "--card"),
    ("--chart-2", "--card"),
    ("--chart-3", "--card"),
    ("--rating", "--line"),
]


def test_chart_colours_meet_wcag_non_text_contrast():
    colours = tokens()

    weak = {
        (mark, background): round(contrast(colours[mark], colours[background]), 2)
        for mark, background in CHART_PAIRS
        if contrast(colours[mark], colours[background]) < 3
    }
    assert weak == {}
