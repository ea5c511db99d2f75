"""The search page (/search/): what it finds, what it never shows, and bad queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import LanguageFactory, UserFactory
from artists.services import artist_remove, artist_update
from artists.tests.factories import ArtistFactory
from communities.models import CommunitySubscription, ForumPost
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from content.models import ReviewedContentType
from content.services import (
    artist_follow,
    post_create,
    post_delete,
    post_update,
    review_create,
)
from content.tests.factories import PostCommunityFactory, PostFactory, ReviewFactory
from musicplatform.db import SEARCH_CONFIGS
from musicplatform.search import GROUP_SIZE, MAX_RESULTS, PAGE_SIZE
from shop.models import Product
from shop.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def search(client, query, **params):
    return client.get(reverse("search"), {"q": query, **params})


def titles(response, kind) -> list[str]:
    groups = {group.kind.slug: group for group in response.context["groups"] or []}
    return [result.title for result in groups[kind].results] if kind in groups else []


def snippets(response, kind) -> str:
    groups = {group.kind.slug: group for group in response.context["groups"] or []}
    return " ".join(result.snippet for result in groups[kind].results) if kind in groups else ""


# What it finds


def test_each_kind_is_found_by_its_words_and_grouped(client):
    artist = ArtistFactory(artist_name="Luna Vega")
    PostFactory(artist=artist, content_text="The harbour session was recorded at dawn.")
    ProductFactory(artist=artist, name="Harbour vinyl", description="Pressed on blue vinyl.")
    CommunityFactory(artist=artist, name="Harbour club", description="Early listening.")
    ReviewFactory(title="A calm record", text_content="The harbour songs stay with you.")
    PostFactory(content_text="Nothing to do with it.")

    response = search(client, "harbour")

    assert response.status_code == 200
    assert [group.kind.slug for group in response.context["groups"]] == [
        "posts",
        "products",
        "communities",
        "reviews",
    ]
    assert titles(response, "products") == ["Harbour vinyl"]
    assert titles(response, "posts") == ["Post by Luna Vega"]
    assert "<mark>harbour</mark> session" in snippets(response, "posts")
    assert "Nothing to do" not in response.text


# Languages: each post or review is read in the language it says it is written in


def _post_in(language, text):
    artist = ArtistFactory()
    return post_create(
        artist=artist, by=artist.user, content_text=text, uploads=[], language=language
    )


def test_stemming_finds_other_forms_of_a_word_in_the_posts_language(client):
    english = LanguageFactory(name="English")
    _post_in(english, "We are recording the new songs this week.")

    assert titles(search(client, "recorded song"), "posts")


def test_a_german_post_is_found_by_another_form_of_a_german_word(client):
    german = LanguageFactory(name="German")
    _post_in(german, "Ein neues Lied für euch, aufgenommen im Winter.")

    response = search(client, "Liedern")

    assert len(titles(response, "posts")) == 1
    assert "neues <mark>Lied</mark> für" in snippets(response, "posts")


def test_a_post_of_unknown_language_is_found_by_its_exact_words_only(client):
    # Korean has no stemmer in PostgreSQL: its posts are read with `simple`, as are
    # posts that do not say their language.
    korean = LanguageFactory(name="Korean")
    _post_in(korean, "Ein neues Lied, recording songs")
    _post_in(None, "Ein neues Lied, recording songs")

    assert len(titles(search(client, "Lied songs"), "posts")) == 2
    assert titles(search(client, "Liedern"), "posts") == []
    assert titles(search(client, "recorded song"), "posts") == []


def test_a_query_is_stemmed_only_in_each_posts_own_language(client):
    german = LanguageFactory(name="German")
    _post_in(german, "Ein neues Lied aus dem Studio.")
    # "lied" as a whole word in a post of no known language: German stemming of the
    # query ("Liedern" is `lied`) must not reach it.
    unknown = _post_in(None, "Lied aus dem Studio.")

    response = search(client, "Liedern")

    assert len(titles(response, "posts")) == 1
    assert unknown.get_absolute_url() not in response.text


def test_a_review_is_read_in_its_language(client):
    german = LanguageFactory(name="German")
    review_create(
        user=UserFactory(),
        content_type=ReviewedContentType.ALBUM,
        content_id="4aawyAB9vmqN3uQ7FjRGTy",
        content_name="Winterreise",
        artist_name="Die Nachtigallen",
        title="Schöne Lieder",
        text_content="Jedes Lied klingt nach Schnee.",
        rating=5,
        language=german,
    )

    assert titles(search(client, "Lied"), "reviews") == ["Schöne Lieder"]


def test_the_language_of_a_post_changes_how_it_is_found(client):
    english, german = LanguageFactory(name="English"), LanguageFactory(name="German")
    post = _post_in(german, "Songs recorded")
    assert titles(search(client, "recording"), "posts") == []

    post_update(
        post=post, by=post.artist.user, content_text="Songs recorded", uploads=[], language=english
    )
    # A post that begins to match is found once the ids the search found before expire.
    cache.clear()

    assert len(titles(search(client, "recording"), "posts")) == 1


@pytest.mark.parametrize("query", ["lunna", "Luna Vegaa", "luna", "lun", "vega"])
def test_misspelt_and_half_typed_artist_names_are_found(client, query):
    ArtistFactory(artist_name="Luna Vega")
    ArtistFactory(artist_name="Midnight Oil Tribute")

    assert titles(search(client, query), "artists") == ["Luna Vega"]


def test_misspelt_product_and_community_names_are_found(client):
    ProductFactory(name="Aurora hoodie", description="Warm.")
    CommunityFactory(name="Aurora insiders", description="Warm.")

    response = search(client, "aurorra")

    assert titles(response, "products") == ["Aurora hoodie"]
    assert titles(response, "communities") == ["Aurora insiders"]


def test_a_quoted_phrase_needs_the_words_together_and_in_order(client):
    PostFactory(content_text="Our new album is out on Friday.")
    PostFactory(content_text="The album cover is new, the songs are old.")

    response = search(client, '"new album"')

    assert len(titles(response, "posts")) == 1
    assert "<mark>new</mark> <mark>album</mark> is out" in snippets(response, "posts")
    assert len(titles(search(client, "new album"), "posts")) == 2


def test_or_finds_either_word_and_minus_leaves_a_word_out(client):
    PostFactory(content_text="A guitar solo opened the show.")
    PostFactory(content_text="The piano came in after the guitar.")
    PostFactory(content_text="Only drums tonight.")

    assert len(titles(search(client, "guitar or drums"), "posts")) == 3
    excluded = search(client, "guitar -piano")
    assert len(titles(excluded, "posts")) == 1
    assert "solo" in snippets(excluded, "posts")


def test_better_matches_rank_first(client):
    PostFactory(content_text="Tour dates. Tour merch. Tour diary: the tour goes on.")
    PostFactory(content_text="Some news, and a word about the tour.")

    response = search(client, "tour")

    assert snippets(response, "posts").index("diary") < snippets(response, "posts").index("news")


def test_a_kind_with_more_results_links_to_its_own_paged_list(client):
    artist = ArtistFactory(artist_name="Echo Park")
    for i in range(25):
        PostFactory(artist=artist, content_text=f"Rehearsal notes number {i}.")

    grouped = search(client, "rehearsal")
    first = search(client, "rehearsal", kind="posts")
    second = search(client, "rehearsal", kind="posts", page="2")

    assert len(titles(grouped, "posts")) == GROUP_SIZE
    assert "kind=posts" in grouped.text and "More posts" in grouped.text
    assert len(first.context["page"].object_list) == 20
    assert "page=2" in first.text
    assert len(second.context["page"].object_list) == 5


def test_htmx_asks_for_the_results_alone(client):
    PostFactory(content_text="Harbour lights.")

    response = client.get(reverse("search"), {"q": "harbour"}, headers={"HX-Request": "true"})

    assert "Post by" in response.text
    assert "<html" not in response.text


def test_the_page_works_as_a_plain_form_with_live_results_as_an_extra(client):
    response = client.get(reverse("search"))

    assert 'method="get" action="/search/"' in response.text
    assert 'hx-get="/search/"' in response.text
    assert 'name="q"' in response.text and 'type="submit"' in response.text


def test_every_page_has_the_header_search_box(client):
    response = client.get(reverse("home"))

    assert 'id="header-search-q"' in response.text
    assert 'action="/search/"' in response.text


# What it never shows


def _forum_topic(community, title="Setlist secrets"):
    return ForumPostFactory(
        forum=ForumFactory(community=community), title=title, content="Only for members."
    )


def test_a_fan_never_finds_a_forum_topic_of_a_community_they_do_not_belong_to(client):
    mine, theirs = CommunityFactory(), CommunityFactory()
    _forum_topic(mine, "Setlist secrets of mine")
    _forum_topic(theirs, "Setlist secrets of theirs")
    fan = UserFactory()
    CommunitySubscriptionFactory(user=fan, community=mine)
    client.force_login(fan)

    response = search(client, "setlist secrets")

    # Negative control: the member does find the topic of their own community.
    assert titles(response, "topics") == ["Setlist secrets of mine"]
    assert "of theirs" not in response.text
    topics = search(client, "setlist", kind="topics")
    assert [result.title for result in topics.context["page"].object_list] == [
        "Setlist secrets of mine"
    ]


def test_a_lapsed_member_and_a_visitor_find_no_forum_topic(client):
    community = CommunityFactory()
    _forum_topic(community)
    lapsed = UserFactory()
    CommunitySubscriptionFactory(
        user=lapsed, community=community, end_date=timezone.now() - timedelta(days=1)
    )

    assert titles(search(client, "setlist"), "topics") == []
    client.force_login(lapsed)
    assert titles(search(client, "setlist"), "topics") == []


def test_a_member_in_grace_after_a_failed_renewal_still_finds_the_topics(client):
    # Access as communities has it: the paid period, or the grace after a failed renewal.
    community = CommunityFactory()
    _forum_topic(community)
    member = UserFactory()
    CommunitySubscriptionFactory(
        user=member,
        community=community,
        end_date=timezone.now() - timedelta(days=1),
        grace_until=timezone.now() + timedelta(days=2),
    )
    client.force_login(member)

    assert titles(search(client, "setlist"), "topics") == ["Setlist secrets"]


def test_the_communitys_artist_and_staff_find_its_forum_topics(client):
    community = CommunityFactory(artist=ArtistFactory(user=UserFactory(artist=True)))
    _forum_topic(community)

    client.force_login(community.artist.user)
    assert titles(search(client, "setlist"), "topics") == ["Setlist secrets"]
    client.force_login(UserFactory(staff=True))
    assert titles(search(client, "setlist"), "topics") == ["Setlist secrets"]


def test_forum_posts_without_a_title_are_not_topics(client):
    community = CommunityFactory()
    ForumPostFactory(forum=ForumFactory(community=community), title=None, content="Setlist chat")
    client.force_login(UserFactory(staff=True))

    assert titles(search(client, "setlist"), "topics") == []


def test_deleted_posts_and_inactive_products_are_never_found(client):
    PostFactory(content_text="Lighthouse demo", deleted_at=timezone.now())
    ProductFactory(name="Lighthouse poster", is_active=False)
    PostFactory(content_text="Lighthouse live")

    response = search(client, "lighthouse")

    assert len(titles(response, "posts")) == 1
    assert "demo" not in response.text
    assert titles(response, "products") == []


def test_nothing_of_an_artist_taken_off_the_platform_is_found(
    client, django_capture_on_commit_callbacks
):
    removed = ArtistFactory(artist_name="Harbour Lights")
    PostFactory(artist=removed, content_text="The harbour session, recorded at dawn.")
    ProductFactory(artist=removed, name="Harbour vinyl", description="Blue vinyl.")
    community = CommunityFactory(artist=removed, name="Harbour club", description="Early.")
    _forum_topic(community, "Harbour setlist")
    staying = ArtistFactory(artist_name="Harbour Kids")
    PostFactory(artist=staying, content_text="A harbour song for the kids.")
    client.force_login(UserFactory(staff=True))  # reads every community's forum topics
    kinds = ("artists", "posts", "products", "communities", "topics")
    # Negative control: before the removal each of the artist's kinds is found.
    assert all(titles(search(client, "harbour"), kind) for kind in kinds)

    with django_capture_on_commit_callbacks(execute=True):  # as the commit does
        artist_remove(artist=removed, by=None, reason="Suspended by staff.")

    response = search(client, "harbour")
    assert titles(response, "artists") == ["Harbour Kids"]
    assert titles(response, "posts") == ["Post by Harbour Kids"]
    assert all(titles(response, kind) == [] for kind in ("products", "communities", "topics"))
    assert "Harbour Lights" not in response.text
    removed_titles = {"Harbour Lights", "Post by Harbour Lights", "Harbour vinyl"}
    removed_titles |= {"Harbour club", "Harbour setlist"}
    for kind in kinds:
        listed = search(client, "harbour", kind=kind).context["page"].object_list
        assert not removed_titles & {result.title for result in listed}, kind
    everyone = search(client, "", kind="artists").context["page"].object_list
    assert [result.title for result in everyone] == ["Harbour Kids"]


def test_snippets_never_let_html_through(client):
    PostFactory(content_text='Harbour <script>alert("x")</script> <b>bold</b> \x02marker\x03 <i')

    response = search(client, "harbour")
    snippet = snippets(response, "posts")

    assert "<script" not in snippet
    assert "<b>" not in snippet
    assert "<i" not in snippet.replace("<mark>", "")
    assert "alert(&quot;x&quot;)" in snippet
    # The text's own marker characters never become highlighting.
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1


# Bad queries


@pytest.mark.parametrize(
    "query",
    [
        "!!!",
        "-",
        '"',
        "or",
        "'; DROP TABLE posts; --",
        "x') OR 1=1 --",
        "a & b | !c <-> d:*",
        "((((",
        "\\",
        "%_%",
        "é",
    ],
)
def test_odd_and_hostile_queries_answer_200_with_a_message(client, query):
    PostFactory(content_text="Harbour lights.")

    response = search(client, query)

    assert response.status_code == 200
    assert "Nothing matches" in response.text or response.context["groups"]


def test_a_nul_byte_is_refused_with_a_message(client):
    # Refused at the door like every address with a control character
    # (musicplatform.middleware), before the search form sees it.
    response = search(client, "harbour\x00")

    assert response.status_code == 400
    assert "holds a control character (such as NUL)" in response.text


def test_a_very_long_query_is_refused_with_a_message(client):
    response = search(client, "harbour " * 200)

    assert response.status_code == 200
    assert "at most 100 characters" in response.text
    assert response.context["groups"] is None


def test_an_unknown_kind_is_explained(client):
    response = search(client, "harbour", kind="spaceships")

    assert response.status_code == 200
    assert "Select a valid choice" in response.text


def test_an_empty_query_invites_one(client):
    response = search(client, "")

    assert response.status_code == 200
    assert "Type a name or some words" in response.text


# Queries


def _fill(size: int, member):
    artist = ArtistFactory(artist_name="Harbour Band")
    community = CommunityFactory(artist=artist, name="Harbour fans")
    CommunitySubscriptionFactory(user=member, community=community)
    forum = ForumFactory(community=community)
    for i in range(size):
        PostFactory(artist=artist, content_text=f"Harbour post {i}")
        ProductFactory(artist=artist, name=f"Harbour item {i}")
        ReviewFactory(artist=artist, title=f"Harbour review {i}")
        ForumPostFactory(forum=forum, title=f"Harbour topic {i}")


@pytest.mark.parametrize("size", [1, 8])
def test_the_page_runs_a_constant_number_of_queries(client, django_assert_num_queries, size):
    member = UserFactory()
    _fill(size, member)
    client.force_login(member)

    # session and user; pg_trgm's threshold; one query per kind (seven); the Follow
    # buttons of the artists found
    with django_assert_num_queries(11):
        grouped = search(client, "harbour")
    # pg_trgm's threshold; the page and one row more, no count (the session, the user and
    # the header's unread count are cached since the first request: accounts.middleware)
    with django_assert_num_queries(2):
        search(client, "harbour", kind="topics")

    assert len(grouped.context["groups"]) == 6  # no release matches


def test_exclusions_alone_find_no_words(client):
    PostFactory(content_text="Harbour lights.")
    PostFactory(content_text="Studio day.")

    # "for" is a stop word: nothing is left to look for but what to leave out.
    for query in ["-studio", "for -studio"]:
        response = search(client, query)
        assert response.status_code == 200
        assert titles(response, "posts") == []
        assert "Nothing matches" in response.text


# Shared results (musicplatform/fragments.py): one viewer's rendering serves the next


def test_a_fan_is_never_served_the_results_a_member_was_shown(client):
    community = CommunityFactory()
    _forum_topic(community, "Setlist secrets")
    member, fan = UserFactory(), UserFactory()
    CommunitySubscriptionFactory(user=member, community=community)
    client.force_login(member)
    assert "Setlist secrets" in search(client, "setlist").text
    assert "Setlist secrets" in search(client, "setlist", kind="topics").text

    client.force_login(fan)

    assert "Setlist secrets" not in search(client, "setlist").text
    assert "Setlist secrets" not in search(client, "setlist", kind="topics").text


def test_each_viewer_sees_their_own_follow_button_on_results_another_rendered(client):
    artist = ArtistFactory(artist_name="Velvet Echo")
    follower, other = UserFactory(), UserFactory()
    artist_follow(user=follower, artist=artist)
    client.force_login(follower)
    assert ">Unfollow<" in search(client, "velvet", kind="artists").text

    client.force_login(other)
    page = search(client, "velvet", kind="artists").text

    assert ">Follow<" in page and ">Unfollow<" not in page


def test_every_configuration_a_language_may_map_to_is_one_postgresql_has():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = 'pg_catalog'::regnamespace"
        )
        built_in = {name for (name,) in cursor.fetchall()}

    assert set(SEARCH_CONFIGS) == built_in


def test_the_query_in_any_language_is_read_in_every_configuration():
    """The SQL function search uses (content's migration 0011) matches a text in
    every configuration of SEARCH_CONFIGS exactly as the OR of all its readings does, and
    holds each distinct reading once (thirty repeated branches made the GIN lookup slow)."""
    query = 'Liedern "recorded songs" -studio'
    every_reading = " || ".join(
        f"websearch_to_tsquery('{config}'::regconfig, %(query)s)" for config in SEARCH_CONFIGS
    )
    found_in = {}
    with connection.cursor() as cursor:
        for text in ("Liedern recorded songs", "Lieder recording song", "studio songs recorded"):
            cursor.execute(
                "SELECT config, to_tsvector(config::regconfig, %(text)s) @@ "  # noqa: S608 - our constant configuration names
                "websearch_to_tsquery_any_language(%(query)s), "
                f"to_tsvector(config::regconfig, %(text)s) @@ ({every_reading}) "
                "FROM unnest(%(configs)s::text[]) AS config",
                {"query": query, "text": text, "configs": list(SEARCH_CONFIGS)},
            )
            matches = cursor.fetchall()
            assert [(config, expected) for config, _, expected in matches] == [
                (config, found) for config, found, _ in matches
            ]
            found_in[text] = {config for config, found, _ in matches if found}
        # Not vacuous: the words are found where they are, the excluded word excludes.
        assert {"english", "german"} <= found_in["Liedern recorded songs"]
        assert found_in["studio songs recorded"] == set()
        cursor.execute(
            f"SELECT numnode(websearch_to_tsquery_any_language(%(query)s)), numnode({every_reading})",
            {"query": query},
        )
        distinct_nodes, all_nodes = cursor.fetchone()
    assert distinct_nodes < all_nodes / 2


# The ids a search found are kept MATCHES_CACHE_SECONDS (musicplatform.search._matches)


def test_what_a_search_found_and_may_no_longer_be_shown_is_gone_at_once(client):
    community = CommunityFactory()
    topic = _forum_topic(community, "Lighthouse setlist")
    artist = ArtistFactory(user=UserFactory(artist=True))
    public = post_create(artist=artist, by=artist.user, content_text="Lighthouse demo", uploads=[])
    PostCommunityFactory(community=community, post__content_text="Lighthouse secrets")
    product = ProductFactory(name="Lighthouse poster")
    member = UserFactory()
    CommunitySubscriptionFactory(user=member, community=community)
    client.force_login(member)
    found = search(client, "lighthouse")
    assert len(titles(found, "posts")) == 2
    assert titles(found, "topics") == ["Lighthouse setlist"]
    assert titles(found, "products") == ["Lighthouse poster"]
    assert len(search(client, "lighthouse", kind="posts").context["page"].object_list) == 2

    post_update(post=public, by=artist.user, content_text="Lighthouse demo, remastered", uploads=[])
    assert "remastered" in snippets(search(client, "lighthouse"), "posts")
    post_update(post=public, by=artist.user, content_text="Harbour demo", uploads=[])
    assert "Harbour" not in snippets(search(client, "lighthouse"), "posts")
    post_update(post=public, by=artist.user, content_text="Lighthouse demo", uploads=[])
    post_delete(post=public, by=artist.user)
    ForumPost.objects.filter(pk=topic.pk).update(hidden_at=timezone.now())  # as moderation does
    Product.objects.filter(pk=product.pk).update(is_active=False)
    after = search(client, "lighthouse")
    assert "secrets" in snippets(after, "posts") and "demo" not in snippets(after, "posts")
    assert titles(after, "topics") == []
    assert titles(after, "products") == []

    CommunitySubscription.objects.filter(user=member).update(
        end_date=timezone.now() - timedelta(days=1)
    )
    assert titles(search(client, "lighthouse"), "posts") == []
    assert search(client, "lighthouse", kind="posts").context["page"].object_list == []


def test_a_name_found_by_its_likeness_is_found_again_from_the_ids_kept(client):
    """Reading again the ids found runs outside the search's settings (`search_session`):
    the likeness of a name is then tested at the search's own threshold, not pg_trgm's
    default (0.6), which "lunna" for "Luna Vega" (0.57) misses."""
    artist = ArtistFactory(artist_name="Luna Vega")
    community = CommunityFactory(name="Aurora insiders", description="Warm.")

    def found():
        # Each request in a transaction of its own, as outside tests: no setting lingers.
        with connection.cursor() as cursor:
            cursor.execute("RESET pg_trgm.word_similarity_threshold")
        return titles(search(client, "lunna"), "artists") + titles(
            search(client, "aurorra"), "communities"
        )

    assert found() == ["Luna Vega", "Aurora insiders"]
    assert found() == ["Luna Vega", "Aurora insiders"]  # the ids kept, read again

    artist_update(artist=artist, artist_name="Sol Vega")
    community.name = "Borealis"
    community.save(update_fields=["name"])
    assert found() == []


def test_the_artists_read_again_are_kept_until_any_artist_is_written(
    client, django_capture_on_commit_callbacks
):
    """A repeated search reads the artists it found from Redis, under the version of the
    artists' rows that every committed save or delete of an artist forgets."""
    artist = ArtistFactory(artist_name="Luna Vega", bio="First bio.")

    def artists_read(query="luna"):
        with CaptureQueriesContext(connection) as queries:
            response = search(client, query, kind="artists")
        return [r.title for r in response.context["page"].object_list], [
            q["sql"] for q in queries.captured_queries if 'FROM "artists"' in q["sql"]
        ]

    for _ in range(3):  # found; read again (the version made); read again and kept
        artists_read()
    assert artists_read() == (["Luna Vega"], [])  # kept: no SQL

    # Negative control: a write whose commit never forgets the version leaves the kept
    # rows in use, so what follows is the forgetting's doing.
    artist_update(artist=artist, artist_name="Luna Vera")
    assert artists_read() == (["Luna Vega"], [])

    with django_capture_on_commit_callbacks(execute=True):
        artist_update(artist=artist, artist_name="Luna Verde")
    titles_shown, queries = artists_read()
    assert titles_shown == ["Luna Verde"] and queries  # read again
    artists_read()
    with django_capture_on_commit_callbacks(execute=True):  # any save, as the admin's
        artist.refresh_from_db()
        artist.bio = "Second bio."
        artist.save()
    response = search(client, "luna", kind="artists")
    assert "Second bio." in response.text


def test_a_new_match_appears_once_the_ids_found_before_expire(client):
    PostFactory(content_text="Lighthouse demo")
    assert len(titles(search(client, "lighthouse"), "posts")) == 1

    PostFactory(content_text="Lighthouse live")
    # The same words, in other case and spacing: the same ids.
    assert len(titles(search(client, " LightHouse "), "posts")) == 1
    cache.clear()  # MATCHES_CACHE_SECONDS later

    assert len(titles(search(client, "lighthouse"), "posts")) == 2


def test_the_shared_results_show_an_edit_of_what_they_are_made_of_at_once(client):
    """The results' fragment is keyed on the rows they are made of (musicplatform.search
    `results_vary`): their own values and those of the rows read with them."""
    artist = ArtistFactory(artist_name="Velvet Echo", bio="Dream pop from the coast.")
    PostFactory(artist=artist, content_text="Tour dates are out.")
    assert "Dream pop" in search(client, "velvet", kind="artists").text
    assert "Post by Velvet Echo" in search(client, "tour").text

    artist_update(artist=artist, artist_name="Velvet Echoes", bio="Shoegaze now.")

    assert "Shoegaze now." in search(client, "velvet", kind="artists").text
    # The post is as it was: only the artist read with it changed.
    assert "Post by Velvet Echoes" in search(client, "tour").text


def test_a_kind_pages_through_at_most_a_thousand_results_and_says_when_a_page_is_empty(client):
    for i in range(3):
        ArtistFactory(artist_name=f"Echo {i}")

    past_the_end = search(client, "echo", kind="artists", page="2")
    far_past_the_limit = search(client, "echo", kind="artists", page="99999999999999999999")

    assert past_the_end.context["page"].object_list == []
    assert "No artists on page 2." in past_the_end.text
    assert "Back to the first page" in past_the_end.text
    assert far_past_the_limit.status_code == 200
    assert far_past_the_limit.context["page"].number == MAX_RESULTS // PAGE_SIZE
    assert not far_past_the_limit.context["page"].has_next
