"""Reads for artists; each page runs a fixed number of queries whatever the data size."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, TypedDict

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    Avg,
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from accounts.models import User
from artists import crypto
from artists.models import (
    Artist,
    ArtistPayoutMethod,
    ArtistVerification,
    PayoutMethodType,
    VerificationStatus,
)
from catalogue.selectors import artist_releases
from communities.models import Community, CommunitySubscription
from communities.selectors import SUBSCRIPTION_ENTITY
from content.models import Comment, Post, Review
from content.selectors import counted_in_ratings
from musicplatform.audit.models import StatusHistory
from musicplatform.validators import name_skeleton
from payments.models import Payment, PaymentPurpose, PaymentStatus
from shop.models import OrderItem, Product
from shop.selectors import artist_shop_products
from shop.services.downloads import OWNED_STATUSES

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

LATEST_POSTS = 5
LATEST_REVIEWS = 5
PRODUCTS_SHOWN = 8
SEARCH_LISTED_FIELDS = (
    "artist_name",
    "bio",
    "profile_picture_url",
    "cover_photo_url",
    "verification_status",
)
# A token that changes (is forgotten) after every committed write to an artist's row
# (artists.receivers): what was read of artists may be kept under it and is exact while
# it is the same (musicplatform.search keeps the rows of artists found under it).
ARTIST_ROWS_VERSION_KEY = "artists:rows-version:v1"
MASK = "•"
DASHBOARD_MONTHS = 12
DASHBOARD_TOP_ROWS = 10


class MemberCount(TypedDict):
    member_count: int


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
    def communities(self) -> list["WithAnnotations[Community, MemberCount]"]:
        # member_count as the communities list shows it (community_member_counts).
        return list(
            Community.objects.filter(artist=self.artist)
            .annotate(member_count=Coalesce("member_tally__member_count", 0))
            .order_by("name")
        )

    @cached_property
    def member_count(self) -> int:
        """Members of all the artist's communities, for the page's header."""
        return sum(community.member_count for community in self.communities)

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
        return counted_in_ratings(Review.objects.filter(artist=self.artist)).aggregate(
            average=Avg("rating"), count=Count("pk")
        )


def artists_matching(query: str, *, threshold: float | None = None) -> QuerySet[Artist]:
    """Artists whose name holds something like `query`, typos and half-typed words
    tolerated, the closest first: pg_trgm's `%>` through idx_artists_name_trgm (its
    threshold is set by `musicplatform.search.search_session`). Removed artists never.

    With `threshold`, the same test written out (`word_similarity() >= threshold`), which
    no index serves and no setting changes: for artists already picked by id."""
    similarity = TrigramWordSimilarity(query, "artist_name")
    similar = (
        Q(artist_name__trigram_word_similar=query)
        if threshold is None
        else Q(GreaterThanOrEqual(similarity, threshold))
    )
    return (
        Artist.objects.on_platform()
        .only(*SEARCH_LISTED_FIELDS)
        .filter(similar)
        .annotate(similarity=similarity)
        .order_by("-similarity", "artist_name", "pk")
    )


def artists_listed() -> QuerySet[Artist]:
    """Every artist on the platform, featured first: the artist search before a query."""
    return (
        Artist.objects.on_platform()
        .only(*SEARCH_LISTED_FIELDS)
        .order_by("-featured", "artist_name", "pk")
    )


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


def _count_of(queryset: QuerySet) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("post").annotate(n=Count("pk")).values("n")), 0
    )


def _post_label(text: str | None, created: datetime) -> str:
    words = (text or "").split()
    label = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return label or f"Post of {created:%Y-%m-%d}"


# Names shorter than this must match a verified name's skeleton exactly to be flagged; a
# one-letter difference between short names is ordinary ("Nova", "Nora").
SUSPECT_MIN_LENGTH = 5


def _one_letter_off(skeleton: str) -> set[str]:
    """The skeleton with each one of its letters left out."""
    return {skeleton[:n] + skeleton[n + 1 :] for n in range(len(skeleton))}


def impersonation_suspects() -> dict:
    """Unverified artists whose names look like a verified artist's: artist id -> the
    verified artist's name. Looks like: the same skeleton (case, spacing, accents,
    lookalike letters: musicplatform.validators.name_skeleton), or for longer names one
    letter added, left out or changed. Two queries of ids and names."""
    verified = Artist.objects.filter(verification_status=VerificationStatus.VERIFIED)
    exact: dict[str, str] = {}
    near: dict[str, str] = {}
    for name in verified.values_list("artist_name", flat=True):
        skeleton = name_skeleton(name)
        exact.setdefault(skeleton, name)
        if len(skeleton) >= SUSPECT_MIN_LENGTH:
            for variant in _one_letter_off(skeleton) | {skeleton}:
                near.setdefault(variant, name)
    suspects = {}
    # Artists already removed or suspended (artists.services.artist_remove) are dealt with.
    others = Artist.objects.on_platform().exclude(verification_status=VerificationStatus.VERIFIED)
    for artist_id, name in others.values_list("pk", "artist_name").iterator():
        skeleton = name_skeleton(name)
        if skeleton in exact:
            suspects[artist_id] = exact[skeleton]
        elif len(skeleton) >= SUSPECT_MIN_LENGTH:
            match = next(
                (near[v] for v in (skeleton, *_one_letter_off(skeleton)) if v in near), None
            )
            if match is not None:
                suspects[artist_id] = match
    return suspects
