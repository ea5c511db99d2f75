"""`manage.py generate_data --scale N`: a large, connected data set for performance work.

Every row is made by PostgreSQL itself (`INSERT … SELECT … FROM generate_series`), in
batches of `--batch-size` rows, each batch its own transaction (so deferred foreign keys are
checked batch by batch, never millions at once at the end). Ids are derived from the row
number (`md5('gen<run>:<kind>:<n>')::uuid`), so a comment finds its post, a like its target
and an order its products by arithmetic instead of joins, and every unique key holds by
construction (see the pairing comments below).

It lives in `accounts` beside `seed_demo`: both fill every domain, and accounts is the app
every other one already depends on (users).

Generated users are `gen<run>_<n>` (`gen1_1` … for the first run) with the email
`gen<run>_<n>@example.com`, verified, and the password GENERATED_PASSWORD. Users 1 … artists
own the artist profiles; everyone follows a few artists, so feeds are never empty.

A database that already holds generated data is refused unless `--append` is given, which
adds another run (`gen2_…`) beside the first.
"""

import hashlib
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from communities.services.listing import member_counts_refresh
from content.services import comment_threads_forget_all
from ledger.services import ledger_payments_record_bulk
from payments.models import Payment, PaymentStatus
from shop.demo_files import demo_download
from shop.models import private_storage

GENERATED_PASSWORD = "generated-password"  # noqa: S105 - documented, generated accounts only
USERNAME_PATTERN = r"^gen[0-9]+_[0-9]+$"

# Scale 1; every count is multiplied by --scale (at least 1 of each).
BASE = {
    "users": 10_000,
    "artists": 1_000,
    "communities": 2_000,
    "subscriptions": 100_000,
    "posts": 200_000,
    "comments": 1_000_000,
    "likes": 3_000_000,
    "reviews": 50_000,
    "products": 20_000,
    "orders": 100_000,
    "notifications": 200_000,
    # Not named in issue 12, but the forum and live event pages need something to show.
    "forum_posts": 50_000,
}
# Below this, reviews and likes would run out of distinct (user, target) pairs.
MIN_SCALE = 0.001
# A post page "with 200 comments": one post in a thousand gets exactly that many.
HOT_POST_COMMENTS = 200
HOT_POST_SHARE = 1_000
MINUTES_PER_YEAR = 525_600

FIRST_NAMES = "Ana Ben Chloe Diego Emma Felix Grace Hugo Ines Jonas Kira Liam Mia Noah Olga Paul"
LAST_NAMES = "Silva Berg Costa Dubois Evans Fischer Garcia Hansen Ito Jensen Kowalski Lopez"
NAME_WORDS_1 = "Velvet Neon Silver Golden Midnight Electric Crystal Wild Hollow Paper"
NAME_WORDS_2 = "Echo Tide Harbor Foxes Signal Garden Mirrors Comets Lanterns Rivers"
POST_TEXTS = (
    "New single out now, tell me what you think!",
    "Back in the studio tonight.",
    "Tour dates are up: see you there.",
    "Thank you for an amazing show last night!",
    "A little demo I recorded this morning.",
    "Rehearsal photos from this week.",
)
COMMENT_TEXTS = (
    "Love this!",
    "On repeat all day.",
    "Can't wait for the tour.",
    "This is your best one yet.",
    "The bridge gives me chills.",
    "Please play this live!",
)


def _sql_array(words) -> str:
    items = words.split() if isinstance(words, str) else words
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in items) + "]"


def _pick(words, index_sql: str) -> str:
    """One element of a fixed list, chosen by a row-number expression."""
    items = words.split() if isinstance(words, str) else words
    return f"({_sql_array(items)})[1 + mod({index_sql}, {len(items)})]"


@dataclass(frozen=True)
class Counts:
    users: int
    artists: int
    communities: int
    subscriptions: int
    posts: int
    comments: int
    likes: int
    reviews: int
    products: int
    orders: int
    notifications: int
    forum_posts: int

    @classmethod
    def at(cls, scale: float) -> "Counts":
        counts = cls(**{name: max(1, round(base * scale)) for name, base in BASE.items()})
        # Unique pairs cannot outnumber the pairs there are (only bites at tiny scales).
        return replace(
            counts, subscriptions=min(counts.subscriptions, counts.fans * counts.communities)
        )

    @property
    def fans(self) -> int:
        return max(1, self.users - self.artists)

    @property
    def hot_posts(self) -> int:
        return max(1, self.posts // HOT_POST_SHARE)

    @property
    def catalogue_items(self) -> int:
        return max(1, self.reviews // 10)


class Generator:
    def __init__(self, *, run: int, counts: Counts, anchor: datetime):
        self.tag = f"gen{run}"
        self.c = counts
        self.anchor = anchor
        self.password_hash = make_password(GENERATED_PASSWORD)
        # The comment segments, by comment number: hot posts, other posts, replies, reviews.
        self.hot_comments = min(counts.comments, HOT_POST_COMMENTS * counts.hot_posts)
        rest = counts.comments - self.hot_comments
        self.review_comments = rest // 20
        self.replies = rest // 5
        self.top_level = counts.comments - self.review_comments - self.replies

    # Row-number expressions -----------------------------------------------------------

    def uid(self, kind: str, n_sql: str) -> str:
        return f"md5('{self.tag}:{kind}:' || ({n_sql}))::uuid"

    def ago(self, minutes_sql: str) -> str:
        return f"(%(anchor)s::timestamptz - make_interval(mins => ({minutes_sql})::int))"

    def artist_name(self, a_sql: str) -> str:
        return (
            f"{_pick(NAME_WORDS_1, a_sql)} || ' ' || {_pick(NAME_WORDS_2, f'({a_sql}) / 10')}"
            f" || ' ' || ({a_sql})"
        )

    def post_created(self, p_sql: str) -> str:
        # Spread over the year before the anchor.
        return self.ago(f"mod(({p_sql}) * 7919, {MINUTES_PER_YEAR})")

    def comment_post(self, k_sql: str) -> str:
        """The post a top-level comment (number k) belongs to."""
        return (
            f"CASE WHEN ({k_sql}) <= {self.hot_comments} "
            f"THEN 1 + mod(({k_sql}) - 1, {self.c.hot_posts}) "
            f"ELSE 1 + mod(({k_sql}) * 7919, {self.c.posts}) END"
        )

    def product_price(self, p_sql: str) -> str:
        return f"(4.99 + mod(({p_sql}) * 7, 50))"

    def user_email(self, u_sql: str) -> str:
        return f"'{self.tag}_' || ({u_sql}) || '@example.com'"

    # Stages ----------------------------------------------------------------------------

    def stages(self):
        c = self.c
        yield "users", c.users, self.users
        yield "artists", c.artists, self.artists
        yield "communities", c.communities, self.communities
        yield "subscriptions", c.subscriptions, self.subscriptions
        yield "posts", c.posts, self.posts
        yield "reviews", c.reviews, self.reviews
        yield "comments", c.comments, self.comments
        yield "likes", c.likes, self.likes
        yield "products", c.products, self.products
        yield "orders", c.orders, self.orders
        yield "ledger", max(c.subscriptions, c.orders), self.ledger
        yield "forum posts", c.forum_posts, self.forum_posts
        yield "notifications", c.notifications, self.notifications

    def users(self, cur, lo, hi):
        c = self.c
        cur.execute(
            f"""
            INSERT INTO users (user_id, username, email, password_hash, full_name, is_verified,
                               is_artist, is_superuser, country, bio, created_at,
                               updated_at)
            SELECT {self.uid("user", "n")}, '{self.tag}_' || n, {self.user_email("n")},
                   %(hash)s,
                   {_pick(FIRST_NAMES, "n")} || ' ' || {_pick(LAST_NAMES, "n / 16")},
                   true, n <= {c.artists}, false, {_pick("DE US FR BR JP GB SE ES", "n")},
                   'Generated listener ' || n, {self.ago("mod(n * 37, 1051200)")},
                   {self.ago("mod(n * 37, 1051200)")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"hash": self.password_hash, "lo": lo, "hi": hi, "anchor": self.anchor},
        )
        # allauth signs in only users with a verified address (mandatory verification).
        cur.execute(
            f"""
            INSERT INTO account_emailaddress (user_id, email, verified, "primary")
            SELECT {self.uid("user", "n")}, {self.user_email("n")}, true, true
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi},
        )
        # Two to nine followed artists each: the feed has posts for everyone.
        cur.execute(
            f"""
            INSERT INTO user_preferences (user_id, favorite_artists)
            SELECT {self.uid("user", "n")},
                   ARRAY(SELECT DISTINCT {self.uid("artist", f"1 + mod(n * 31 + i * 97, {c.artists})")}
                         FROM generate_series(0, 1 + mod(n, 8)::int) i)
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi},
        )

    def artists(self, cur, lo, hi):
        cur.execute(
            f"""
            INSERT INTO artists (artist_id, user_id, artist_name, bio, verification_status,
                                 featured, created_at, updated_at)
            SELECT {self.uid("artist", "n")}, {self.uid("user", "n")}, {self.artist_name("n")},
                   'Generated artist ' || n || '. Songs about cities, rivers and late trains.',
                   CASE WHEN mod(n, 3) = 0 THEN 'verified' ELSE 'pending' END,
                   mod(n, 50) = 1, {self.ago("mod(n * 53, 1051200)")},
                   {self.ago("mod(n * 53, 1051200)")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )
        # Every artist sells physical products (see `products`), so each has a shipping
        # rate for the rest of the world.
        cur.execute(
            f"""
            INSERT INTO shipping_rates (shipping_rate_id, artist_id, country, amount, created_at)
            SELECT {self.uid("shipping-rate", "n")}, {self.uid("artist", "n")}, NULL,
                   4.00 + mod(n, 5), %(anchor)s
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def community_fee(self, n_sql: str) -> str:
        return f"(2.99 + mod({n_sql}, 10))"

    def communities(self, cur, lo, hi):
        c = self.c
        cur.execute(
            f"""
            INSERT INTO communities (community_id, artist_id, name, description,
                                     subscription_fee, subscription_interval)
            SELECT {self.uid("community", "n")}, {self.uid("artist", f"1 + mod(n - 1, {c.artists})")},
                   'Inner Circle ' || n, 'Early demos, live Q&A and a place to meet other fans.',
                   {self.community_fee("n")},
                   CASE WHEN mod(n, 5) = 0 THEN 'yearly' ELSE 'monthly' END
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi},
        )
        cur.execute(
            f"""
            INSERT INTO forums (forum_id, community_id, name, description, forum_type)
            SELECT {self.uid("forum", "n || '-' || f.kind")}, {self.uid("community", "n")},
                   f.name, f.name || ' of community ' || n, f.kind
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n,
                 (VALUES ('artist_forum', 'From the artist'), ('all_chat', 'All chat'),
                         ('fan_art', 'Fan art'), ('suggestions', 'Suggestions')) f(kind, name)
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi},
        )
        # One event per community: a live one in every tenth, the rest scheduled.
        cur.execute(
            f"""
            INSERT INTO live_events (event_id, community_id, title, event_type, start_time,
                                     status)
            SELECT {self.uid("event", "n")}, {self.uid("community", "n")},
                   'Listening party #' || n,
                   CASE WHEN mod(n, 2) = 0 THEN 'qa' ELSE 'chat' END,
                   %(anchor)s::timestamptz + make_interval(days => mod(n, 30)::int),
                   CASE WHEN mod(n, 10) = 1 THEN 'live' ELSE 'scheduled' END
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def subscriptions(self, cur, lo, hi):
        c = self.c
        # Subscription k pairs fan j = k mod fans with community (7j + round) mod communities,
        # round = k div fans: distinct communities per fan while rounds < communities.
        j = f"mod(n - 1, {c.fans})"
        community = f"1 + mod({j} * 7 + (n - 1) / {c.fans}, {c.communities})"
        params = {"lo": lo, "hi": hi, "anchor": self.anchor}
        cur.execute(
            f"""
            INSERT INTO community_subscriptions (subscription_id, user_id, community_id,
                start_date, end_date, is_active, payment_id, auto_renew, status, price,
                billing_interval)
            SELECT {self.uid("subscription", "n")}, {self.uid("user", f"{c.artists} + 1 + {j}")},
                   communities.community_id,
                   {self.ago("mod(n * 41, 43200) + 43200")},
                   CASE WHEN mod(n, 10) = 0 THEN {self.ago("mod(n, 43200)")}
                        ELSE %(anchor)s::timestamptz + make_interval(mins => mod(n * 41, 43200)::int) END,
                   mod(n, 20) <> 0, {self.uid("subscription-payment", "n")}, mod(n, 4) <> 0,
                   CASE WHEN mod(n, 20) = 0 THEN 'ended'
                        WHEN mod(n, 4) = 0 THEN 'cancelled' ELSE 'active' END,
                   communities.subscription_fee, communities.subscription_interval
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            JOIN communities ON communities.community_id = {self.uid("community", community)}
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            params,
        )
        cur.execute(
            f"""
            INSERT INTO payments (payment_id, user_id, subscription_id, purpose, amount,
                                  gateway, payment_method, payment_status, payment_date)
            SELECT {self.uid("subscription-payment", "n")},
                   {self.uid("user", f"{c.artists} + 1 + {j}")}, {self.uid("subscription", "n")},
                   'subscription', {self.community_fee(community)}, 'test', 'Visa •••• 4242',
                   'completed',
                   {self.ago("mod(n * 41, 43200) + 43200")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            params,
        )

    def posts(self, cur, lo, hi):
        c = self.c
        cur.execute(
            f"""
            INSERT INTO posts (post_id, artist_id, content_text, media_type, created_at,
                               updated_at, deleted_at)
            SELECT {self.uid("post", "n")}, {self.uid("artist", f"1 + mod(n - 1, {c.artists})")},
                   {_pick(POST_TEXTS, "n")}, 'none', {self.post_created("n")},
                   {self.post_created("n")},
                   CASE WHEN mod(n, 100) = 99 THEN {self.post_created("n")} END
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def comments(self, cur, lo, hi):
        """Comments 1 … top_level sit on posts, then replies to them, then review comments."""
        c = self.c
        first_reply = self.top_level + 1
        first_review = self.top_level + self.replies + 1
        parent = f"(1 + mod(n * 31, {self.top_level}))"
        post = f"""CASE WHEN n < {first_reply} THEN {self.uid("post", self.comment_post("n"))}
                        WHEN n < {first_review} THEN {self.uid("post", self.comment_post(parent))}
                   END"""
        # A little after the post, never after the anchor.
        created = f"""LEAST(%(anchor)s::timestamptz,
                      CASE WHEN n < {first_reply} THEN {self.post_created(self.comment_post("n"))}
                           WHEN n < {first_review} THEN {self.post_created(self.comment_post(parent))}
                           ELSE {self.ago("mod(n * 7, 525600)")} END
                      + make_interval(mins => mod(n, 600)::int))"""
        cur.execute(
            f"""
            INSERT INTO comments (comment_id, post_id, parent_comment_id, review_id, user_id,
                                  content, created_at, updated_at)
            SELECT {self.uid("comment", "n")}, {post},
                   CASE WHEN n >= {first_reply} AND n < {first_review}
                        THEN {self.uid("comment", parent)} END,
                   CASE WHEN n >= {first_review}
                        THEN {self.uid("review", f"1 + mod(n, {c.reviews})")} END,
                   {self.uid("user", f"1 + mod(n * 13, {c.users})")},
                   {_pick(COMMENT_TEXTS, "n")}, {created}, {created}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def reviews(self, cur, lo, hi):
        c = self.c
        # Review k pairs user k mod users with item (user + round) mod items: one review per
        # fan and item while rounds <= items.
        u = f"mod(n - 1, {c.users})"
        item = f"mod({u} + (n - 1) / {c.users}, {c.catalogue_items})"
        kind = f"CASE WHEN mod({item}, 2) = 0 THEN 'album' ELSE 'song' END"
        artist = f"1 + mod({item}, {c.artists})"
        cur.execute(
            f"""
            INSERT INTO reviews (review_id, user_id, content_type, content_id, artist_id,
                                 artist_name, content_name, title, text_content, rating,
                                 created_at, updated_at)
            SELECT {self.uid("review", "n")}, {self.uid("user", f"1 + {u}")}, {kind},
                   '{self.tag}-' || {kind} || '-' || {item}, {self.uid("artist", artist)},
                   {self.artist_name(artist)},
                   CASE WHEN mod({item}, 2) = 0 THEN 'Album ' ELSE 'Song ' END || {item},
                   'Review #' || n, 'Strong songwriting, great production, a few weak spots.',
                   (ARRAY[5, 4, 5, 3, 4, 2, 5, 1, 4, 5])[1 + mod(n, 10)],
                   {self.ago("mod(n * 11, 525600)")}, {self.ago("mod(n * 11, 525600)")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def likes(self, cur, lo, hi):
        """Likes 1 … total: 60 % on posts, 30 % on comments, 10 % on reviews.

        Within a segment, like k pairs user k mod users with target (7·user + round) mod
        targets, round = k div users: one like per user and target while rounds < targets.
        """
        c = self.c
        on_posts = c.likes * 6 // 10
        on_comments = c.likes * 3 // 10
        segments = (
            ("post", 0, on_posts, c.posts),
            ("comment", on_posts, on_comments, c.comments),
            ("review", on_posts + on_comments, c.likes - on_posts - on_comments, c.reviews),
        )
        for kind, start, size, targets in segments:
            size = min(size, c.users * targets)
            seg_lo, seg_hi = max(lo, start + 1), min(hi, start + size)
            if seg_lo > seg_hi:
                continue
            k = f"(n - {start} - 1)"
            u = f"mod({k}, {c.users})"
            target = self.uid(kind, f"1 + mod({u} * 7 + {k} / {c.users}, {targets})")
            cur.execute(
                f"""
                INSERT INTO likes (like_id, user_id, {kind}_id, created_at)
                SELECT {self.uid("like", "n")}, {self.uid("user", f"1 + {u}")}, {target},
                       {self.ago("mod(n * 17, 525600)")}
                FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
                """,  # noqa: S608 - row-number SQL of this module; values are parameters
                {"lo": seg_lo, "hi": seg_hi, "anchor": self.anchor},
            )

    def physical(self, n_sql: str) -> str:
        """Whether product n is physical: every merchandise (n mod 3 = 2), and every other
        exclusive release (n mod 6 = 1)."""
        return f"(mod({n_sql}, 3) = 2 OR mod({n_sql}, 6) = 1)"

    def digital_file(self) -> str:
        """The one file every generated digital product delivers (made by code, saved
        once per run): like the product form, no digital product is without its file."""
        storage = private_storage()
        name = f"products/generated-{self.tag}.zip"
        if not storage.exists(name):
            name = storage.save(name, demo_download(f"Generated {self.tag}"))
        return name

    def products(self, cur, lo, hi):
        """Physical products (`physical`) have stock, and their artist shipping rates
        (`artists` stage); the others are digital, with a file."""
        c = self.c
        kind = "(ARRAY['music_download', 'exclusive_release', 'merchandise'])[1 + mod(n, 3)]"
        physical = self.physical("n")
        cur.execute(
            f"""
            INSERT INTO products (product_id, artist_id, name, description, product_type,
                                  delivery, price, stock_quantity, digital_file, is_active,
                                  created_at, updated_at)
            SELECT {self.uid("product", "n")}, {self.uid("artist", f"1 + mod(n - 1, {c.artists})")},
                   {_pick("Vinyl Tote Hoodie Poster Cassette Download", "n")} || ' #' || n,
                   'Generated product ' || n, {kind},
                   CASE WHEN {physical} THEN 'physical' ELSE 'digital' END,
                   {self.product_price("n")},
                   CASE WHEN {physical} THEN 10 + mod(n, 200) END,
                   CASE WHEN {physical} THEN NULL ELSE %(file)s END,
                   mod(n, 50) <> 0,
                   {self.ago("mod(n * 19, 525600)")}, {self.ago("mod(n * 19, 525600)")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor, "file": self.digital_file()},
        )

    def orders(self, cur, lo, hi):
        """One or two lines per order (two for even orders); one payment each."""
        c = self.c
        p1 = f"(1 + mod(n * 13, {c.products}))"
        p2 = f"(1 + mod(n * 17 + 1, {c.products}))"
        q1 = "(1 + mod(n, 3))"
        total = (
            f"({self.product_price(p1)} * {q1} + "
            f"CASE WHEN mod(n, 2) = 0 THEN {self.product_price(p2)} ELSE 0 END)"
        )
        status = (
            "(ARRAY['pending', 'cancelled', 'paid', 'paid', 'shipped', 'shipped', 'delivered',"
            " 'delivered', 'delivered', 'delivered'])[1 + mod(n, 10)]"
        )
        user = f"(1 + mod(n * 7, {c.users}))"
        created = self.ago("mod(n * 23, 525600)")
        params = {"lo": lo, "hi": hi, "anchor": self.anchor}
        cur.execute(
            f"""
            INSERT INTO orders (order_id, user_id, total_amount, status, shipping_address,
                                contact_email, created_at, updated_at)
            SELECT {self.uid("order", "n")}, {self.uid("user", user)}, {total}, {status},
                   jsonb_build_object('name', 'Generated Buyer', 'line1', n || ' Main St',
                                      'city', 'Berlin', 'postal_code', '10115', 'country', 'DE'),
                   {self.user_email(user)}, {created}, {created}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            params,
        )
        cur.execute(
            f"""
            INSERT INTO order_items (order_item_id, order_id, product_id, quantity, unit_price,
                                     subtotal, status, created_at)
            SELECT {self.uid("order-item", "n || '-' || line")}, {self.uid("order", "n")},
                   {self.uid("product", f"CASE WHEN line = 1 THEN {p1} ELSE {p2} END")},
                   CASE WHEN line = 1 THEN {q1} ELSE 1 END,
                   {self.product_price(f"CASE WHEN line = 1 THEN {p1} ELSE {p2} END")},
                   {self.product_price(f"CASE WHEN line = 1 THEN {p1} ELSE {p2} END")}
                     * CASE WHEN line = 1 THEN {q1} ELSE 1 END,
                   CASE WHEN {self.physical(f"CASE WHEN line = 1 THEN {p1} ELSE {p2} END")}
                        THEN CASE {status} WHEN 'shipped' THEN 'shipped'
                             WHEN 'delivered' THEN 'delivered' ELSE 'to_ship' END END,
                   {created}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n,
                 generate_series(1, 2) line
            WHERE line = 1 OR mod(n, 2) = 0
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            params,
        )
        cur.execute(
            f"""
            INSERT INTO payments (payment_id, user_id, order_id, purpose, amount,
                                  gateway, payment_method, payment_status, payment_date)
            SELECT {self.uid("order-payment", "n")}, {self.uid("user", user)},
                   {self.uid("order", "n")}, 'order', {total}, 'test',
                   CASE WHEN {status} IN ('pending', 'cancelled') THEN ''
                        ELSE 'Visa •••• 4242' END,
                   CASE {status} WHEN 'pending' THEN 'pending' WHEN 'cancelled' THEN 'failed'
                        ELSE 'completed' END,
                   {created}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            params,
        )

    def ledger(self, cur, lo, hi):
        """The books of the completed payments made above (subscription and order payment
        number lo…hi), through the ledger's one bulk function."""
        ids = [
            uuid.UUID(hashlib.md5(f"{self.tag}:{kind}:{n}".encode()).hexdigest())  # noqa: S324 - the ids' own recipe
            for kind, count in (
                ("subscription-payment", self.c.subscriptions),
                ("order-payment", self.c.orders),
            )
            for n in range(lo, min(hi, count) + 1)
        ]
        ledger_payments_record_bulk(
            payments=Payment.objects.filter(pk__in=ids, payment_status=PaymentStatus.COMPLETED)
        )

    def forum_posts(self, cur, lo, hi):
        """Spread over every forum; artist-forum posts are written by the artist."""
        c = self.c
        community = f"(1 + mod(n - 1, {c.communities}))"
        kind = "(ARRAY['artist_forum', 'all_chat', 'fan_art', 'suggestions'])[1 + mod(n / 7, 4)]"
        artist_user = f"(1 + mod({community} - 1, {c.artists}))"
        member = f"({c.artists} + 1 + mod(n * 11, {c.fans}))"
        created = self.ago("mod(n * 29, 525600)")
        cur.execute(
            f"""
            INSERT INTO forum_posts (forum_post_id, forum_id, user_id, title, content,
                                     is_pinned, is_answered, suggestion_state,
                                     created_at, updated_at)
            SELECT {self.uid("forum-post", "n")},
                   {self.uid("forum", f"{community} || '-' || {kind}")},
                   {self.uid("user", f"CASE WHEN {kind} = 'artist_forum' THEN {artist_user} ELSE {member} END")},
                   'Thread #' || n, 'What is everyone listening to this week?',
                   mod(n, 97) = 0, {kind} = 'suggestions' AND mod(n, 3) = 0,
                   CASE WHEN {kind} = 'suggestions'
                        THEN CASE WHEN mod(n, 3) = 0 THEN 'answered' ELSE 'open' END END,
                   {created}, {created}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )

    def notifications(self, cur, lo, hi):
        c = self.c
        kind = _pick(("post", "like", "comment_reply", "order", "live_event"), "n")
        cur.execute(
            f"""
            INSERT INTO notifications (notification_id, user_id, title, message,
                                       notification_type, related_resource_type,
                                       related_resource_id, is_read, created_at)
            SELECT {self.uid("notification", "n")}, {self.uid("user", f"1 + mod(n * 7, {c.users})")},
                   'Something new for you', 'Generated notification ' || n, {kind}, 'post',
                   {self.uid("post", f"1 + mod(n, {c.posts})")}, mod(n, 3) <> 0,
                   {self.ago("mod(n * 13, 43200)")}
            FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) n
            """,  # noqa: S608 - row-number SQL of this module; values are parameters
            {"lo": lo, "hi": hi, "anchor": self.anchor},
        )


class Command(BaseCommand):
    help = "Fill the database with a large generated data set (scale 1: 10 000 users, …)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--batch-size", type=int, default=100_000)
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add another run beside generated data already in the database.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already holds generated data (make bench).",
        )

    def handle(self, *args, scale, batch_size, append, if_empty, **options):
        if scale < MIN_SCALE or batch_size <= 0:
            raise CommandError(f"--scale must be at least {MIN_SCALE}, --batch-size positive.")
        runs = User.objects.filter(username__regex=USERNAME_PATTERN).values_list(
            "username", flat=True
        )
        done = {int(name[3:].split("_")[0]) for name in runs.filter(username__endswith="_1")}
        if done and if_empty:
            self.stdout.write("The database already holds generated data; nothing added.")
            return
        if done and not append:
            raise CommandError(
                "This database already holds generated data (users gen<run>_<n>); "
                "use --append to add another run, or generate into an empty database."
            )
        run = max(done, default=0) + 1
        counts = Counts.at(scale)
        generator = Generator(
            run=run,
            counts=counts,
            anchor=timezone.now(),
        )
        started = time.perf_counter()
        for name, total, stage in generator.stages():
            self._run_stage(name, total, stage, batch_size)
        # The rankings count the new members now rather than at the next beat.
        member_counts_refresh()
        # Comments, likes and names written in SQL, past the services that forget what
        # the post pages keep of their comments.
        comment_threads_forget_all()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated run {run} at scale {scale:g} in {elapsed:.1f} s. "
                f"Sign in as gen{run}_{counts.artists + 1} (a fan) or gen{run}_1 (an artist), "
                f"password {GENERATED_PASSWORD!r}."
            )
        )

    def _run_stage(self, name, total, stage, batch_size):
        started = time.perf_counter()
        done = 0
        for lo in range(1, total + 1, batch_size):
            hi = min(total, lo + batch_size - 1)
            with transaction.atomic(), connection.cursor() as cur:
                stage(cur, lo, hi)
            done = hi
            filled = 30 * done // total
            self.stdout.write(
                f"\r{name:<14} [{'#' * filled}{'.' * (30 - filled)}] {done:>9,}/{total:,}"
                f"  {time.perf_counter() - started:6.1f} s",
                ending="",
            )
            self.stdout.flush()
        self.stdout.write("")
