"""Site-wide search: artists, releases and tracks, posts, products, communities, forum
topics and reviews.

Words are found by PostgreSQL's full-text search over each table's stored, GIN-indexed
`search_document` (`musicplatform.db.searchable_text`), parsed with
`websearch_to_tsquery` ("quoted phrases", `or`, `-word`) and ranked with `ts_rank`; names
(artists, products, communities) are also found by pg_trgm's word similarity, so a
misspelt name still matches. Each kind is one query, and nothing the viewer may not read
is ever selected: forum topics only of communities whose content the viewer may see
(`communities.selectors.can_view_content`'s rule, in SQL), live posts the viewer may
read whole (`content.selectors.readable_by`), active products;
and nothing of an artist taken off the platform (`Artist.objects.on_platform()`): not the
artist, nor their posts, products, communities or those communities' forum topics
(fans' reviews of their work stay, as on the review pages). Releases are found by their
title, their artist's name or a track's title (`catalogue.selectors.releases_matching`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    TrigramWordSimilarity,
)
from django.core.cache import cache as shared_cache
from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet, UUIDField, Value
from django.db.models.functions import Replace
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from artists.models import Artist
from artists.selectors import ARTIST_ROWS_VERSION_KEY, artists_listed, artists_matching
from catalogue.models import Release
from catalogue.selectors import releases_matching
from communities.models import Community, ForumPost
from communities.selectors import community_ids_with_access
from content.models import Post, Review
from content.selectors import readable_posts
from musicplatform.cache import CachedValue, cached_many_reading
from musicplatform.db import (
    UNKNOWN_LANGUAGE_CONFIG,
    CompiledQuery,
    CompiledRow,
    some_id,
    some_ids,
    some_text,
    some_time,
    stand_in_viewer,
    viewer_kind,
)
from musicplatform.paging import UncountedPage, page_number_of
from shop.models import Product

GROUP_SIZE = 5
PAGE_SIZE = 20
# Results of a kind paged through at most: a longer list needs a more precise query.
MAX_RESULTS = 1000
# How long the ids a search found are kept (`_matches`): what begins to match appears in
# results up to this late; nothing found is ever shown once it may no longer be.
MATCHES_CACHE_SECONDS = 30
# Full-text matches ranked per kind: the first this many found through the index. Ranking
# every match of a common word would score thousands of rows on every keystroke; a longer
# list needs a more precise query, not more pages (bench/search.py, docs/performance.md).
RANKED_MATCHES = 200
# pg_trgm's default (0.6) misses a doubled letter in a short word ("lunna" for "Luna" is
# 0.57); below 0.5 unrelated names sharing a syllable start to match.
WORD_SIMILARITY_THRESHOLD = 0.5
# Markers around highlighted words in ts_headline's output: control characters that no
# escaping touches, replaced by <mark> only after the snippet is HTML-escaped.
MARK_START = "\x02"
MARK_STOP = "\x03"
SNIPPET_OPTIONS = {
    "start_sel": MARK_START,
    "stop_sel": MARK_STOP,
    "max_words": 30,
    "min_words": 12,
    "max_fragments": 2,
    "fragment_delimiter": " … ",
}


# The text search configuration of each row of a table whose rows say their language
# (posts, reviews: `search_config`); other tables' text is read with UNKNOWN_LANGUAGE_CONFIG.
ROW_CONFIG = F("search_config")


class SearchQueryInAnyLanguage(SearchQuery):
    """`websearch_to_tsquery` in every configuration of SEARCH_CONFIGS, OR-ed, by the SQL
    function of content's migration 0011 (one call to compile, not thirty)."""

    def __init__(self, text: str):
        super().__init__(text, search_type="websearch")
        self.function = "websearch_to_tsquery_any_language"


@dataclass(frozen=True)
class Terms:
    """What the viewer typed, and its tsquery (`websearch_to_tsquery`, never an error)."""

    text: str

    def tsquery(self, config) -> SearchQuery:
        """The query read as text in `config`: a configuration's name, or ROW_CONFIG for
        each row's own, so that "Liedern" is stemmed as German only for German rows."""
        return SearchQuery(self.text, search_type="websearch", config=config)

    @cached_property
    def in_any_language(self) -> SearchQuery:
        """The query read in every configuration, OR-ed: a constant tsquery that the GIN
        index can look up, matching a row in whichever language it is written (a query
        built from each row's configuration is no index condition)."""
        return SearchQueryInAnyLanguage(self.text)

    def words_match(self, config) -> Q:
        """`search_document @@ tsquery` in `config`, when the tsquery has a word to look for.

        With ROW_CONFIG, the index finds the rows matching the query in any language and
        each is then checked against the query in its own language (German stems do not
        match an English post).

        A query of exclusions only ("-studio", or "for -studio": "for" is a stop word) would
        match nearly every row, read from the whole GIN index (285 ms over the scale-1
        posts). `querytree()` is what an index can search for, 'T' when nothing; PostgreSQL
        folds the test into a constant when planning, so such a query reads no row.
        """
        indexed = self.tsquery(config) if isinstance(config, str) else self.in_any_language
        searchable = Func(
            indexed, template="querytree(%(expressions)s) <> 'T'", output_field=BooleanField()
        )
        matches = Q(search_document=indexed) & Q(searchable)
        if not isinstance(config, str):
            matches &= Q(search_document=self.tsquery(config))
        return matches


@dataclass(frozen=True)
class Result:
    title: str
    url: str
    snippet: SafeString
    detail: str
    # The artist the result names (in its title or its detail): the verified badge goes
    # next to that name, as everywhere an artist's name appears.
    artist: Artist | None = None
    # An artist found by name: the result carries a Follow button.
    is_artist: bool = False
    # A picture shown beside the result (a release's cover).
    image_url: str = ""


def highlighted(snippet: str | None) -> SafeString:
    """ts_headline's snippet as HTML: the text escaped first, then the markers made <mark>."""
    escaped = escape(snippet or "")
    return mark_safe(  # noqa: S308 - escaped above; only our own <mark> tags are added
        escaped.replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    )


def _snippet(column: str, terms: Terms, config) -> SearchHeadline:
    # The markers are taken out of the text first: only ts_headline's may become <mark>.
    text = Replace(Replace(column, Value(MARK_START)), Value(MARK_STOP))
    return SearchHeadline(text, terms.tsquery(config), config=config, **SNIPPET_OPTIONS)


def _ranked_matches(
    queryset: QuerySet, matches: Q, rank, *, shown, on_platform: str | None = None
) -> QuerySet:
    """The best-ranked rows among the first RANKED_MATCHES matches; with `on_platform`
    (the path to the row's artist), none of an artist taken off the platform.

    With `shown` (an array of ids an earlier search found, `_matches`), those of them
    that still match: the index is not searched again."""
    if shown is None:
        candidates = ArraySubquery(queryset.filter(matches).values("pk")[:RANKED_MATCHES])
        # `pk = ANY(ARRAY(…))` rather than `pk IN (…)`: the planner then reads the candidates
        # by primary key, where with IN it may hash-join them against a scan of the table.
        # Removed artists are left out of the candidates read, not out of the candidates: a
        # join to artists inside lets the planner walk the artists instead of the search index.
        ranked = queryset.filter(_any_of(F("pk"), candidates))
    else:
        ranked = queryset.filter(matches, _any_of(F("pk"), shown))
    # The stored tsvector is long and shown nowhere: it stays in the database.
    ranked = ranked.defer("search_document").annotate(rank=rank)
    if on_platform is not None:
        ranked = ranked.filter(**{f"{on_platform}__removed_at__isnull": True})
    return ranked


def _any_of(value, array) -> Func:
    return Func(
        value, array, template="%(expressions)s)", arg_joiner=" = ANY(", output_field=BooleanField()
    )


def _only(queryset: QuerySet, shown) -> QuerySet:
    """`queryset`, of the ids in `shown` (when given: `_ranked_matches`)."""
    return queryset if shown is None else queryset.filter(_any_of(F("pk"), shown))


def _artists(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    if not terms.text:
        return _only(artists_listed(), shown)
    return _only(artists_matching(terms.text, threshold=_threshold_of(shown)), shown)


def _artist_result(artist: Artist) -> Result:
    return Result(
        title=artist.artist_name,
        url=artist.get_absolute_url(),
        snippet=highlighted(" ".join((artist.bio or "").split()[:30])),
        detail="Verified artist" if artist.is_verified else "Artist",
        artist=artist,
        is_artist=True,
    )


def _releases(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return _only(releases_matching(query=terms.text), shown)


def _release_result(release: Release) -> Result:
    detail = f"{release.get_release_type_display()} by {release.artist.artist_name}"
    if release.matching_track:
        detail += f", track “{release.matching_track}”"
    return Result(
        title=release.title,
        url=release.get_absolute_url(),
        snippet=highlighted(" ".join(release.description.split()[:30])),
        detail=detail,
        artist=release.artist,
        image_url=release.cover.url if release.cover else "",
    )


def _posts(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return (
        _ranked_matches(
            # Only what the viewer may read: a members-only post's words never show
            # who is not a member that the post holds them.
            readable_posts(viewer, now=now),
            terms.words_match(ROW_CONFIG),
            SearchRank(F("search_document"), terms.tsquery(ROW_CONFIG)),
            shown=shown,
            on_platform="artist",
        )
        .select_related("artist")
        .annotate(snippet=_snippet("content_text", terms, ROW_CONFIG))
        .order_by("-rank", "-created_at", "pk")
    )


def _post_result(post: Post) -> Result:
    return Result(
        title=f"Post by {post.artist.artist_name}",
        url=post.get_absolute_url(),
        snippet=highlighted(post.snippet),
        detail=f"{post.created_at:%d %b %Y}",
        artist=post.artist,
    )


def _threshold_of(shown) -> float | None:
    """How a name's likeness to the query is tested: through the trigram index (`%>`, at
    the threshold `search_session` sets) when searching, written out when reading again
    the ids found before (`shown`), which then needs no session (`_matches`)."""
    return None if shown is None else WORD_SIMILARITY_THRESHOLD


def _named(queryset: QuerySet, terms: Terms, shown) -> QuerySet:
    """Rows whose words match, or whose name is close to the query (a misspelt name)."""
    similarity = TrigramWordSimilarity(terms.text, "name")
    threshold = _threshold_of(shown)
    similar = (
        Q(name__trigram_word_similar=terms.text)
        if threshold is None
        else Q(GreaterThanOrEqual(similarity, threshold))
    )
    return (
        _ranked_matches(
            queryset,
            terms.words_match(UNKNOWN_LANGUAGE_CONFIG) | similar,
            SearchRank(F("search_document"), terms.tsquery(UNKNOWN_LANGUAGE_CONFIG)) + similarity,
            shown=shown,
            on_platform="artist",
        )
        .select_related("artist")
        .annotate(snippet=_snippet("description", terms, UNKNOWN_LANGUAGE_CONFIG))
        .order_by("-rank", "name", "pk")
    )


def _products(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return _named(Product.objects.filter(is_active=True), terms, shown)


def _product_result(product: Product) -> Result:
    return Result(
        title=product.name,
        url=product.get_absolute_url(),
        snippet=highlighted(product.snippet),
        detail=f"{product.get_product_type_display()} by {product.artist.artist_name}, "
        f"{product.price} USD",
        artist=product.artist,
    )


def _communities(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return _named(Community.objects.all(), terms, shown)


def _community_result(community: Community) -> Result:
    return Result(
        title=community.name,
        url=community.get_absolute_url(),
        snippet=highlighted(community.snippet),
        detail=f"Community of {community.artist.artist_name}",
        artist=community.artist,
    )


def readable_forum_posts(viewer, *, now: datetime | None = None) -> QuerySet[ForumPost]:
    """Forum posts of communities whose content `viewer` may see (at `now`): members with
    access, the community's artist, staff (`communities.selectors.can_view_content`). Posts
    a moderator hid (or enough flags hid) are found by nobody, as they are shown to nobody."""
    if not viewer.is_authenticated:
        return ForumPost.objects.none()
    visible = ForumPost.objects.filter(hidden_at__isnull=True)
    if viewer.is_staff:
        return visible
    member_of = community_ids_with_access(user=viewer, now=now)
    return visible.filter(
        Q(forum__community_id__in=member_of) | Q(forum__community__artist__user_id=viewer.pk)
    )


def _topics(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return (
        _ranked_matches(
            # A forum topic is a post with a title (idx_forum_posts_search's condition).
            readable_forum_posts(viewer, now=now).filter(title__isnull=False),
            terms.words_match(UNKNOWN_LANGUAGE_CONFIG),
            SearchRank(F("search_document"), terms.tsquery(UNKNOWN_LANGUAGE_CONFIG)),
            shown=shown,
            on_platform="forum__community__artist",
        )
        .select_related("forum__community")
        .annotate(snippet=_snippet("content", terms, UNKNOWN_LANGUAGE_CONFIG))
        .order_by("-rank", "-created_at", "pk")
    )


def _topic_result(topic: ForumPost) -> Result:
    return Result(
        title=topic.title,
        url=topic.get_absolute_url(),
        snippet=highlighted(topic.snippet),
        detail=f"{topic.forum.name} in {topic.forum.community.name}",
    )


def _reviews(viewer, terms: Terms, shown, *, now: datetime) -> QuerySet:
    return (
        _ranked_matches(
            Review.objects.all(),
            terms.words_match(ROW_CONFIG),
            SearchRank(F("search_document"), terms.tsquery(ROW_CONFIG)),
            shown=shown,
        )
        .annotate(snippet=_snippet("text_content", terms, ROW_CONFIG))
        .order_by("-rank", "-created_at", "pk")
    )


def _review_result(review: Review) -> Result:
    return Result(
        title=review.title,
        url=review.get_absolute_url(),
        snippet=highlighted(review.snippet),
        detail=f"Review of {review.content_name}"
        + (f" by {review.artist_name}" if review.artist_name else "")
        + f", {review.rating}/5",
    )


@dataclass(frozen=True)
class Kind:
    slug: str
    label: str
    # matches(viewer, terms, shown, now=…): `now` is the time the access rules read
    # memberships at, a stand-in when compiled (`_compiled`).
    matches: Callable[..., QuerySet]
    result: Callable[..., Result]
    # Whether what is found depends on who searches (members-only posts, forum topics):
    # the ids found are then kept for that viewer alone (`_matches_key`).
    per_viewer: bool = False
    # The cache key of a token that changes after every write to what the kind's rows are
    # read from (one table, whoever searches): the rows read again by the ids found are
    # then kept under it too, and a repeated search runs no SQL for them (`_matches`).
    rows_version: str | None = None


KINDS = {
    kind.slug: kind
    for kind in (
        Kind("artists", "Artists", _artists, _artist_result, rows_version=ARTIST_ROWS_VERSION_KEY),
        Kind("releases", "Releases and tracks", _releases, _release_result),
        Kind("posts", "Posts", _posts, _post_result, per_viewer=True),
        Kind("products", "Products", _products, _product_result),
        Kind("communities", "Communities", _communities, _community_result),
        Kind("topics", "Forum topics", _topics, _topic_result, per_viewer=True),
        Kind("reviews", "Reviews", _reviews, _review_result),
    )
}


@contextmanager
def search_session() -> Iterator[None]:
    """Settings for the index searches run inside, on the connection reads use, in one
    statement (reading again the ids found before needs none: `_matches`).

    pg_trgm's threshold; and no sequential scans where an index serves. Each kind reads
    its first RANKED_MATCHES matches, and for a conjunction of common words ("last think")
    the planner expects to meet them early in a sequential scan, which then reads all
    200 000 posts of the scale-1 data to find none (300 ms); through the GIN index the
    same query takes a millisecond (docs/performance.md). SET LOCAL (set_config's third
    argument) ends with the transaction, so neither leaks to other requests sharing the
    connection (persistent connections, a PgBouncer in transaction mode).
    """
    using = router.db_for_read(Artist)
    with transaction.atomic(using=using, savepoint=False):
        with connections[using].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true), "
                "set_config('enable_seqscan', 'off', true)",
                [str(WORD_SIMILARITY_THRESHOLD)],
            )
        yield


@dataclass(frozen=True)
class Group:
    kind: Kind
    rows: list[CompiledRow]
    more: bool

    @cached_property
    def results(self) -> list[Result]:
        """Made only when the shared fragment holding them is rendered, as are the rows'
        model instances."""
        return [self.kind.result(row.instance) for row in self.rows]


@cache
def _compiled(
    kind: Kind, *, signed_in: bool, staff: bool, with_text: bool, shown: bool
) -> CompiledQuery:
    """One kind's queryset for one shape of viewer (signed out, a fan, staff) and of search
    (words or none, the ids an earlier search found or not), compiled to SQL once per
    process (`musicplatform.db.CompiledQuery`); each search puts in its viewer, text, time
    and ids. Building and compiling the seven kinds' querysets (ranks, snippets, the access
    rules) cost ~38 ms of CPU a search, several times what PostgreSQL spent running them
    (docs/performance.md, "Round 3: search")."""

    def build(*, viewer_id, text, now, shown_ids) -> QuerySet:
        return kind.matches(
            stand_in_viewer(viewer_id=viewer_id, signed_in=signed_in, staff=staff),
            Terms(text if with_text else ""),
            Value(shown_ids, output_field=ArrayField(UUIDField())) if shown else None,
            now=now,
        )

    return CompiledQuery(
        build,
        {"viewer_id": some_id(), "text": some_text(), "now": some_time(), "shown_ids": some_ids()},
        required=("text",) * with_text + ("shown_ids",) * shown,
    )


def _matches_key(kind: Kind, *, viewer, text: str, limit: int, offset: int) -> str:
    """The key of the ids a search of `kind` for `text` found: shared by everyone who
    finds the same (a kind whose rows are read by all, or staff), else the viewer's own."""
    reader = (
        "anyone"
        if not (kind.per_viewer and viewer.is_authenticated)
        else "staff"
        if viewer.is_staff
        else f"user:{viewer.pk}"
    )
    # Case and spacing change nothing found: websearch_to_tsquery, pg_trgm and icontains
    # ignore them.
    words = hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()
    return f"search:{kind.slug}:{reader}:{offset}:{limit}:{words}"


def _matches(
    kinds: list[Kind], *, viewer, text: str, limit: int, offset: int = 0
) -> list[list[CompiledRow]]:
    """`kind.matches(viewer, Terms(text), None, now=now)[offset:offset + limit]` of each kind, compiled once.

    Searching the indexes is most of a search's cost (ranking, trigram similarity), and
    the same words are searched again and again (a results page, its next page, the
    typing of several people): the ids each search found are kept MATCHES_CACHE_SECONDS.
    Within that time the rows are read again by those ids, through the same rules: what
    was since deleted, hidden, made members-only, taken off the platform, or no longer
    matches after an edit is gone at once, and edits show at once; only rows that began
    to match since (new, edited, or newly readable) appear up to MATCHES_CACHE_SECONDS late.
    """
    signed_in, staff = viewer_kind(viewer)
    shape = {"signed_in": signed_in, "staff": staff, "with_text": bool(text)}
    request = {"viewer_id": viewer.pk if signed_in else None, "text": text, "now": timezone.now()}

    def rows(kind: Kind, *, shown_ids=None, limit: int, offset: int = 0) -> list[CompiledRow]:
        compiled = _compiled(kind, **shape, shown=shown_ids is not None)
        return compiled.rows(**request, shown_ids=shown_ids, limit=limit, offset=offset)

    if not text:  # the artists listed, no search
        with search_session():
            return [rows(kind, limit=limit, offset=offset) for kind in kinds]
    found_rows: dict[str, list[CompiledRow]] = {}

    with ExitStack() as session:

        def search(kind: Kind) -> Callable[[], list[uuid.UUID]]:
            def found_ids() -> list[uuid.UUID]:
                if not found_rows:  # the first index search: its settings, once
                    session.enter_context(search_session())
                found_rows[kind.slug] = rows(kind, limit=limit, offset=offset)
                return [row["pk"] for row in found_rows[kind.slug]]

            return found_ids

        ids_keys = [
            _matches_key(kind, viewer=viewer, text=text, limit=limit, offset=offset)
            for kind in kinds
        ]
        # Rows kept of the kinds that keep them: under the ids' key, the shape of viewer
        # (the compiled query's) and the version of the table read, in the same round trip.
        rows_keys = {
            kind.slug: f"{ids_key}:rows:{int(signed_in)}{int(staff)}"
            for kind, ids_key in zip(kinds, ids_keys, strict=True)
            if kind.rows_version is not None
        }
        versions = {kind.rows_version for kind in kinds if kind.rows_version is not None}
        found, kept = cached_many_reading(
            (
                CachedValue(ids_key, search(kind), MATCHES_CACHE_SECONDS)
                for kind, ids_key in zip(kinds, ids_keys, strict=True)
            ),
            also=[*rows_keys.values(), *versions],
        )
    rows_of_kinds = []
    for kind, ids in zip(kinds, found, strict=True):
        if kind.slug in found_rows or not ids:
            rows_of_kinds.append(found_rows.get(kind.slug, []))
            continue
        if kind.rows_version is None:
            rows_of_kinds.append(rows(kind, shown_ids=ids, limit=len(ids)))
            continue
        rows_of_kinds.append(
            _rows_versioned(
                kind,
                ids,
                kept=kept,
                rows_key=rows_keys[kind.slug],
                read=lambda k=kind, i=ids: rows(k, shown_ids=i, limit=len(i)),
                compiled=_compiled(kind, **shape, shown=True),
            )
        )
    return rows_of_kinds


def _rows_versioned(
    kind: Kind,
    ids: list,
    *,
    kept: dict,
    rows_key: str,
    read: Callable[[], list[CompiledRow]],
    compiled: CompiledQuery,
) -> list[CompiledRow]:
    """The rows of `ids` read again (`read()`), or as kept under the same ids and the
    version of the table they are read from, which every write to it forgets
    (`Kind.rows_version`): exact, not merely recent.

    A version missing (forgotten by a write, or evicted) is made anew and nothing is kept
    with it in this request: the rows may have been read before the write committed. Rows
    are kept only when read from the primary, as a lagging replica's could be older than
    the version read before them."""
    version = kept.get(kind.rows_version)
    stored = kept.get(rows_key)
    if version is not None and stored is not None:
        stored_version, stored_ids, using, values = stored
        if stored_version == version and stored_ids == ids:
            return compiled.rows_kept(values, using=using)
    rows = read()
    if version is None:
        shared_cache.add(kind.rows_version, uuid.uuid4().hex, None)
    elif all(row.using == DEFAULT_DB_ALIAS for row in rows):
        shared_cache.set(
            rows_key,
            (version, ids, DEFAULT_DB_ALIAS, [row.values for row in rows]),
            MATCHES_CACHE_SECONDS,
        )
    return rows


def search_groups(*, viewer, query: str) -> list[Group]:
    """The best GROUP_SIZE results of each kind that has any: one query per kind (the
    index searched, or the rows an earlier search found read again: `_matches`)."""
    groups = []
    kinds = list(KINDS.values())
    for kind, rows in zip(
        kinds, _matches(kinds, viewer=viewer, text=query, limit=GROUP_SIZE + 1), strict=True
    ):
        if rows:
            groups.append(Group(kind=kind, rows=rows[:GROUP_SIZE], more=len(rows) > GROUP_SIZE))
    return groups


@dataclass(frozen=True)
class ResultPage(UncountedPage):
    """A page of one kind's results, found without counting the matches."""

    kind: Kind
    rows: list[CompiledRow]

    @cached_property
    def object_list(self) -> list[Result]:
        """Made only when the shared fragment holding them is rendered, as are the rows'
        model instances."""
        return [self.kind.result(row.instance) for row in self.rows]


def results_vary(*, page: ResultPage | None, groups: list[Group] | None) -> tuple:
    """Everything the results show but the Follow buttons' states: the key of the shared
    fragment holding them (templates/search/_results.html), so that the HTML of a search
    many viewers make is rendered once, not per request.

    A result is made of the values read of its row (columns, snippet and other
    annotations) and of the rows read with it (its artist, a topic's forum and community):
    the fragment is found without making the results or the rows' model instances."""
    if page is not None:
        return (page.number, page.has_next, *(row.values for row in page.rows))
    return tuple(
        (group.kind.slug, group.more, *(row.values for row in group.rows)) for group in groups or ()
    )


def artist_ids_found(*, page: ResultPage | None, groups: list[Group] | None) -> list:
    """The ids of the artists found by name: each result carries a Follow button."""
    found = [page] if page is not None else groups or []
    return [row["pk"] for shown in found if shown.kind.slug == "artists" for row in shown.rows]


def search_kind(*, viewer, query: str, kind: Kind, page_number) -> ResultPage:
    """One kind's results, PAGE_SIZE a page; for artists and no query, every artist."""
    # A page past the last one a search pages through shows that one, as Paginator did.
    last_page = MAX_RESULTS // PAGE_SIZE
    number = min(page_number_of(page_number), last_page)
    (rows,) = _matches(
        [kind], viewer=viewer, text=query, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
    )
    return ResultPage(
        kind=kind,
        rows=rows[:PAGE_SIZE],
        number=number,
        has_next=len(rows) > PAGE_SIZE and number < last_page,
    )


def _community_forum_result(post: ForumPost) -> Result:
    topic = post.topic or post
    return Result(
        title=topic.title or "Untitled topic",
        url=post.get_absolute_url(),
        snippet=highlighted(post.snippet),
        detail=f"{'Reply' if post.topic_id else 'Topic'} by {post.user.display_name} in {post.forum.name}",
    )


def community_forum_search(*, viewer, community_id, query: str, page_number) -> Page:
    """Topics and replies of one community's forums (chat left out), best match first.

    The caller has checked that the viewer may read the community's forums; one
    community's posts are few enough to rank all matches, found through the forum index.
    """
    terms = Terms(query)
    matches = (
        readable_forum_posts(viewer)
        .filter(forum__community_id=community_id)
        .exclude(forum__forum_type="all_chat")
        .filter(terms.words_match(UNKNOWN_LANGUAGE_CONFIG))
        .select_related("forum", "user", "topic")
        .annotate(
            rank=SearchRank(F("search_document"), terms.tsquery(UNKNOWN_LANGUAGE_CONFIG)),
            snippet=_snippet("content", terms, UNKNOWN_LANGUAGE_CONFIG),
        )
        .order_by("-rank", "-created_at", "pk")
    )
    page = Paginator(matches, PAGE_SIZE).get_page(page_number)
    page.object_list = [_community_forum_result(post) for post in page.object_list]
    return page
