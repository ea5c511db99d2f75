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
    # Home and explore read one featured section (content.selectors.featured_section): the
    # live placements, the artists they name and the artists staff flagged. Home gained
    # the placements and their artists (it read only the flagged ones), explore the
    # flagged artists (it read only the placements).
    # Each page with Follow buttons (home, explore, artist, post, search) reads their
    # follower counts and the viewer's follows in one query (content.selectors.follow_states).
    "home": 10,
    "explore": 11,
    # The keys of the page (posts and artist-forum posts) and the posts shown in one
    # statement (content.selectors._FEED_SQL, round 5 of issue 26), then the forum posts
    # shown (a page of posts alone reads one query less). Whether the fan is an artist (the
    # "New post" button) is the user's own flag, no query (round 3 of issue 26).
    "feed": 5,
    "post page (many comments)": 6,
    "community page": 9,
    # A forum's pinned topics and a page of the others are one statement
    # (communities.selectors._read_topics), and so are the chat's latest and pinned messages
    # (chat_log).
    "forum: artist_forum": 9,
    "forum: all_chat": 9,
    "forum: fan_art": 9,
    "forum: suggestions": 9,
    "live event page": 10,
    "live event poll": 9,
    # Its releases (catalogue) are one query.
    "artist page": 11,
    # The search settings for the transaction, the page and one row more (no count: a
    # next page is known by that row, musicplatform.search.ResultPage).
    "search": 6,
    # The search settings, then one query per kind of result (seven: releases and tracks
    # are the seventh, catalogue), then the Follow buttons of the artists found.
    "site search": 12,
    "product list": 4,
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


# The next visit finds the session, the user and the unread count in Redis
# (accounts/middleware.py, notifications.selectors.unread_count), and the home, explore and
# artist pages' HTML in the shared fragments (musicplatform/fragments.py): what is left is
# what the fragment varies on (home: nothing more; explore: which popular posts the viewer liked;
# artist page: the artist), and the Follow buttons' states (one query). The feed still reads
# its list: its keys and its posts' card rows in one statement; its artist-forum posts only
# when the list is rendered (their cards vary on the keys' row: content.selectors.feed_page).
# The post page reads its card; what its comments vary on is kept in Redis between changes.
SECOND_VISIT_BUDGETS = {
    "home": 1,
    "explore": 2,
    "artist page": 2,
    "feed": 1,
    # The post card and the Follow button's state; what the comments vary on is kept
    # (content.selectors.post_comment_page).
    "post page (many comments)": 2,
    # The rows found by the first visit read again by id (one query per kind found),
    # without the search settings' transaction (musicplatform.search._matches), and the
    # Follow buttons' states.
    "search": 2,
    "site search": 3,
}


def test_pages_with_shared_fragments_read_less_on_the_next_visit():
    pages = key_pages(20)
    for page in SECOND_VISIT_BUDGETS:
        pages.get(page, first_visit=False)

    assert {
        page: len(pages.queries(page, first_visit=False)) for page in SECOND_VISIT_BUDGETS
    } == SECOND_VISIT_BUDGETS


# Once more: the artists found, read again by a visit before, are kept in Redis under the
# version of the artists' rows (musicplatform.search._rows_versioned), which the first
# search reading artists again after a write (here: after the cache is cleared) makes anew,
# keeping nothing with it; what is left is the Follow buttons' states, and for the site
# search the other kinds' rows read again.
REPEATED_SEARCH_BUDGETS = {"search": 1, "site search": 2}


def test_a_search_made_again_reads_the_artists_it_found_from_redis():
    pages = key_pages(20)
    for page in REPEATED_SEARCH_BUDGETS:
        for _ in range(3):  # found; read again (the version made); read again and kept
            pages.get(page, first_visit=False)

    assert {
        page: len(pages.queries(page, first_visit=False)) for page in REPEATED_SEARCH_BUDGETS
    } == REPEATED_SEARCH_BUDGETS
