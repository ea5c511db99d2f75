"""Every key page runs the same, known number of SQL queries at one and ten times the data.

A page whose count grows with the data runs a query per row somewhere (an N+1); a page
whose budget changes here changed on purpose, and the new number says by how much. Each
page is measured as its first visitor sees it (caches empty), signed in as a member.
"""

import pytest

from musicplatform.tests.key_pages import key_pages

pytestmark = pytest.mark.django_db

# With empty caches every signed-in page also reads the session, the user and the unread
# notification count: three of each budget.
BUDGETS = {
    "home": 7,
    "explore": 8,
    "feed": 7,
    "post page (many comments)": 6,
    "community page": 9,
    "forum: artist_forum": 10,
    "forum: all_chat": 10,
    "forum: fan_art": 10,
    "forum: suggestions": 10,
    "live event page": 10,
    "live event poll": 9,
    "artist page": 9,
    "search": 8,
    "product list": 5,
    "product page": 4,
    "notifications": 4,
}


def test_every_key_page_runs_its_query_budget_at_one_and_ten_times_the_data():
    small = key_pages(2)
    small_counts = {page: len(small.queries(page)) for page in small.urls}
    large = key_pages(20)
    large_counts = {page: len(large.queries(page)) for page in large.urls}

    assert small_counts == large_counts
    assert large_counts == BUDGETS
