"""Reads for artists; each page runs a fixed number of queries whatever the data size."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property, reduce
from operator import add, or_

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast, Coalesce, Length, TruncMonth
from django.utils import timezone

from accounts.models import User
from artists import crypto
from artists.models import (
    Artist,
    ArtistPayoutMethod,
    ArtistVerification,
    PayoutMethodType,
)
from catalogue.selectors import artist_releases
from communities.models import Community, CommunitySubscription
from communities.selectors import SUBSCRIPTION_ENTITY
from content.models import Comment, Post, Review
from notifications.models import StatusHistory
from shop.models import OrderItem, Payment, PaymentPurpose, PaymentStatus, Product
from shop.selectors import artist_shop_products
from shop.services.downloads import OWNED_STATUSES

LATEST_POSTS = 5
LATEST_REVIEWS = 5
PRODUCTS_SHOWN = 8
SEARCH_PAGE_SIZE = 20
# At most this many trigram groups (see _trigram_groups): tolerates two typos.
SEARCH_MAX_GROUPS = 7
# A close match has at least half of the query's trigrams.
SEARCH_MIN_COVERAGE = 0.5
# Results beyond this many are not counted or paged: the query should be refined.
SEARCH_MAX_RESULTS = 1000
# Trigrams in more than this share of names are too common to find candidates with.
SEARCH_COMMON_SHARE = 0.02
SEARCH_COMMON_MIN_ROWS = 10_000
COMMON_TRIGRAMS_CACHE_KEY = "artists:search:common-trigrams"
COMMON_TRIGRAMS_CACHE_SECONDS = 60 * 60
SEARCH_LISTED_FIELDS = ("artist_name", "bio", "profile_picture_url", "verification_status")
MASK = "•"
DASHBOARD_MONTHS = 12
DASHBOARD_TOP_ROWS = 10


def managed_artists(*, user: User) -> QuerySet[Artist]:
    """Artists this user may edit and whose payouts and verification they may see."""
    if not user.is_authenticated:
        return Artist.objects.none()
    if user.is_staff:
        return Artist.objects.all()
    return Artist.objects.filter(user=user)


def artist_of(*, user: User) -> Artist | None:
    if not user.is_authenticated:
        return None
    return Artist.objects.filter(user=user).order_by("created_at").first()


class ArtistPage:
    """An artist's public page, read only as far as the template asks.

    Its HTML is a shared fragment (`{% fragment %}`), the same for every viewer but the
    artist's own managers, so a viewer served from the cache reads none of the lists.
    """

    def __init__(self, *, artist: Artist):
        self.artist = artist

    @cached_property
    def posts(self) -> list[Post]:
        return list(
            Post.objects.filter(artist=self.artist, deleted_at__isnull=True).order_by(
                "-created_at"
            )[:LATEST_POSTS]
        )

    @cached_property
    def communities(self) -> list[Community]:
        return list(Community.objects.filter(artist=self.artist).order_by("name"))

    @cached_property
    def releases(self) -> list:
        """The catalogue section (template: catalogue/_artist_releases.html)."""
        return artist_releases(artist_id=self.artist.pk)

    @cached_property
    def products(self) -> list[Product]:
        return artist_shop_products(artist_id=self.artist.pk, limit=PRODUCTS_SHOWN)

    @cached_property
    def reviews(self) -> list[Review]:
        return list(
            Review.objects.filter(artist=self.artist)
            .select_related("user")
            .order_by("-created_at")[:LATEST_REVIEWS]
        )

    @cached_property
    def rating(self) -> dict:
        """The average rating of the artist's reviews and their number."""
        return Review.objects.filter(artist=self.artist).aggregate(
            average=Avg("rating"), count=Count("pk")
        )


def _query_trigrams(query: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT artist_name_trigrams(%s)", [query])
        trigrams = cursor.fetchone()[0]
    # The last word may be half typed: "nov" must find "Nova", so its end is not required.
    if trigrams and trigrams[-1].endswith(" ") and not query[-1:].isspace():
        trigrams = trigrams[:-1]
    return trigrams


def _common_trigrams() -> frozenset[str]:
    """Trigrams in more than SEARCH_COMMON_SHARE of names ("the"), from PostgreSQL's stats."""
    common = cache.get(COMMON_TRIGRAMS_CACHE_KEY)
    if common is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT stats.most_common_elems::text::text[], stats.most_common_elem_freqs, "
                "tables.reltuples FROM pg_stats stats "
                "JOIN pg_class tables ON tables.relname = stats.tablename "
                "WHERE stats.schemaname = 'public' AND stats.tablename = 'artists' "
                "AND stats.attname = 'name_trigrams'"
            )
            row = cursor.fetchone()
        # Skipping common trigrams only pays on a large table; on a small one every
        # trigram is cheap, and statistics of a few names would call ordinary ones common.
        large = row is not None and row[0] and row[2] >= SEARCH_COMMON_MIN_ROWS
        elements, shares = (row[0], row[1]) if large else ([], [])
        common = [
            element
            for element, share in zip(elements, shares, strict=False)
            if share > SEARCH_COMMON_SHARE
        ]
        cache.set(COMMON_TRIGRAMS_CACHE_KEY, common, COMMON_TRIGRAMS_CACHE_SECONDS)
    return frozenset(common)


def _trigram_groups(trigrams: list[str]) -> list[list[str]]:
    """Groups of every k-th trigram; a name within a typo or two has all of one group.

    A typo spoils at most three consecutive trigrams, so with k groups a name that has
    fewer than k / 3 typos still holds every trigram of some group, and the GIN index finds
    names holding a whole group by intersecting short lists. Common trigrams select
    nothing, so groups are made of the others when there are any.
    """
    common = _common_trigrams()
    trigrams = [trigram for trigram in trigrams if trigram not in common] or trigrams
    groups = min(SEARCH_MAX_GROUPS, max(1, len(trigrams) // 2))
    return [trigrams[start::groups] for start in range(groups)]


class _CappedCount:
    """A queryset whose count stops at SEARCH_MAX_RESULTS: a long list counts fast."""

    def __init__(self, queryset: QuerySet):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset[:SEARCH_MAX_RESULTS].count()

    def __getitem__(self, key):
        return self.queryset[key]


def _ranked_ids(artists: QuerySet) -> list:
    return list(artists.values_list("pk", flat=True)[:SEARCH_MAX_RESULTS])


def _page_of_ids(ids: list, page_number) -> Page:
    """One page of ranked ids, with their artists: the ranking query runs only once."""
    page = Paginator(ids, SEARCH_PAGE_SIZE).get_page(page_number)
    artists = Artist.objects.only(*SEARCH_LISTED_FIELDS).in_bulk(list(page.object_list))
    page.object_list = [artists[pk] for pk in page.object_list if pk in artists]
    return page


def artist_search(*, query: str, page_number) -> Page:
    """Artists by name, typos tolerated, best match first; all artists when no query.

    When a page's worth of names hold every trigram of the query (the query as typed, in
    any word order), those are listed by name; otherwise names within a typo or two are
    too, the ones sharing most of the query's trigrams first. At most SEARCH_MAX_RESULTS
    are ranked: a longer list needs a more precise query, not more pages.
    """
    if not query:
        everyone = (
            Artist.objects.on_platform()
            .only(*SEARCH_LISTED_FIELDS)
            .order_by("-featured", "artist_name", "pk")
        )
        return Paginator(_CappedCount(everyone), SEARCH_PAGE_SIZE).get_page(page_number)
    trigrams = _query_trigrams(query)
    if not trigrams:
        return _page_of_ids([], page_number)
    # In name order, so that a common query walks idx_artists_name and stops early.
    exact = _ranked_ids(
        Artist.objects.on_platform()
        .filter(name_trigrams__contains=trigrams)
        .order_by("artist_name", "pk")
    )
    # Close matches include the exact ones, ranked first; they are only worth looking for
    # while the exact ones do not fill a page.
    if len(exact) >= SEARCH_PAGE_SIZE:
        return _page_of_ids(exact, page_number)
    holds_a_group = reduce(
        or_, (Q(name_trigrams__contains=group) for group in _trigram_groups(trigrams))
    )
    # How many of the query's trigrams a name holds, by plain array containment per
    # trigram: far cheaper per candidate than unnesting the arrays.
    shared = reduce(
        add,
        (
            Cast(
                ExpressionWrapper(Q(name_trigrams__contains=[trigram]), BooleanField()),
                IntegerField(),
            )
            for trigram in trigrams
        ),
    )
    close = (
        Artist.objects.on_platform()
        .filter(holds_a_group)
        .alias(shared=shared)
        .filter(shared__gte=math.ceil(len(trigrams) * SEARCH_MIN_COVERAGE))
        .order_by("-shared", Length("artist_name"), "artist_name", "pk")
    )
    return _page_of_ids(_ranked_ids(close), page_number)


def verification_requests(*, artist: Artist) -> list[ArtistVerification]:
    return list(artist.verifications.select_related("verified_by").order_by("-submission_date"))


def _masked(value: str, *, keep_start: int, keep_end: int) -> str:
    hidden = max(len(value) - keep_start - keep_end, 3)
    return f"{value[:keep_start]}{MASK * hidden}{value[-keep_end:] if keep_end else ''}"


def masked_details(*, method_type: str, details: dict) -> str:
    """What an artist sees of a payout method once it is saved: enough to recognise it."""
    if method_type == PayoutMethodType.PAYPAL:
        local, _, domain = details.get("email", "").partition("@")
        return f"{_masked(local, keep_start=1, keep_end=0)}@{domain}"
    iban = details.get("iban", "")
    return f"IBAN {iban[:2]}{MASK * 2} {MASK * 4} {iban[-4:]}"


def payout_methods(*, artist: Artist) -> list[dict]:
    rows = []
    for method in ArtistPayoutMethod.objects.filter(artist=artist).order_by(
        "-is_default", "created_at", "pk"
    ):
        try:
            shown = masked_details(
                method_type=method.method_type,
                details=crypto.decrypt_details(method.account_details),
            )
        except crypto.PayoutDetailsUnreadable:
            shown = "Details unreadable: add this method again"
        rows.append({"method": method, "masked": shown})
    return rows


# The artist's dashboard: each dataset is one aggregate query over a fixed window of months.


@dataclass(frozen=True)
class DataTable:
    """One dataset of the dashboard: its chart, its table and its CSV section all read this."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def column(self, index: int) -> list:
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class ArtistDashboard:
    since: datetime
    members: DataTable
    revenue: DataTable
    top_posts: DataTable
    product_sales: DataTable

    @property
    def tables(self) -> tuple[DataTable, ...]:
        return (self.members, self.revenue, self.top_posts, self.product_sales)


def dashboard_months(now: datetime) -> list[datetime]:
    """The first instant (UTC) of each of the last DASHBOARD_MONTHS months, this one last."""
    months = []
    year, month = now.year, now.month
    for _ in range(DASHBOARD_MONTHS):
        months.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _by_month(queryset: QuerySet, field: str, **aggregate) -> dict[datetime, dict]:
    rows = (
        queryset.annotate(month=TruncMonth(field, tzinfo=UTC))
        .values("month")
        .annotate(**aggregate)
        .order_by()
    )
    return {row["month"]: row for row in rows}


def artist_dashboard(*, artist: Artist, now: datetime | None = None) -> ArtistDashboard:
    """Members, revenue, top posts and sales of the last DASHBOARD_MONTHS months.

    A member is new in the month their current membership started (a paid join: its end
    lies after its start); cancelled in a month they switched renewal off in it.
    Revenue is what was paid and not refunded, by the month it was paid (subscriptions)
    or ordered (paid, shipped or delivered orders).
    """
    months = dashboard_months(now or timezone.now())
    since = months[0]
    subscriptions = CommunitySubscription.objects.filter(community__artist=artist)
    joined = _by_month(
        subscriptions.filter(start_date__gte=since, end_date__gt=F("start_date")),
        "start_date",
        count=Count("pk"),
    )
    cancelled = _by_month(
        StatusHistory.objects.filter(
            entity_type=SUBSCRIPTION_ENTITY,
            new_status="cancelled",
            changed_at__gte=since,
            entity_id__in=subscriptions.values("pk"),
        ),
        "changed_at",
        count=Count("entity_id", distinct=True),
    )
    subscription_revenue = _by_month(
        Payment.objects.filter(
            purpose=PaymentPurpose.SUBSCRIPTION,
            payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
            subscription__community__artist=artist,
            payment_date__gte=since,
        ),
        "payment_date",
        total=Sum(F("amount") - F("refunded_amount")),
    )
    sold = OrderItem.objects.filter(
        product__artist=artist, order__status__in=OWNED_STATUSES, order__created_at__gte=since
    )
    sales_revenue = _by_month(sold, "order__created_at", total=Sum("subtotal"))

    def count(rows: dict, month: datetime) -> int:
        return rows[month]["count"] if month in rows else 0

    def money(rows: dict, month: datetime) -> Decimal:
        return rows[month]["total"] if month in rows else Decimal("0.00")

    members = []
    revenue = []
    for month in months:
        new, gone = count(joined, month), count(cancelled, month)
        members.append((month.strftime("%Y-%m"), new, gone, new - gone))
        subscriptions_paid, sales = money(subscription_revenue, month), money(sales_revenue, month)
        revenue.append(
            (month.strftime("%Y-%m"), subscriptions_paid, sales, subscriptions_paid + sales)
        )

    comments = Comment.objects.filter(post=OuterRef("pk"), deleted_at__isnull=True)
    posts = (
        Post.objects.filter(artist=artist, deleted_at__isnull=True, created_at__gte=since)
        .annotate(like_count=F("likes_count"), comment_count=_count_of(comments))
        .order_by(-(F("like_count") + F("comment_count")), "-created_at", "pk")
        .values_list("content_text", "created_at", "like_count", "comment_count")[
            :DASHBOARD_TOP_ROWS
        ]
    )
    top_posts = [
        (_post_label(text, created), likes, comments) for text, created, likes, comments in posts
    ]
    product_sales = list(
        sold.values("product_id", "product__name")
        .annotate(units=Sum("quantity"), total=Sum("subtotal"))
        .order_by("-total", "product_id")
        .values_list("product__name", "units", "total")[:DASHBOARD_TOP_ROWS]
    )
    return ArtistDashboard(
        since=since,
        members=DataTable("Members by month", ("Month", "New", "Cancelled", "Net"), members),
        revenue=DataTable(
            "Revenue by month", ("Month", "Subscriptions", "Sales", "Total"), revenue
        ),
        top_posts=DataTable("Top posts", ("Post", "Likes", "Comments"), top_posts),
        product_sales=DataTable(
            "Sales per product", ("Product", "Units sold", "Revenue"), product_sales
        ),
    )


def _count_of(queryset: QuerySet) -> Subquery:
    return Coalesce(
        Subquery(queryset.order_by().values("post").annotate(n=Count("pk")).values("n")), 0
    )


def _post_label(text: str | None, created: datetime) -> str:
    words = (text or "").split()
    label = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return label or f"Post of {created:%Y-%m-%d}"
