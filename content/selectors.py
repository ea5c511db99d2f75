"""Reads of the content domain; each page runs a fixed number of queries whatever the data."""

import base64
import binascii
import hashlib
import secrets
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import cast

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User, UserPreferences
from accounts.selectors import FollowStates, follow_states
from artists.models import Artist
from catalogue.models import ReleaseGenre
from catalogue.selectors import featured_catalogue
from communities.models import Community, CommunitySubscription, ForumPost, ForumType
from communities.selectors import community_ids_with_access
from content.models import (
    CARD_VARY,
    Comment,
    Like,
    Post,
    PostAudience,
    PostCommunity,
    Review,
    ShareLink,
)
from musicplatform.cache import CachedValue, cached_many
from musicplatform.db import (
    CompiledInstances,
    CompiledQuery,
    CompiledRow,
    column_of,
    named_placeholders,
    prepared_rows,
    some_id,
    some_ids,
    some_time,
    well_formed_uuids,
)
from shop.models import FeaturedItem, FeaturedItemType, Product
from shop.selectors import featured_items_live

FEED_PAGE_SIZE = 20
SUGGESTED_ARTISTS = 6
EXPLORE_LIST_SIZE = 8
REVIEWS_PAGE_SIZE = 20
# Reviews shown on an item's own page (a release's), the rest on its review list.
LATEST_ITEM_REVIEWS = 3
POPULAR_WINDOW = timedelta(days=7)


def _count(queryset: QuerySet, column: str) -> Coalesce:
    """COUNT(*) of `queryset` per outer row as a scalar subquery (no join fan-out)."""
    counted = queryset.order_by().values(column).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _liked_by(viewer, **target) -> Exists | Value:
    if viewer is None or not viewer.is_authenticated:
        return Value(False)
    return Exists(Like.objects.filter(user_id=viewer.pk, **target))


def _written_by(viewer, author_column: str) -> ExpressionWrapper | Value:
    if viewer is None or not viewer.is_authenticated:
        return Value(False)
    return ExpressionWrapper(Q(**{author_column: viewer.pk}), output_field=BooleanField())


def readable_by(viewer, *, now: datetime | None = None) -> Q:
    """The one rule of who reads a post whole (its text, media and comments): everyone a
    public post; the members of one of its communities (`communities.selectors`'
    definition of a member) a members-only one; its artist and staff any. Every page,
    list, search and media address that shows a post asks this."""
    public = Q(audience=PostAudience.PUBLIC)
    if viewer is None or not viewer.is_authenticated:
        return public
    if viewer.is_staff:
        return Q()
    return (
        public
        | Q(artist__user_id=viewer.pk)
        | Q(
            Exists(
                PostCommunity.objects.filter(
                    post=OuterRef("pk"),
                    community_id__in=community_ids_with_access(user=viewer, now=now),
                )
            )
        )
    )


def readable_posts(viewer, *, now: datetime | None = None) -> QuerySet[Post]:
    """Live posts `viewer` may read whole (at `now`, see `readable_by`)."""
    return Post.objects.filter(readable_by(viewer, now=now), deleted_at__isnull=True)


def posts_for(viewer, *, now: datetime | None = None) -> QuerySet[Post]:
    """Live posts with their artist, like and comment counts, whether `viewer` liked
    them and wrote them (`mine`: a shared post card varies on it, see `{% fragment %}`),
    and whether `viewer` may read them whole (`readable`; else the card is a teaser)."""
    rule = readable_by(viewer, now=now)
    return (
        Post.objects.filter(deleted_at__isnull=True)
        .select_related("artist")
        .annotate(
            # The maintained counters, under the names the cards and like buttons read.
            like_count=F("likes_count"),
            comment_count=F("comments_count"),
            liked=_liked_by(viewer, post=OuterRef("pk")),
            mine=_written_by(viewer, "artist__user_id"),
            # Staff's rule is empty: everything.
            readable=ExpressionWrapper(rule, output_field=BooleanField()) if rule else Value(True),
        )
    )


# posts_for() compiled once per process and kind of viewer: building and compiling it
# cost more CPU than PostgreSQL spends running it (docs/performance.md, round 3).
_POST_CARDS = CompiledInstances(lambda *, viewer, now: posts_for(viewer, now=now))


def post_cards(*, viewer, post_ids) -> dict[uuid.UUID, Post]:
    """{id: post} of `posts_for(viewer)` with these ids (a deleted one is left out)."""
    return _POST_CARDS.in_bulk(post_ids, viewer=viewer)


def post_card(*, viewer, post_id: uuid.UUID) -> Post | None:
    return post_cards(viewer=viewer, post_ids=[post_id]).get(post_id)


def post_audience_communities(post: Post) -> list[Community]:
    """The communities whose members may read a members-only post, for its teaser's
    "Join … to read" links."""
    chosen = PostCommunity.objects.filter(post=post).values("community_id")
    return list(Community.objects.filter(pk__in=chosen).order_by("name", "pk"))


def reviews_for(viewer) -> QuerySet[Review]:
    return Review.objects.select_related("user", "artist").annotate(
        like_count=F("likes_count"),
        comment_count=F("comments_count"),
        liked=_liked_by(viewer, review=OuterRef("pk")),
    )


def post_owned_by(*, user, post_id: uuid.UUID) -> Post | None:
    return (
        Post.objects.filter(pk=post_id, deleted_at__isnull=True, artist__user=user)
        .select_related("artist")
        .first()
    )


def followed_artist_ids(user) -> list[uuid.UUID]:
    return list(
        UserPreferences.objects.filter(user=user).values_list("favorite_artists", flat=True).first()
        or []
    )


# The feed ------------------------------------------------------------------------------


class _ForumPostCards:
    """A feed page's artist-forum posts with their forum, community and artist, read
    together when the first of them is rendered: a page served from its fragment reads
    none."""

    def __init__(self, ids: list[uuid.UUID], viewer):
        self.ids = ids
        self.viewer = viewer

    @cached_property
    def by_id(self) -> dict[uuid.UUID, ForumPost]:
        return _FORUM_POST_CARDS.in_bulk(self.ids, viewer=self.viewer)


# Compiled once per process, as the post cards are: the ORM's in_bulk() of these rows
# cost more CPU to build and compile than the rest of the feed's reads.
_FORUM_POST_CARDS = CompiledInstances(
    lambda *, viewer, now: ForumPost.objects.select_related("forum__community__artist")
)


@dataclass(frozen=True)
class FeedItem:
    """A post (its row: the post is made only to render its card) or an artist-forum
    post (read with the page's others only to render its card), in one timeline."""

    kind: str
    pk: uuid.UUID
    # What its card shows that changes, read with its key (see `feed_page`).
    vary: tuple
    source: CompiledRow | _ForumPostCards

    @property
    def item(self) -> Post | ForumPost | None:
        """None for a forum post deleted since its key was read: it is left out."""
        if isinstance(self.source, CompiledRow):
            return cast(Post, self.source.instance)  # a row of the post cards' query
        return self.source.by_id.get(self.pk)


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None
    suggested_artists: list[Artist] = field(default_factory=list)

    @property
    def vary(self) -> tuple:
        """What the list of items shows (a shared fragment in feed.html): one read from
        Redis for the whole page instead of one per card."""
        return (self.next_cursor, *(item.vary for item in self.items))

    @property
    def card_varies(self) -> list[tuple]:
        """What each post's card varies on (`{% fragment "post-card" %}`), to read the
        cards in one round trip when the list is rendered."""
        return [item.vary for item in self.items if item.kind == "post"]


def encode_cursor(key: tuple[datetime, uuid.UUID]) -> str:
    raw = f"{key[0].isoformat()}|{key[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Raises ValueError for anything that is not a cursor this module made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        when = datetime.fromisoformat(moment)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a feed cursor") from exc
    if when.tzinfo is None:
        raise ValueError("not a feed cursor")
    return when, uuid.UUID(pk)


# The keys of the feed's next page, posts and artist-forum posts merged: each followed or
# community artist's own newest posts, a page at most, from posts (artist_id, created_at)
# (walking everyone's newest posts instead read further the quieter the followed artists),
# and the artists' own posts in the artist forums of the viewer's communities. One
# statement: the querysets it replaced (the followed artists, the posts, the forum posts'
# keys) cost more CPU to build and compile than PostgreSQL spends running them. In the
# forums, "only artist posts": whatever else sits in the forum stays in the community.
_FEED_KEYS_SQL = """
WITH member_of (community_id) AS ({member_of}),
source (artist_id) AS (
    SELECT unnest(favorite_artists) FROM user_preferences WHERE user_id = %(viewer)s
  UNION
    SELECT communities.artist_id FROM communities
    WHERE communities.community_id IN (SELECT community_id FROM member_of)
)
(SELECT 'post', newest.created_at, newest.post_id, NULL::timestamptz
 FROM source
 CROSS JOIN LATERAL (
     SELECT posts.created_at, posts.post_id FROM posts
     WHERE posts.artist_id = source.artist_id AND posts.deleted_at IS NULL {posts_after}
     ORDER BY posts.created_at DESC, posts.post_id DESC
     LIMIT {size}
 ) AS newest)
UNION ALL
(SELECT 'forum_post', forum_posts.created_at, forum_posts.forum_post_id, forum_posts.updated_at
 FROM forum_posts
 JOIN forums ON forums.forum_id = forum_posts.forum_id
 JOIN communities ON communities.community_id = forums.community_id
 JOIN artists ON artists.artist_id = communities.artist_id
 WHERE forums.forum_type = %(artist_forum)s
   AND forums.community_id IN (SELECT community_id FROM member_of)
   AND forum_posts.user_id = artists.user_id {forum_posts_after}
 ORDER BY forum_posts.created_at DESC, forum_posts.forum_post_id DESC
 LIMIT {size})
ORDER BY 2 DESC, 3 DESC
LIMIT {size}
"""
_FEED_AFTER = "AND ({table}.created_at, {table}.{key}) < (%(before_at)s, %(before_id)s)"


_MEMBER_OF = CompiledQuery(
    lambda *, viewer_id, now: (
        CommunitySubscription.objects.members(now=now)
        .filter(user_id=viewer_id)
        .values("community_id")
    ),
    {"viewer_id": some_id(), "now": some_time()},
    required=("viewer_id", "now"),
)


# The keys and the posts' card rows in one statement: the card query (`_POST_CARDS`, its
# one definition) takes its ids from the keys as a CTE instead of a parameter. One round
# trip instead of two, and no twenty ids quoted back to PostgreSQL (round 5 of issue 26).
_FEED_SQL = """
WITH feed_keys (kind, created_at, id, updated_at) AS MATERIALIZED ({keys})
SELECT feed_keys.kind, feed_keys.created_at, feed_keys.id, feed_keys.updated_at, cards.*
FROM feed_keys
LEFT JOIN ({cards}) AS cards ({columns}) ON cards.{card_pk} = feed_keys.id
ORDER BY feed_keys.created_at DESC, feed_keys.id DESC
"""
_FEED_POST_IDS = "ARRAY(SELECT id FROM feed_keys WHERE kind = 'post')"
# On one line: psycopg parses a statement of more than 4 096 characters again on every run
# (its cache keeps shorter ones), and with the post cards' SQL this one is about that long.
_FEED_SQL = " ".join(_FEED_SQL.split())
_FEED_KEYS_SQL = " ".join(_FEED_KEYS_SQL.split())


def _feed_rows(
    *, user, before
) -> tuple[list[tuple[str, datetime, uuid.UUID, datetime | None]], dict[uuid.UUID, CompiledRow]]:
    """The page's keys (kind, created_at, id, updated_at; a page and one more) and the
    card rows of the posts among them."""
    now = timezone.now()
    # Members whose access has ended (a lapsed subscription is still `is_active`) no longer
    # see the artist forums nor, in the feed, their artist's posts.
    member_sql, member_params = named_placeholders(
        *_MEMBER_OF.sql_with_params(viewer_id=user.pk, now=now), prefix="member"
    )
    cards = _POST_CARDS.keyed_by(_FEED_POST_IDS, viewer=user, now=now)
    cards_sql, cards_params = named_placeholders(cards.sql, cards.params, prefix="card")
    keys_sql = _FEED_KEYS_SQL.format(
        member_of=member_sql,
        # In the text, not a parameter: a prepared statement's generic plan would not know
        # it and could plan each artist's posts to be read whole.
        size=int(FEED_PAGE_SIZE + 1),
        posts_after=_FEED_AFTER.format(table="posts", key="post_id") if before else "",
        forum_posts_after=(
            _FEED_AFTER.format(table="forum_posts", key="forum_post_id") if before else ""
        ),
    )
    sql = _FEED_SQL.format(
        keys=keys_sql,
        cards=cards_sql,
        columns=", ".join(f"c{i}" for i in range(cards.width)),
        card_pk=f"c{cards.pk_position}",
    )
    params = {
        **member_params,
        **cards_params,
        "viewer": user.pk,
        "artist_forum": ForumType.ARTIST_FORUM,
        "before_at": before[0] if before else None,
        "before_id": before[1] if before else None,
    }
    # Through the router like the ORM's reads: a replica unless this browser just wrote.
    # Prepared: PostgreSQL took longer to plan it than to run it (round 5 of issue 26).
    using = router.db_for_read(Post)
    rows = prepared_rows(sql, params, using=using)
    keys = [row[:4] for row in rows]
    # A post key without its card row (its columns all NULL) is left out: none today, both
    # parts of the one statement leave deleted posts out.
    card_pk = 4 + cards.pk_position
    cards_read = cards.rows(
        (row[4:] for row in rows if row[0] == "post" and row[card_pk] is not None), using=using
    )
    return keys, {row["pk"]: row for row in cards_read}


def feed_page(*, user, before: tuple[datetime, uuid.UUID] | None = None) -> FeedPage:
    """Posts of followed artists and of artists whose communities the fan belongs to, plus
    the artists' own posts in those communities' artist forums, newest first."""
    keys, posts = _feed_rows(user=user, before=before)
    shown = keys[:FEED_PAGE_SIZE]
    next_cursor = encode_cursor(shown[-1][1:3]) if len(keys) > FEED_PAGE_SIZE else None
    forum_posts = _ForumPostCards([pk for kind, _, pk, _ in shown if kind == "forum_post"], user)
    items = [
        FeedItem(kind, pk, posts[pk].pick(CARD_VARY), posts[pk])
        if kind == "post"
        # A forum post's card varies on its key's row alone.
        else FeedItem(kind, pk, (pk, updated_at), forum_posts)
        for kind, _, pk, updated_at in shown
        # A post not readable as a card (none today: both reads leave deleted posts out).
        if kind != "post" or pk in posts
    ]
    suggested = []
    if not items and before is None:
        suggested = suggested_artists(
            user=user, exclude=followed_artist_ids(user), genre_ids=_genres_of(user)
        )
    return FeedPage(items=items, next_cursor=next_cursor, suggested_artists=suggested)


def suggested_artists(
    *, user, exclude: list[uuid.UUID], genre_ids: Sequence[uuid.UUID] = ()
) -> list[Artist]:
    """Artists to follow: those with published releases in the fan's genres first, then
    featured ones, then the most active; never the fan's own."""
    in_genres = Exists(
        ReleaseGenre.objects.filter(
            release__artist=OuterRef("pk"),
            release__published_at__isnull=False,
            genre_id__in=list(genre_ids),
        )
    )
    return list(
        Artist.objects.on_platform()
        .exclude(pk__in=exclude)
        .exclude(user=user)
        .annotate(
            post_count=_count(
                Post.objects.filter(artist=OuterRef("pk"), deleted_at__isnull=True), "artist"
            ),
            in_genres=in_genres if genre_ids else Value(False),
        )
        .order_by("-in_genres", "-featured", "-post_count", "artist_name")[:SUGGESTED_ARTISTS]
    )


def _genres_of(user) -> list[uuid.UUID]:
    return UserPreferences.objects.filter(user=user).values_list("genres", flat=True).first() or []


def onboarding_suggestions(*, user) -> list[Artist]:
    """The artists the last step of onboarding offers to follow, from the chosen genres
    (those already followed among them, shown as such)."""
    return suggested_artists(user=user, exclude=[], genre_ids=_genres_of(user))


# Comment threads -----------------------------------------------------------------------

# A page shows this many comments (top-level ones on the post page, or the replies of one
# comment on its replies page), each with at most REPLIES_SHOWN replies per comment for
# REPLY_LEVELS levels; the rest sit behind "more" links. A page is bounded whatever the
# thread holds: at most 20 * (3 + 9) = 260 comments, and usually a fraction of that.
COMMENTS_PAGE_SIZE = 20
REPLIES_SHOWN = 3
REPLY_LEVELS = 2


@dataclass(frozen=True)
class ThreadRow:
    """One comment of `_THREAD_SQL` as read: what a thread's `vary` needs, and the row to
    make its `Comment` of, only when the comment is rendered (not when the page's
    comments come from their shared fragment)."""

    values: tuple
    using: str

    def __getitem__(self, name: str):
        return self.values[_THREAD_COLUMNS[name]]

    def comment(self) -> Comment:
        """The comment with its author (`user`) and `like_count`, `liked`, `mine` and
        `reply_count`, as the templates read them; a deleted one without its text."""
        own, author = len(_COMMENT_FIELDS), len(_COMMENT_FIELDS) + len(_AUTHOR_FIELDS)
        comment = Comment.from_db(self.using, _COMMENT_FIELDS, self.values[:own])
        comment.user = User.from_db(self.using, _AUTHOR_FIELDS, self.values[own:author])
        comment.liked, comment.mine, comment.reply_count = self.values[author:]
        comment.like_count = comment.likes_count
        if comment.deleted_at is not None:
            comment.content = ""
        return comment


@dataclass
class CommentNode:
    row: ThreadRow
    children: list["CommentNode"] = field(default_factory=list)

    @cached_property
    def comment(self) -> Comment:
        return self.row.comment()

    @property
    def hidden_replies(self) -> int:
        return self.row["reply_count"] - len(self.children)

    @property
    def replies_cursor(self) -> str:
        """Where the "more replies" link of this comment continues: after the last shown."""
        return encode_cursor(self.children[-1].key) if self.children else ""

    @property
    def id(self) -> uuid.UUID:
        return self.row["id"]

    @property
    def key(self) -> tuple[datetime, uuid.UUID]:
        return (self.row["created_at"], self.row["id"])

    @property
    def vary(self) -> tuple:
        """What the comment's own HTML shows that changes (`{% fragment %}` in
        _comment.html): the row (a like moves its counter, not `updated_at`), the author's
        name (its `display_name`: a deleted author becomes "former member"), and the
        viewer's like and authorship. Read from the row: a page served from the fragment
        makes no `Comment`."""
        row = self.row
        return (
            row["id"],
            row["updated_at"],
            row["author_username"],
            row["likes_count"],
            row["liked"],
            row["mine"],
        )

    @property
    def thread_vary(self) -> tuple:
        """…and with the replies shown below it."""
        return (
            self.vary,
            self.hidden_replies,
            self.replies_cursor,
            *(child.thread_vary for child in self.children),
        )


@dataclass(frozen=True)
class CommentPage:
    nodes: list[CommentNode]
    next_cursor: str | None

    @cached_property
    def vary(self) -> str:
        """What the page of comments shows (a shared fragment in _comment_items.html):
        one read from Redis for the page instead of one per comment. A digest of the
        values (the next page's cursor, each comment's `thread_vary`), so that it can be
        kept (`post_comment_page`) and the page's key made again without its rows."""
        values = (self.next_cursor, *(node.thread_vary for node in self.nodes))
        return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()

    @property
    def has_nodes(self) -> bool:
        return bool(self.nodes)

    def every_node(self) -> Iterator[CommentNode]:
        """The comments shown, replies included, in the page's order."""
        stack = self.nodes[::-1]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.children[::-1])


# A comment is shown unless deleted; a deleted one stays, as a placeholder without its
# text, while it has replies, so that they remain readable in place.
_SHOWN = "({c}.deleted_at IS NULL OR EXISTS (SELECT 1 FROM comments r WHERE r.parent_comment_id = {c}.comment_id))"

# The columns a comment is read with (all its own) and its author's (what a byline shows:
# `display_name`, `is_deleted` and the avatar read no other).
_COMMENT_FIELDS = [f.attname for f in Comment._meta.concrete_fields]
_AUTHOR_FIELDS = ["id", "username", "profile_picture_url"]
# Where each is in a row of _THREAD_SQL (the author's prefixed), then the three computed.
_THREAD_COLUMNS = {
    name: i
    for i, name in enumerate(
        [
            *_COMMENT_FIELDS,
            *(f"author_{name}" for name in _AUTHOR_FIELDS),
            "liked",
            "mine",
            "reply_count",
        ]
    )
}

# One page of comments (the first COMMENTS_PAGE_SIZE + 1 of `{target}` after the cursor),
# the first REPLIES_SHOWN shown replies of each, and theirs, REPLY_LEVELS deep, each with
# its author, the viewer's like and authorship and its number of shown replies. Each step
# reads a handful of rows in order through idx_comments_post_top_level /
# idx_comments_parent_id, never the whole thread. Plain SQL rather than the ORM: building
# and compiling the annotated queryset cost more CPU than PostgreSQL spends running it.
_THREAD_SQL = f"""
WITH RECURSIVE page (comment_id) AS (
    SELECT c.comment_id FROM comments c
    WHERE {{target}} AND {_SHOWN.format(c="c")} {{after}}
    ORDER BY c.created_at DESC, c.comment_id DESC LIMIT %(page_size)s
),
shown (comment_id, level) AS (
    SELECT page.comment_id, 0 FROM page
  UNION ALL
    SELECT reply.comment_id, shown.level + 1
    FROM shown
    CROSS JOIN LATERAL (
        SELECT c.comment_id FROM comments c
        WHERE c.parent_comment_id = shown.comment_id AND {_SHOWN.format(c="c")}
        ORDER BY c.created_at DESC, c.comment_id DESC LIMIT %(replies)s
    ) AS reply
    WHERE shown.level < %(levels)s
)
SELECT {", ".join(f"c.{column_of(Comment, name)}" for name in _COMMENT_FIELDS)},
       {", ".join(f"u.{column_of(User, name)}" for name in _AUTHOR_FIELDS)},
       EXISTS (SELECT 1 FROM likes l
               WHERE l.comment_id = c.comment_id AND l.user_id = %(viewer)s) AS liked,
       coalesce(c.user_id = %(viewer)s, false) AS mine,
       (SELECT count(*) FROM comments s
        WHERE s.parent_comment_id = c.comment_id AND {_SHOWN.format(c="s")}) AS reply_count
FROM shown
JOIN comments c ON c.comment_id = shown.comment_id
JOIN users u ON u.user_id = c.user_id
ORDER BY c.created_at DESC, c.comment_id DESC
"""  # noqa: S608 - constant SQL: the values are parameters
_THREAD_TARGETS = {
    "post": "c.post_id = %(target)s AND c.parent_comment_id IS NULL",
    "review": "c.review_id = %(target)s AND c.parent_comment_id IS NULL",
    "parent": "c.parent_comment_id = %(target)s",
}
_AFTER = "AND (c.created_at, c.comment_id) < (%(before_at)s, %(before_id)s)"


def _thread_rows(*, viewer, kind: str, target_id, before) -> list[ThreadRow]:
    """The comments of `_THREAD_SQL`, newest first."""
    sql = _THREAD_SQL.format(target=_THREAD_TARGETS[kind], after=_AFTER if before else "")
    params = {
        "target": target_id,
        "before_at": before[0] if before else None,
        "before_id": before[1] if before else None,
        "page_size": COMMENTS_PAGE_SIZE + 1,
        "replies": REPLIES_SHOWN,
        "levels": REPLY_LEVELS,
        "viewer": viewer.pk if viewer is not None and viewer.is_authenticated else None,
    }
    # Through the router like the ORM's reads: a replica unless this browser just wrote.
    using = router.db_for_read(Comment)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return [ThreadRow(values, using) for values in cursor.fetchall()]


def comment_page(
    *,
    viewer,
    post: Post | None = None,
    review: Review | None = None,
    parent: Comment | None = None,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> CommentPage:
    """One page of the comments on a post or review (or of the replies to `parent`),
    newest first, with their first replies nested: one query whatever the thread holds."""
    if parent is not None:
        kind, target_id = "parent", parent.pk
    elif post is not None:
        kind, target_id = "post", post.pk
    elif review is not None:
        kind, target_id = "review", review.pk
    else:
        raise ValueError("Comments are of a post or a review, or replies to a comment.")
    rows = _thread_rows(viewer=viewer, kind=kind, target_id=target_id, before=before)
    nodes = {row["id"]: CommentNode(row) for row in rows}
    page_parent_id = parent.pk if parent is not None else None
    page = [node for node in nodes.values() if node.row["parent_comment_id"] == page_parent_id]
    for node in nodes.values():
        if node.row["parent_comment_id"] != page_parent_id:
            nodes[node.row["parent_comment_id"]].children.append(node)
    next_cursor = None
    if len(page) > COMMENTS_PAGE_SIZE:  # the one read ahead, to know there is more
        page = page[:COMMENTS_PAGE_SIZE]
        next_cursor = encode_cursor(page[-1].key)
    return CommentPage(nodes=page, next_cursor=next_cursor)


# The post page's first page of comments, kept between changes -----------------------
#
# Reading a thread's rows (~0.9 ms a request, mostly the round trip) only to learn what
# its page of comments varies on cost as much as the rest of a warm post page. What that
# `vary` holds changes only when a comment of the post is written (a new comment or
# reply, an edit, a deletion, a moderator's removal, a like of a comment: its counter) or
# when an author's name changes. So each post has a version in Redis (a random token,
# forgotten by those writes, again once committed: content.services.comment_thread_forget, and the
# receivers of content/receivers.py for saves from anywhere) and one epoch for every
# post (forgotten when any user's name may have changed: comment_threads_forget_all). A
# viewer's `vary` (whose likes and own comments it holds) is kept with the version and
# epoch it was read under, and used only while both are still those: exactly the value
# the rows would give, never an older one.
#
# Why that is exact: a token is observed (read, or set when missing) before the rows are
# read, and a writer forgets it (also) after its commit. A state kept from rows read before
# a commit therefore names a token that the commit's forgetting removes; tokens are
# random, so a removed one never comes back. States are kept only from the primary's
# rows (a lagging replica's would outlive the change). If Redis loses a forgetting (down
# for a moment), a state lives no longer than the fragments themselves.

THREAD_EPOCH_KEY = "thread:epoch"
THREAD_VERSION_SECONDS = 24 * 60 * 60


def comment_thread_version_key(post_id) -> str:
    return f"thread:version:{post_id}"


def _thread_state_key(post_id, viewer_id) -> str:
    return f"thread:state:{post_id}:{viewer_id or '-'}"


@dataclass(frozen=True)
class KeptCommentPage:
    """What a page of comments varies on, kept (see above): enough to find its shared
    fragment. The view reads the rows (`comment_page`) when the fragment must be
    rendered."""

    vary: str
    has_nodes: bool


def post_comment_page(*, viewer, post: Post) -> CommentPage | KeptCommentPage:
    """The first page of a post's comments: kept if this viewer's is still current, else
    read (as `comment_page`) and kept."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    version_key = comment_thread_version_key(post.pk)
    state_key = _thread_state_key(post.pk, viewer_id)
    found = cache.get_many([version_key, THREAD_EPOCH_KEY, state_key])
    version, epoch = found.get(version_key), found.get(THREAD_EPOCH_KEY)
    state = found.get(state_key)
    if version is not None and epoch is not None and state is not None:
        kept_version, kept_epoch, vary, has_nodes = state
        if (kept_version, kept_epoch) == (version, epoch):
            return KeptCommentPage(vary=vary, has_nodes=has_nodes)
    new = {}
    if version is None:
        version = new[version_key] = secrets.token_hex(16)
    if epoch is None:
        epoch = new[THREAD_EPOCH_KEY] = secrets.token_hex(16)
    if new:  # before the rows are read (see above)
        cache.set_many(new, THREAD_VERSION_SECONDS)
    # Read where the request reads (a replica unless this browser just wrote), kept only
    # when read from the primary: a lagging replica's rows would outlive the change.
    using = router.db_for_read(Comment)
    page = comment_page(viewer=viewer, post=post)
    if using == DEFAULT_DB_ALIAS:
        cache.set(
            state_key, (version, epoch, page.vary, page.has_nodes), settings.FRAGMENT_CACHE_SECONDS
        )
    return page


# Share links ---------------------------------------------------------------------------


def share_link_by_token(token: str) -> ShareLink | None:
    return (
        ShareLink.objects.filter(share_token=token, post__deleted_at__isnull=True)
        .select_related("post__artist")
        .first()
    )


# Reviews -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None
    # (stars, how many, share of all in percent), five stars first
    distribution: list[tuple[int, int, int]]


def counted_in_ratings(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The reviews that count in averages: with REVIEW_MIN_ACCOUNT_AGE_DAYS set, not those
    of accounts younger than that (a burst of fresh accounts cannot move a rating)."""
    days = settings.REVIEW_MIN_ACCOUNT_AGE_DAYS
    if not days:
        return reviews
    return reviews.filter(user__created_at__lte=timezone.now() - timedelta(days=days))


def rating_summary(reviews: QuerySet[Review]) -> RatingSummary:
    totals = counted_in_ratings(reviews).aggregate(
        count=Count("pk"),
        average=Avg("rating"),
        **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
    )
    count = totals["count"]
    distribution = [
        (n, totals[f"stars_{n}"], round(100 * totals[f"stars_{n}"] / count) if count else 0)
        for n in range(5, 0, -1)
    ]
    average = round(float(totals["average"]), 1) if totals["average"] is not None else None
    return RatingSummary(count=count, average=average, distribution=distribution)


def reviewed_item(*, viewer, content_type: str, content_id: str, page_number=None) -> dict | None:
    reviews = Review.objects.filter(content_type=content_type, content_id=content_id)
    listed = reviews_for(viewer).filter(pk__in=reviews.values("pk")).order_by("-created_at", "-pk")
    page = Paginator(listed, REVIEWS_PAGE_SIZE).get_page(page_number)
    if not page.object_list:
        return None
    shown = page.object_list[0]
    return {
        "content_type": content_type,
        "content_id": content_id,
        "content_name": shown.content_name,
        "artist": shown.artist,
        "artist_name": shown.artist_name,
        "page": page,
        "summary": rating_summary(reviews),
        # Looked up apart from the page: the own review may be on another one.
        "own_review": (
            reviews.filter(user_id=viewer.pk).first()
            if viewer is not None and viewer.is_authenticated
            else None
        ),
    }


def latest_item_reviews(
    *, viewer, content_type: str, content_id: str, limit: int = LATEST_ITEM_REVIEWS
) -> dict:
    """An item's rating summary, newest reviews and the viewer's own (a release's page)."""
    reviews = Review.objects.filter(content_type=content_type, content_id=content_id)
    return {
        "summary": rating_summary(reviews),
        "latest": list(
            reviews_for(viewer)
            .filter(content_type=content_type, content_id=content_id)
            .order_by("-created_at", "-pk")[:limit]
        ),
        "own_review": (
            reviews.filter(user_id=viewer.pk).first() if viewer.is_authenticated else None
        ),
    }


def artist_reviews(*, viewer, artist: Artist, page_number=None) -> dict:
    reviews = Review.objects.filter(artist=artist)
    listed = reviews_for(viewer).filter(artist=artist).order_by("-created_at", "-pk")
    return {
        "artist": artist,
        "page": Paginator(listed, REVIEWS_PAGE_SIZE).get_page(page_number),
        "summary": rating_summary(reviews),
    }


# Explore -------------------------------------------------------------------------------


FEATURED_CACHE_KEY = "explore:featured"
POPULAR_CACHE_KEY = "explore:popular-posts"
# The home page's lists (musicplatform.selectors.HomePage) include public posts, so it is
# keyed here, where a post's audience changes and drops it.
HOME_CACHE_KEY = "home:page"
NEW_ARTISTS_CACHE_KEY = "explore:new-artists"
# Featured items are invalidated when they (or what they show) change, and expire within
# five minutes so that placement windows open and close on time; popularity moves with
# every like, so it is recomputed at most once a minute instead.
FEATURED_CACHE_SECONDS = 5 * 60
POPULAR_CACHE_SECONDS = 60


class ExplorePage:
    """The explore page, read only as far as the template asks.

    Its HTML is a shared fragment (`{% fragment %}`): the same for every viewer who liked
    and wrote the same of its popular posts, until the featured section is recomputed
    (`vary`). A viewer served from the cache costs two reads from Redis and one small
    query; the other lists are read only to render the page afresh.
    """

    def __init__(self, *, viewer):
        self.viewer = viewer
        # What every visit needs, also one served from the fragment (its `vary`), in one
        # round trip to Redis. The popular posts are (post id, id of its artist's user),
        # most liked first; the new artists' ids are for the page's Follow buttons.
        self._popular, self.featured, self.new_artists = cached_many(
            CachedValue(POPULAR_CACHE_KEY, _popular_posts, POPULAR_CACHE_SECONDS),
            FEATURED_SECTION,
            CachedValue(NEW_ARTISTS_CACHE_KEY, _new_artists, POPULAR_CACHE_SECONDS),
        )

    @cached_property
    def vary(self) -> tuple:
        featured_at = self.featured["computed_at"]
        if not self.viewer.is_authenticated:
            return (featured_at, (), (), self.follows.vary)
        liked = [
            row.values[0]
            for row in _LIKED_AMONG.rows(
                viewer_id=self.viewer.pk, post_ids=[pk for pk, _ in self._popular]
            )
        ]
        mine = [pk for pk, author_id in self._popular if author_id == self.viewer.pk]
        return (featured_at, tuple(sorted(liked)), tuple(mine), self.follows.vary)

    @cached_property
    def follows(self) -> FollowStates:
        """The Follow buttons of the featured and new artists."""
        shown = [*self.featured["artists"], *self.new_artists]
        return follow_states(viewer=self.viewer, artist_ids=[artist.pk for artist in shown])

    @cached_property
    def popular_posts(self) -> list[Post]:
        # Re-read through posts_for(), so that a post deleted since the ranking drops out.
        ids = [pk for pk, _ in self._popular]
        posts = {post.pk: post for post in posts_for(self.viewer).filter(pk__in=ids)}
        return [posts[pk] for pk in ids if pk in posts]


def _liked_among(*, viewer_id, post_ids) -> QuerySet:
    # `post_id = ANY(array)`: one parameter however many posts (`__in` writes one each).
    ids = Value(post_ids, output_field=ArrayField(UUIDField()))
    any_of = Func(
        F("post_id"), ids, template="%(expressions)s)", arg_joiner=" = ANY(",
        output_field=BooleanField(),
    )  # fmt: skip
    return Like.objects.filter(any_of, user_id=viewer_id).values_list("post_id", flat=True)


# Which of the popular posts the viewer liked, on every visit of the explore page: built
# and compiled once per process (building the queryset was a tenth of a warm visit's CPU).
_LIKED_AMONG = CompiledQuery(
    _liked_among,
    {"viewer_id": some_id(), "post_ids": some_ids()},
    required=("viewer_id", "post_ids"),
)


def _new_artists() -> list[Artist]:
    return list(Artist.objects.on_platform().order_by("-created_at")[:EXPLORE_LIST_SIZE])


def _popular_posts() -> list[tuple[uuid.UUID, uuid.UUID]]:
    # The explore page is one shared fragment whoever reads it: public posts only.
    return list(
        readable_posts(None)
        .filter(
            artist__removed_at__isnull=True,
            created_at__gte=timezone.now() - POPULAR_WINDOW,
        )
        .order_by("-likes_count", "-created_at")
        .values_list("pk", "artist__user_id")[:EXPLORE_LIST_SIZE]
    )


def _catalogue_item(content_type: str, item_id: str, names: dict, on_platform: dict) -> dict:
    """A featured album or song: a release or track of ours (cover, play button), or an
    external catalogue id named by its reviews."""
    item = {"content_type": content_type, "content_id": item_id}
    found = on_platform.get(item_id)
    if found is None:
        return names.get((content_type, item_id), item)
    release, track = found["release"], found["track"]
    return {
        **item,
        **found,
        "content_name": release.title if content_type == "album" else track.title,
        "artist_name": release.artist.artist_name,
    }


# Artists staff flagged as featured (`artists.featured`, from the admin) shown after the
# placements, by name: a bounded list, however many are flagged.
FLAGGED_ARTISTS_SHOWN = 12


def featured_section() -> dict:
    """What is featured now, the one source of every surface that shows featured things
    (home, explore); invalidated on commit by whatever changes it (content/receivers.py)."""
    return cached_many(FEATURED_SECTION)[0]


def featured_now() -> dict:
    """The featured artists, products, albums and songs: live placements (curated by staff
    or paid) in position order, then the artists staff flagged as featured."""
    featured = list(featured_items_live())
    by_type: dict[str, list[FeaturedItem]] = {t: [] for t in FeaturedItemType.values}
    for item in featured:
        by_type[item.item_type].append(item)
    # item_id has no foreign key (D7): resolve each kind in one query, skip what is gone.
    artists = Artist.objects.on_platform().in_bulk(
        well_formed_uuids(i.item_id for i in by_type["artist"])
    )
    products = (
        Product.objects.filter(
            pk__in=well_formed_uuids(i.item_id for i in by_type["product"]),
            is_active=True,
            artist__removed_at__isnull=True,
        )
        .select_related("artist")
        .in_bulk()
    )
    catalogue_ids = [i.item_id for i in by_type["album"] + by_type["song"]]
    # Albums and songs live in an external catalogue (D8); reviews know their names.
    names = {
        (row["content_type"], row["content_id"]): row
        for row in Review.objects.filter(content_id__in=catalogue_ids)
        .values("content_type", "content_id", "content_name", "artist_name")
        .distinct()
    }
    on_platform = featured_catalogue(
        album_ids=well_formed_uuids(i.item_id for i in by_type["album"]),
        song_ids=well_formed_uuids(i.item_id for i in by_type["song"]),
    )
    placed = [
        artists[pk]
        for pk in well_formed_uuids(i.item_id for i in by_type["artist"])
        if pk in artists
    ]
    flagged = (
        Artist.objects.on_platform().filter(featured=True).exclude(pk__in=[a.pk for a in placed])
    )
    return {
        "artists": list(dict.fromkeys(placed))
        + list(flagged.order_by("artist_name", "pk")[:FLAGGED_ARTISTS_SHOWN]),
        "products": [
            products[pk]
            for pk in well_formed_uuids(i.item_id for i in by_type["product"])
            if pk in products
        ],
        "albums": [
            _catalogue_item("album", i.item_id, names, on_platform) for i in by_type["album"]
        ],
        "songs": [_catalogue_item("song", i.item_id, names, on_platform) for i in by_type["song"]],
        # Staff expect their curation on the page at once: the explore page's shared
        # fragment varies on this, so a recomputed section shows without waiting for it.
        "computed_at": time.time_ns(),
    }


FEATURED_SECTION = CachedValue(FEATURED_CACHE_KEY, featured_now, FEATURED_CACHE_SECONDS)
