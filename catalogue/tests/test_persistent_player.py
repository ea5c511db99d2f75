"""The player dock that keeps playing across pages (e2e/test_catalogue.py plays through a
navigation and back): outside the part links replace, hidden until something plays."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_has_the_dock_after_the_part_links_replace(client):
    page = client.get(reverse("home")).text

    assert re.search(r"<body [^>]*data-hx-boost=\"true\"", page)
    assert '<div id="page" data-hx-history-elt>' in page
    # The dock comes after #page closes, hidden until something plays (static/js/player.js).
    after_page = page[page.index("</footer>") :]
    assert '<section id="player-dock" class="player-dock" aria-label="Now playing" hidden>' in (
        after_page
    )
    assert re.search(r'<script src="[^"]*js/player\.js" defer nonce="[^"]+"></script>', page)
