"""Reads of the communities app: who may see what, community pages, forums, events, dashboard."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import UserPreferences
from communities.models import (
    SUBSCRIPTION_PERIODS,
    Community,
    CommunitySubscription,
    Forum,
    ForumPost,
    LiveEvent,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventVote,
    SubscriptionInterval,
)
from musicplatform.audit.models import StatusHistory
from musicplatform.cache import cached

INFO_TIMEOUT = 600
ACCESS_TIMEOUT = 300
UPCOMING_EVENTS = 10
FORUM_PAGE_SIZE = 30
CHAT_WINDOW = 50
QUESTIONS_SHOWN = 200
MEMBERS_PAGE_SIZE = 50
SUBSCRIPTION_ENTITY = "community_subscription"


@dataclass
class CommunityInfo:
    """What every page of a community needs, cached as one value."""

    community: Community
    member_count: int
    forums: list[Forum]
    upcoming_events: list[LiveEvent]

    @property
    def artist_user_id(self) -> UUID | None:
        return self.community.artist.user_id


def community_info_key(community_id) -> str:
    return f"communities:info:v1:{community_id}"


def _community_info(community_id) -> CommunityInfo | None:
    community = Community.objects.select_related("artist").filter(pk=community_id).first()
    if community is None:
        return None
    return CommunityInfo(
        community=community,
        member_count=CommunitySubscription.objects.members().filter(community=community).count(),
        forums=list(Forum.objects.filter(community=community).order_by("name")),
        upcoming_events=list(
            LiveEvent.objects.filter(
                community=community,
                status__in=[LiveEventStatus.SCHEDULED, LiveEventStatus.LIVE],
            ).order_by("start_time")[:UPCOMING_EVENTS]
        ),
    )


def community_info(*, community_id) -> CommunityInfo | None:
    """The community, its artist, member count, forums and upcoming events; None if absent."""
    return cached(
        community_info_key(community_id),
        lambda: _community_info(community_id),
        timeout=INFO_TIMEOUT,
    )


@dataclass(frozen=True)
class MemberPrice:
    """How many current members pay one price (each pays what they accepted)."""

    price: Decimal
    billing_interval: str
    members: int

    def __str__(self) -> str:
        interval = SubscriptionInterval(self.billing_interval).label.lower()
        return f"${self.price} / {interval}"


def member_prices(*, community_id) -> list[MemberPrice]:
    """The prices the community's current members pay, the most common first."""
    rows = (
        CommunitySubscription.objects.members()
        .filter(community_id=community_id)
        .values("price", "billing_interval")
        .annotate(members=Count("pk"))
        .order_by("-members", "price", "billing_interval")
    )
    return [MemberPrice(**row) for row in rows]


def access_key(community_id, user_id) -> str:
    return f"communities:access:v1:{community_id}:{user_id}"


def member_access_until(*, community_id, user_id) -> datetime | None:
    """Until when the user's subscription gives access (cached; None: no subscription).

    The cache holds the instant, not a yes/no, so access ends on time even while cached.
    """

    def compute():
        subscription = CommunitySubscription.objects.filter(
            community_id=community_id, user_id=user_id
        ).first()
        return subscription.access_until if subscription else None

    return cached(access_key(community_id, user_id), compute, timeout=ACCESS_TIMEOUT)


def is_member(*, community_id, user) -> bool:
    if not user.is_authenticated:
        return False
    until = member_access_until(community_id=community_id, user_id=user.pk)
    return until is not None and until > timezone.now()


def is_community_artist(*, info: CommunityInfo, user) -> bool:
    return user.is_authenticated and info.artist_user_id == user.pk


def can_manage(*, info: CommunityInfo, user) -> bool:
    """The artist of the community, or staff."""
    return is_community_artist(info=info, user=user) or (user.is_authenticated and user.is_staff)


def can_view_content(*, info: CommunityInfo, user) -> bool:
    """Forums, posts, live events and their chat: members, the artist and staff only."""
    return can_manage(info=info, user=user) or is_member(community_id=info.community.pk, user=user)


def communities_by_members() -> QuerySet[Community]:
    """Communities with `member_count` (members with access, as of the last refresh of
    community_member_counts, at most a minute ago), the largest first."""
    return (
        Community.objects.select_related("artist")
        .filter(artist__removed_at__isnull=True)
        # A community younger than the last refresh has no row yet: no members then.
        .annotate(member_count=Coalesce("member_tally__member_count", 0))
        .order_by("-member_count", "name", "pk")
    )


def communities_page(*, page_number) -> Page:
    return Paginator(communities_by_members(), 24).get_page(page_number)


def communities_of_artist_user(*, user) -> list[Community]:
    return list(
        Community.objects.filter(artist__user=user).select_related("artist").order_by("name")
    )


def community_audience(*, community_id) -> QuerySet:
    """Who hears a community's news (a fan-out's audience): the ids of its members."""
    return (
        CommunitySubscription.objects.members().filter(community_id=community_id).values("user_id")
    )


def artist_audience(*, artist_id) -> QuerySet:
    """Who hears an artist's news: followers (their favourite artists) and the members of
    the artist's communities, each once."""
    followers = UserPreferences.objects.filter(favorite_artists__contains=[artist_id])
    members = CommunitySubscription.objects.members().filter(community__artist_id=artist_id)
    return followers.values("user_id").union(members.values("user_id"))


def my_memberships(*, user) -> list[CommunitySubscription]:
    """The user's subscriptions that give access now, soonest renewal first."""
    return list(
        CommunitySubscription.objects.members()
        .filter(user=user)
        .select_related("community__artist")
        .order_by("end_date")
    )


def subscription_of(*, community_id, user) -> CommunitySubscription | None:
    if not user.is_authenticated:
        return None
    # With its community: the page compares the member's price with the current one.
    return (
        CommunitySubscription.objects.select_related("community")
        .filter(community_id=community_id, user=user)
        .first()
    )


def forum_posts_page(*, forum: Forum, page_number, answered: bool | None = None) -> Page:
    """Pinned posts first, then newest first; suggestions filter by answered."""
    posts = ForumPost.objects.filter(forum=forum).select_related("user")
    if answered is not None:
        posts = posts.filter(is_answered=answered)
    return Paginator(posts.order_by("-is_pinned", "-created_at", "-pk"), FORUM_PAGE_SIZE).get_page(
        page_number
    )


def chat_messages(*, forum: Forum, after: datetime | None = None) -> list[ForumPost]:
    """An all_chat forum's latest messages, oldest first (newest at the bottom).

    With `after`, only messages committed later than that instant (see forum_post_create).
    """
    posts = ForumPost.objects.filter(forum=forum).select_related("user")
    if after is not None:
        return list(posts.filter(created_at__gt=after).order_by("created_at", "pk")[:CHAT_WINDOW])
    latest = list(posts.order_by("-created_at", "-pk")[:CHAT_WINDOW])
    return latest[::-1]


def pinned_chat_messages(*, forum: Forum) -> list[ForumPost]:
    return list(
        ForumPost.objects.filter(forum=forum, is_pinned=True)
        .select_related("user")
        .order_by("-created_at")
    )


def forum_of(*, info: CommunityInfo, forum_id) -> Forum | None:
    return next((forum for forum in info.forums if forum.pk == forum_id), None)


def forum_post_in(*, community_id, post_id) -> ForumPost | None:
    return (
        ForumPost.objects.select_related("forum", "user")
        .filter(pk=post_id, forum__community_id=community_id)
        .first()
    )


def live_event_in(*, community_id, event_id) -> LiveEvent | None:
    return LiveEvent.objects.filter(pk=event_id, community_id=community_id).first()


def live_events_of(*, community_id) -> list[LiveEvent]:
    return list(LiveEvent.objects.filter(community_id=community_id).order_by("-start_time")[:50])


def live_chat_messages(*, event: LiveEvent, after: int = 0) -> list[LiveEventMessage]:
    """Chat messages after the cursor `after` (a seq), oldest first; the latest window first."""
    messages = LiveEventMessage.objects.filter(event=event).select_related("user")
    if after:
        return list(messages.filter(seq__gt=after).order_by("seq")[:CHAT_WINDOW])
    return list(messages.order_by("-seq")[:CHAT_WINDOW])[::-1]


def live_questions(*, event: LiveEvent, user) -> list[LiveEventMessage]:
    """Q&A questions: unanswered first, most upvoted first; with the viewer's own vote."""
    return list(
        LiveEventMessage.objects.filter(event=event)
        .select_related("user")
        .annotate(
            vote_count=Count("votes"),
            voted=Exists(LiveEventVote.objects.filter(message=OuterRef("pk"), user_id=user.pk)),
        )
        .order_by("is_answered", "-vote_count", "seq")[:QUESTIONS_SHOWN]
    )


def last_seq(*, event: LiveEvent) -> int:
    last = LiveEventMessage.objects.filter(event=event).order_by("-seq").values("seq").first()
    return last["seq"] if last else 0


@dataclass
class Dashboard:
    active_subscribers: int
    new_this_period: int
    cancelled_this_period: int
    monthly_recurring_revenue: Decimal
    period_start: datetime
    members: Page


def period_start(now: datetime) -> datetime:
    """The dashboard's period: the current calendar month (UTC)."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


# What one renewing member brings in a month: the price they accepted, a yearly one spread
# over twelve months (members keep their price when the community's fee changes).
MONTHLY_PRICE = Case(
    When(billing_interval=SubscriptionInterval.YEARLY, then=F("price") / 12),
    default=F("price"),
    output_field=DecimalField(),
)


def dashboard(*, community: Community, page_number) -> Dashboard:
    now = timezone.now()
    start = period_start(now)
    active = CommunitySubscription.objects.members(now=now).filter(community=community)
    counts = active.aggregate(
        active=Count("pk"),
        new=Count("pk", filter=Q(start_date__gte=start)),
        revenue=Sum(MONTHLY_PRICE, filter=Q(auto_renew=True), default=Decimal("0")),
    )
    cancelled = (
        StatusHistory.objects.filter(
            entity_type=SUBSCRIPTION_ENTITY,
            new_status="cancelled",
            changed_at__gte=start,
            entity_id__in=CommunitySubscription.objects.filter(
                community=community, auto_renew=False
            ).values("pk"),
        )
        .values("entity_id")
        .distinct()
        .count()
    )
    members = Paginator(
        active.select_related("user").order_by("start_date", "pk"), MEMBERS_PAGE_SIZE
    ).get_page(page_number)
    return Dashboard(
        active_subscribers=counts["active"],
        new_this_period=counts["new"],
        cancelled_this_period=cancelled,
        monthly_recurring_revenue=counts["revenue"].quantize(Decimal("0.01")),
        period_start=start,
        members=members,
    )


def subscription_unused_refund(
    *, subscription: CommunitySubscription, payment, now: datetime
) -> Decimal:
    """What goes back to a member whose membership ends before its paid period does: the
    unused share of the payment for the current period, in whole cents (half up, in the
    member's favour), never more than is still refundable. Nothing when the period is
    over (a renewal in grace), or when nothing was paid for it."""
    from shop.models import PaymentStatus

    nothing = Decimal("0.00")
    if payment is None or payment.payment_status != PaymentStatus.COMPLETED:
        return nothing
    if subscription.end_date <= now:
        return nothing
    # The member's own interval: the one their payment bought (grandfathered prices).
    period = SUBSCRIPTION_PERIODS[subscription.billing_interval]
    unused = min(subscription.end_date - now, period)
    share = Decimal(int(unused.total_seconds())) / Decimal(int(period.total_seconds()))
    amount = (payment.amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return min(amount, payment.amount - payment.refunded_amount)
