"""Reads of the communities app: who may see what, community pages, forums, events, dashboard."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TYPE_CHECKING, cast
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Page, Paginator
from django.db import connection, connections, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User, UserPreferences
from communities.models import (
    SUBSCRIPTION_PERIODS,
    Community,
    CommunityModerator,
    CommunityRestriction,
    CommunitySubscription,
    ContentFlag,
    FlaggedKind,
    FlagStatus,
    Forum,
    ForumPost,
    ForumPostReaction,
    ForumType,
    LiveEvent,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventVote,
    ModerationAction,
    Reaction,
    SubscriptionInterval,
    SubscriptionTierChange,
    TierChangeStatus,
)
from musicplatform.audit.models import StatusHistory
from musicplatform.cache import CachedValue, cached_many
from musicplatform.db import CompiledQuery, column_of, some_id, some_time, stand_in_viewer
from musicplatform.formatting import money_format
from payments.events import CENT
from payments.purposes import Payee

if TYPE_CHECKING:
    from content.models import Comment, Review

INFO_TIMEOUT = 600
ACCESS_TIMEOUT = 300
UPCOMING_EVENTS = 10
TOPIC_PAGE_SIZE = 20
REPLY_PAGE_SIZE = 30
MENTION_SUGGESTIONS = 8
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
    # The artist's tiers, lowest first, when this community is one of them.
    tiers: list[Community]
    # The members the artist named moderators, so that asking costs no query.
    moderator_ids: frozenset[UUID] = frozenset()

    @property
    def artist_user_id(self) -> UUID | None:
        return self.community.artist.user_id

    @property
    def vary(self) -> tuple:
        """What the community's page shows of it that changes (shared fragments in
        detail.html): the community and its artist (`updated_at` moves with every edit and
        verification), its member count, its forums and its upcoming events."""
        community = self.community
        return (
            community.pk,
            community.updated_at,
            community.artist.updated_at,
            self.member_count,
            tuple((forum.pk, forum.updated_at) for forum in self.forums),
            tuple((event.pk, event.updated_at) for event in self.upcoming_events),
        )


def community_info_key(community_id) -> str:
    return f"communities:info:v2:{community_id}"


def _community_info(community_id) -> CommunityInfo | None:
    community = (
        Community.objects.select_related("artist")
        .annotate(
            moderator_ids=ArraySubquery(
                CommunityModerator.objects.filter(community=OuterRef("pk")).values("user_id")
            )
        )
        .filter(pk=community_id)
        .first()
    )
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
        moderator_ids=frozenset(community.moderator_ids),
        tiers=artist_tiers(artist_id=community.artist_id) if community.tier_rank else [],
    )


def artist_tiers(*, artist_id) -> list[Community]:
    return list(
        Community.objects.filter(artist_id=artist_id, tier_rank__isnull=False).order_by("tier_rank")
    )


def community_info(*, community_id) -> CommunityInfo | None:
    """The community, its artist, member count, forums and upcoming events; None if absent."""
    return cached_many(_community_info_value(community_id))[0]


def _community_info_value(community_id) -> CachedValue[CommunityInfo | None]:
    return CachedValue(
        community_info_key(community_id), lambda: _community_info(community_id), INFO_TIMEOUT
    )


@dataclass(frozen=True)
class MemberPrice:
    """How many current members pay one price (each pays what they accepted)."""

    price: Decimal
    billing_interval: str
    members: int

    def __str__(self) -> str:
        interval = SubscriptionInterval(self.billing_interval).label.lower()
        return f"{money_format(self.price)} / {interval}"


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
    return f"communities:access:v2:{community_id}:{user_id}"


def gives_access_to(*, community_id, artist_id, tier_rank) -> Q:
    """The nesting of tiers (Patreon's), as a filter on subscriptions: a membership gives
    access to its own community and to its artist's tiers ranked below its own. The
    arguments are values or expressions (OuterRef, Subquery), so the same rule serves one
    community (`member_access_until`) and many (`communities_with_access`)."""
    return Q(community_id=community_id) | Q(
        community__artist_id=artist_id,
        community__tier_rank__isnull=False,
        community__tier_rank__gt=tier_rank,
    )


def _gives_access_to_community(community_id) -> Q:
    community = Community.objects.filter(pk=community_id)
    return gives_access_to(
        community_id=community_id,
        artist_id=Subquery(community.values("artist_id")[:1]),
        tier_rank=Subquery(community.values("tier_rank")[:1]),
    )


def member_access_until(*, community_id, user_id) -> datetime | None:
    """Until when the user may see the community's content as a member: of it, or of one of
    its artist's higher tiers (cached; None: no such membership).

    The cache holds the instant, not a yes/no, so access ends on time even while cached.
    Services changing a membership drop the keys of its community and of the tiers below
    it; reordering tiers drops those of the artist's members (services.tiers).
    """
    return cached_many(_member_access(community_id=community_id, user_id=user_id))[0]


def _member_access(*, community_id, user_id) -> CachedValue[datetime | None]:
    def compute():
        held = CommunitySubscription.objects.filter(user_id=user_id).filter(
            _gives_access_to_community(community_id)
        )
        return max((s.access_until for s in held if s.access_until is not None), default=None)

    return CachedValue(access_key(community_id, user_id), compute, ACCESS_TIMEOUT)


def _access_now(until: datetime | None) -> bool:
    return until is not None and until > timezone.now()


def is_member(*, community_id, user) -> bool:
    """The one membership rule: a member with access, of this community or of a higher
    tier of its artist."""
    if not user.is_authenticated:
        return False
    return _access_now(member_access_until(community_id=community_id, user_id=user.pk))


def communities_with_access(*, user, now: datetime | None = None) -> QuerySet[Community]:
    """The communities whose content `user` sees as a member (`is_member`'s rule in SQL,
    for lists such as search)."""
    held = CommunitySubscription.objects.members(now=now).filter(user_id=user.pk)
    return Community.objects.filter(
        Exists(
            held.filter(
                gives_access_to(
                    community_id=OuterRef("pk"),
                    artist_id=OuterRef("artist_id"),
                    tier_rank=OuterRef("tier_rank"),
                )
            )
        )
    )


_COMMUNITIES_WITH_ACCESS = CompiledQuery(
    lambda *, viewer_id, now: communities_with_access(
        user=stand_in_viewer(viewer_id=viewer_id, signed_in=True), now=now
    ).values("pk"),
    {"viewer_id": some_id(), "now": some_time()},
    required=("viewer_id", "now"),
)


def community_ids_with_access(*, user, now: datetime | None = None) -> RawSQL:
    """`communities_with_access(user=user)`'s ids as a subquery compiled once per process
    (`CompiledQuery`; docs/performance.md, round 2 of the feed), at `now` (a caller
    compiling it in turn passes its stand-in for the time)."""
    sql, params = _COMMUNITIES_WITH_ACCESS.sql_with_params(
        viewer_id=user.pk, now=now or timezone.now()
    )
    return RawSQL(sql, params)  # noqa: S611 - SQL compiled by the ORM, values are parameters


# The artist's tiers ranked below the community whose id is the SQL expression
# {community_id}: a parameter, or a column of a statement that embeds this one.
TIERS_BELOW = """
SELECT below.community_id FROM communities tier
JOIN communities below ON below.artist_id = tier.artist_id AND below.tier_rank < tier.tier_rank
WHERE tier.community_id = {community_id}
"""


def tiers_below_ids(*, community_id) -> list:
    """The artist's tiers ranked below this community: its members see them too. Plain
    SQL: every renewal and membership change asks, and compiling the ORM's two subqueries
    cost more CPU than PostgreSQL spends answering."""
    with connection.cursor() as cursor:
        cursor.execute(TIERS_BELOW.format(community_id="%s"), [community_id])
        return [row[0] for row in cursor.fetchall()]


def is_community_artist(*, info: CommunityInfo, user) -> bool:
    return user.is_authenticated and info.artist_user_id == user.pk


def can_manage(*, info: CommunityInfo, user) -> bool:
    """The artist of the community, or staff."""
    return is_community_artist(info=info, user=user) or (user.is_authenticated and user.is_staff)


def can_view_content(*, info: CommunityInfo, user) -> bool:
    """Forums, posts, live events and their chat: members, the artist and staff only."""
    return can_manage(info=info, user=user) or is_member(community_id=info.community.pk, user=user)


def community_info_viewed(*, community_id, user) -> tuple[CommunityInfo | None, bool]:
    """`community_info()` and `can_view_content()` of the viewer, read from Redis in one round
    trip instead of two: every page of a community needs both."""
    info_value = _community_info_value(community_id)
    if not user.is_authenticated:
        (info,) = cached_many(info_value)
        return info, info is not None and can_manage(info=info, user=user)
    info, until = cached_many(
        info_value, _member_access(community_id=community_id, user_id=user.pk)
    )
    if info is None:
        return None, False
    return info, can_manage(info=info, user=user) or _access_now(until)


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


def _concrete_fields(model) -> list[str]:
    # A search document is for search only.
    return [f.attname for f in model._meta.concrete_fields if f.name != "search_document"]


def _columns(model, alias: str, fields: list[str]) -> list[str]:
    return [f"{alias}.{column_of(model, name)}" for name in fields]


_SUBSCRIPTION_FIELDS = _concrete_fields(CommunitySubscription)
_SUBSCRIBED_COMMUNITY_FIELDS = _concrete_fields(Community)
# A viewer's subscription (at most one: unique per user and community) with its community:
# the community page compares the member's price with the current one. Plain SQL: the
# ORM's queryset cost the community page more CPU than anything else it reads
# (docs/performance.md, "Round 3: forums").
_SUBSCRIPTION_SQL = f"""
SELECT {", ".join(_columns(CommunitySubscription, "s", _SUBSCRIPTION_FIELDS) + _columns(Community, "c", _SUBSCRIBED_COMMUNITY_FIELDS))}
FROM {CommunitySubscription._meta.db_table} s
JOIN {Community._meta.db_table} c ON c.{Community._meta.pk.column} = s.community_id
WHERE s.community_id = %(community)s AND s.user_id = %(user)s
"""  # noqa: S608 - constant SQL: the values are parameters


def subscription_of(*, community_id, user) -> CommunitySubscription | None:
    if not user.is_authenticated:
        return None
    # Through the router like the ORM's reads: a replica unless this browser just wrote.
    using = router.db_for_read(CommunitySubscription)
    with connections[using].cursor() as cursor:
        cursor.execute(_SUBSCRIPTION_SQL, {"community": community_id, "user": user.pk})
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_SUBSCRIPTION_FIELDS)
    subscription = CommunitySubscription.from_db(using, _SUBSCRIPTION_FIELDS, row[:split])
    subscription.community = Community.from_db(using, _SUBSCRIBED_COMMUNITY_FIELDS, row[split:])
    return subscription


def chat_messages(*, forum: Forum, after: datetime | None = None) -> list[ForumPost]:
    """An all_chat forum's latest messages, oldest first (newest at the bottom).

    With `after`, only messages committed later than that instant (see forum_post_create).
    """
    if after is None:
        return chat_log(forum=forum).messages
    posts = ForumPost.objects.filter(forum=forum, hidden_at__isnull=True).select_related("user")
    return list(posts.filter(created_at__gt=after).order_by("created_at", "pk")[:CHAT_WINDOW])


@dataclass
class ChatLog:
    """An all_chat forum's latest messages, oldest first, and its pinned ones, newest first."""

    messages: list[ForumPost]
    pinned: list[ForumPost]


class _WithAuthors:
    """Rows of a table with their authors (`user`: what cards show of them, `display_name`
    and the avatar), read by plain SQL selecting `columns` first from `source`. Plain SQL
    rather than the ORM where building and compiling the queryset cost more CPU than
    PostgreSQL spends running it (docs/performance.md, "Round 3: forums")."""

    AUTHOR_FIELDS = ["id", "username", "profile_picture_url"]

    def __init__(self, model) -> None:
        self.model = model
        table = model._meta.db_table
        self.fields = _concrete_fields(model)
        self.columns = ", ".join(
            _columns(model, table, self.fields) + _columns(User, "author", self.AUTHOR_FIELDS)
        )
        self.source = (
            f"{table} JOIN {User._meta.db_table} author"
            f" ON author.{User._meta.pk.column} = {table}.user_id"
        )

        self.author_end = len(self.fields) + len(self.AUTHOR_FIELDS)

    def column(self, name: str) -> int:
        """Where a field of the row (or of its author: `author.<name>`) is in a row read."""
        if name.startswith("author."):
            return len(self.fields) + self.AUTHOR_FIELDS.index(name.removeprefix("author."))
        return self.fields.index(name)

    def fetch(self, sql: str, params) -> tuple[str, list[tuple]]:
        """The database read (through the router like the ORM's reads: a replica unless
        this browser just wrote) and the rows of `sql` as they come."""
        using = router.db_for_read(self.model)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return using, cursor.fetchall()

    def built(self, using: str, rows: list[tuple]) -> list[tuple]:
        """(the row with its author, the rest of its columns) for each row fetched."""
        read = []
        for row in rows:
            item = self.model.from_db(using, self.fields, row[: len(self.fields)])
            item.user = User.from_db(
                using, self.AUTHOR_FIELDS, row[len(self.fields) : self.author_end]
            )
            read.append((item, row[self.author_end :]))
        return read

    def read(self, sql: str, params) -> list[tuple]:
        """(the row with its author, the rest of its columns) for each row of `sql`."""
        return self.built(*self.fetch(sql, params))


_POSTS = _WithAuthors(ForumPost)


# The latest CHAT_WINDOW shown messages of a chat forum, then its pinned ones (a message
# may be both), each marked with the list it belongs to: one statement.
_CHAT_LOG_SQL = f"""
(SELECT {_POSTS.columns}, false FROM {_POSTS.source}
 WHERE forum_posts.forum_id = %(forum)s AND forum_posts.hidden_at IS NULL
 ORDER BY forum_posts.created_at DESC, forum_posts.forum_post_id DESC LIMIT {CHAT_WINDOW})
UNION ALL
(SELECT {_POSTS.columns}, true FROM {_POSTS.source}
 WHERE forum_posts.forum_id = %(forum)s AND forum_posts.is_pinned
       AND forum_posts.hidden_at IS NULL)
"""  # noqa: S608 - constant SQL: the values are parameters


def chat_log(*, forum: Forum) -> ChatLog:
    rows = _POSTS.read(_CHAT_LOG_SQL, {"forum": forum.pk})
    by_time = sorted(rows, key=lambda row: (row[0].created_at, row[0].pk))
    return ChatLog(
        messages=[post for post, (pinned,) in by_time if not pinned],
        pinned=[post for post, (pinned,) in reversed(by_time) if pinned],
    )


def chat_vary(messages: list[ForumPost] | list[LiveEventMessage]) -> tuple:
    """What a list of chat messages shows that changes (a shared `{% fragment %}`): which
    messages (hiding one takes it out), a forum message's edits, each author's name (a
    deleted author becomes "former member"). The same for every viewer: one read from
    Redis for the whole list instead of rendering each message."""
    return tuple(
        (message.pk, getattr(message, "updated_at", None), message.user.display_name)
        for message in messages
    )


def pinned_vary(pinned: list[ForumPost], *, viewer) -> tuple:
    """What a chat forum's pinned messages (`_post.html` cards) show that changes or
    differs by viewer: each message's edits, its author's name and picture, and whether it
    is the viewer's own (its Edit and Delete links)."""
    return tuple(
        (
            post.pk,
            post.updated_at,
            post.user.display_name,
            post.user.profile_picture_url,
            post.user_id == viewer.pk,
        )
        for post in pinned
    )


def forum_of(*, info: CommunityInfo, forum_id) -> Forum | None:
    return next((forum for forum in info.forums if forum.pk == forum_id), None)


def forum_post_in(*, community_id, post_id) -> ForumPost | None:
    return (
        ForumPost.objects.select_related("forum", "user")
        .filter(pk=post_id, forum__community_id=community_id)
        .first()
    )


_LIVE_EVENT_FIELDS = _concrete_fields(LiveEvent)
# Every page of a live event (and its poll, every two seconds per viewer) reads it: plain
# SQL, as the ORM's queryset cost more CPU to build than the read (docs/performance.md,
# "Round 3: forums").
_LIVE_EVENT_SQL = f"""
SELECT {", ".join(_columns(LiveEvent, "e", _LIVE_EVENT_FIELDS))} FROM {LiveEvent._meta.db_table} e
WHERE e.{LiveEvent._meta.pk.column} = %(event)s AND e.community_id = %(community)s
"""  # noqa: S608 - constant SQL: the values are parameters


def live_event_in(*, community_id, event_id) -> LiveEvent | None:
    # Through the router like the ORM's reads: a replica unless this browser just wrote.
    using = router.db_for_read(LiveEvent)
    with connections[using].cursor() as cursor:
        cursor.execute(_LIVE_EVENT_SQL, {"event": event_id, "community": community_id})
        row = cursor.fetchone()
    return LiveEvent.from_db(using, _LIVE_EVENT_FIELDS, row) if row else None


def live_event_vary(event: LiveEvent) -> tuple:
    """What an event's page shows of the event (shared fragments in _event_state.html and
    event.html): all its fields but the times it was created and changed."""
    return (
        event.pk,
        event.title,
        event.status,
        event.event_type,
        event.start_time,
        event.end_time,
        event.description,
        event.stream_url,
        event.slow_mode_seconds,
    )


def live_events_of(*, community_id) -> list[LiveEvent]:
    return list(LiveEvent.objects.filter(community_id=community_id).order_by("-start_time")[:50])


_LIVE_MESSAGES = _WithAuthors(LiveEventMessage)
# A live chat's shown messages after a seq, the first CHAT_WINDOW of them, or (from the
# start) the latest CHAT_WINDOW; the live event page and its poll read it on every request.
_LIVE_CHAT_SQL = f"""
SELECT {_LIVE_MESSAGES.columns} FROM {_LIVE_MESSAGES.source}
WHERE live_event_messages.event_id = %(event)s AND live_event_messages.hidden_at IS NULL
      {{after}}
ORDER BY live_event_messages.seq {{direction}} LIMIT {CHAT_WINDOW}
"""  # noqa: S608 - constant SQL: the values are parameters


def live_chat_messages(*, event: LiveEvent, after: int = 0) -> list[LiveEventMessage]:
    """Chat messages after the cursor `after` (a seq), oldest first; the latest window first."""
    sql = _LIVE_CHAT_SQL.format(
        after="AND live_event_messages.seq > %(after)s" if after else "",
        direction="ASC" if after else "DESC",
    )
    messages = [
        message for message, _ in _LIVE_MESSAGES.read(sql, {"event": event.pk, "after": after})
    ]
    return messages if after else messages[::-1]


def live_questions(*, event: LiveEvent, user) -> list[LiveEventMessage]:
    """Q&A questions: unanswered first, most upvoted first; with the viewer's own vote."""
    return list(
        LiveEventMessage.objects.filter(event=event, hidden_at__isnull=True)
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
    from payments.models import PaymentStatus

    nothing = Decimal("0.00")
    if payment is None or payment.payment_status != PaymentStatus.COMPLETED:
        return nothing
    if subscription.end_date <= now:
        return nothing
    # The member's own interval: the one their payment bought (grandfathered prices).
    period = SUBSCRIPTION_PERIODS[SubscriptionInterval(subscription.billing_interval)]
    unused = min(subscription.end_date - now, period)
    share = Decimal(int(unused.total_seconds())) / Decimal(int(period.total_seconds()))
    amount = (payment.amount * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return min(amount, payment.amount - payment.refunded_amount)


def tier_membership(*, info: CommunityInfo, user) -> CommunitySubscription | None:
    """The viewer's renewing membership of another of this artist's tiers, the highest: the
    one they would move to this tier (services.tiers). None outside tiers."""
    if not info.tiers or not user.is_authenticated:
        return None
    return (
        CommunitySubscription.objects.members()
        .filter(
            user_id=user.pk,
            community__artist_id=info.community.artist_id,
            community__tier_rank__isnull=False,
        )
        .exclude(community_id=info.community.pk)
        .select_related("community")
        .order_by("-community__tier_rank")
        .first()
    )


def pending_tier_change(*, subscription: CommunitySubscription) -> SubscriptionTierChange | None:
    return (
        SubscriptionTierChange.objects.filter(
            subscription=subscription, status=TierChangeStatus.PENDING
        )
        .select_related("to_community", "payment")
        .first()
    )


def upgrade_charge(*, subscription: CommunitySubscription, new_price: Decimal, now) -> Decimal:
    """What moving up to a tier of `new_price` costs now: the part of the current period
    still to run times the difference with the price the member accepted, in whole cents
    rounded down (never more than the exact share), never negative."""
    period = SUBSCRIPTION_PERIODS[SubscriptionInterval(subscription.billing_interval)]
    remaining = min(max(subscription.end_date - now, period * 0), period)
    share = Decimal(int(remaining.total_seconds())) / Decimal(int(period.total_seconds()))
    amount = (share * (new_price - subscription.price)).quantize(CENT, rounding=ROUND_DOWN)
    return max(amount, Decimal("0.00"))


def subscription_payees(*, payments) -> dict:
    """Who earns from each membership's payment (`membership_payees`), by payment id, in
    one query for any number."""
    artist_of = dict(
        CommunitySubscription.objects.filter(
            pk__in=[payment.subscription_id for payment in payments]
        ).values_list("pk", "community__artist_id")
    )
    return {
        payment.pk: membership_payees(artist_id=artist_of[payment.subscription_id], payment=payment)
        for payment in payments
        if payment.subscription_id in artist_of
    }


def membership_payees(*, artist_id, payment) -> list[Payee]:
    """A membership's payment earns the community's artist all of it."""
    return [Payee(artist_id=artist_id, amount=payment.amount)]


# Moderation (issue 22, items 7 and 8)

MODERATION_QUEUE_SIZE = 100
MODERATION_LOG_SIZE = 50
EXCERPT_LENGTH = 120


def is_moderator(*, info: CommunityInfo, user) -> bool:
    """The artist, staff, or a member the artist named moderator."""
    return can_manage(info=info, user=user) or (
        user.is_authenticated and user.pk in info.moderator_ids
    )


def write_refusal(*, community_id, user) -> str | None:
    """Why the user may not post, react or chat in the community now (muted, banned)."""
    restriction = CommunityRestriction.objects.filter(
        community_id=community_id, user_id=user.pk
    ).first()
    if restriction is None:
        return None
    if restriction.banned_at is not None:
        return "You were banned from this community."
    if restriction.muted_until is not None and restriction.muted_until > timezone.now():
        return (
            f"You are muted in this community until {restriction.muted_until:%Y-%m-%d %H:%M} "
            "UTC: you can read, but not post, react or chat."
        )
    return None


def is_banned(*, community_id, user) -> bool:
    return CommunityRestriction.objects.filter(
        community_id=community_id, user_id=user.pk, banned_at__isnull=False
    ).exists()


@dataclass
class FlaggableItem:
    """A forum post, chat message, comment or review, as flags and moderators see it."""

    kind: str
    row: "ForumPost | LiveEventMessage | Comment | Review"
    community: Community | None
    artist_id: UUID | None
    # Its open flags, oldest first: moderation_queue sets them.
    flags: list[ContentFlag] = field(default_factory=list)

    @property
    def pk(self) -> UUID:
        return self.row.pk

    @property
    def author_id(self) -> UUID:
        return self.row.user_id

    @property
    def author_name(self) -> str:
        return self.row.user.display_name

    @property
    def excerpt(self) -> str:
        row = self.row
        text = getattr(row, "title", None) or getattr(row, "text_content", None) or ""
        text = text or getattr(row, "content", None) or ""
        return text[:EXCERPT_LENGTH]

    @property
    def is_hidden(self) -> bool:
        return getattr(self.row, "hidden_at", None) is not None

    @property
    def kind_label(self) -> str:
        return FlaggedKind(self.kind).label

    def moderated_in(self, community: Community) -> bool:
        """Whether the community's moderators act on it: it is in the community, or (a
        comment or review) in its artist's space."""
        if self.community is not None:
            return self.community.pk == community.pk
        return self.artist_id == community.artist_id

    def delete(self, *, by) -> None:
        from content.services import comment_delete, review_delete

        # The kind names the row's model (_flaggable_rows made them together).
        if self.kind == FlaggedKind.COMMENT:
            comment_delete(comment=cast("Comment", self.row), by=by, as_moderator=True)
        elif self.kind == FlaggedKind.REVIEW:
            review_delete(review=cast("Review", self.row), by=by, as_moderator=True)
        else:
            type(self.row).objects.filter(pk=self.row.pk).delete()


def _flaggable_rows(kind: str, ids) -> list[FlaggableItem]:
    """The items of one kind, in one query; deleted ones are absent."""
    from content.models import Comment, Review

    if kind == FlaggedKind.FORUM_POST:
        posts = ForumPost.objects.select_related("user", "forum__community").filter(pk__in=ids)
        return [
            FlaggableItem(kind, r, r.forum.community, r.forum.community.artist_id) for r in posts
        ]
    if kind == FlaggedKind.LIVE_MESSAGE:
        messages = LiveEventMessage.objects.select_related("user", "event__community").filter(
            pk__in=ids
        )
        return [
            FlaggableItem(kind, r, r.event.community, r.event.community.artist_id) for r in messages
        ]
    if kind == FlaggedKind.COMMENT:
        comments = Comment.objects.select_related("user", "post", "review").filter(
            pk__in=ids, deleted_at__isnull=True
        )
        # comment_create gives every comment, replies too, its thread's post or review.
        return [
            FlaggableItem(
                kind, r, None, r.post.artist_id if r.post else cast("Review", r.review).artist_id
            )
            for r in comments
        ]
    if kind == FlaggedKind.REVIEW:
        reviews = Review.objects.select_related("user").filter(pk__in=ids)
        return [FlaggableItem(kind, r, None, r.artist_id) for r in reviews]
    return []


def flaggable_item(*, kind: str, object_id) -> FlaggableItem | None:
    items = _flaggable_rows(kind, [object_id])
    return items[0] if items else None


def moderator_user_ids(*, artist_id, community: Community | None) -> list[UUID]:
    """Who reviews flags on an item: the artist and the moderators of its community (of
    any of the artist's communities for a comment or review)."""
    from artists.models import Artist

    moderators = (
        CommunityModerator.objects.filter(community=community)
        if community
        else CommunityModerator.objects.filter(community__artist_id=artist_id)
    )
    artist_user = Artist.objects.filter(pk=artist_id).values_list("user_id", flat=True)
    return [uid for uid in [*artist_user, *moderators.values_list("user_id", flat=True)] if uid]


@dataclass
class ModerationQueue:
    items: list[FlaggableItem]
    actions: list[ModerationAction]
    moderators: list[CommunityModerator]


def moderation_queue(*, community: Community) -> ModerationQueue:
    """The items with open flags in the community (and comments and reviews in its
    artist's space), oldest flag first; the log; the moderators. Six queries, whatever
    the number of flags: at most seven queries."""
    flags = list(
        ContentFlag.objects.filter(status=FlagStatus.OPEN)
        .filter(Q(community=community) | Q(community__isnull=True, artist_id=community.artist_id))
        .select_related("flagged_by")
        .order_by("created_at", "pk")[:MODERATION_QUEUE_SIZE]
    )
    by_item: dict = {}
    for flag in flags:
        by_item.setdefault((flag.kind, flag.object_id), []).append(flag)
    items: list[FlaggableItem] = []
    for kind in FlaggedKind.values:
        ids = [object_id for (flag_kind, object_id) in by_item if flag_kind == kind]
        if ids:
            items += _flaggable_rows(kind, ids)
    for item in items:
        item.flags = by_item[(item.kind, item.pk)]
    items.sort(key=lambda item: item.flags[0].created_at)
    return ModerationQueue(
        items=items,
        actions=list(
            ModerationAction.objects.filter(community=community)
            .select_related("moderator", "target_user")
            .order_by("-created_at", "-pk")[:MODERATION_LOG_SIZE]
        ),
        moderators=list(
            CommunityModerator.objects.filter(community=community)
            .select_related("user")
            .order_by("created_at")
        ),
    )


# Forum topics and replies


@dataclass(frozen=True)
class Cursor:
    """A place in a list ordered by (created_at, id): the row just before, or after, it.

    Written in links as `<ISO time>~<uuid>`: unlike a page number it stays put while new
    topics and replies arrive, and the database seeks to it through an index.
    """

    created_at: datetime
    pk: UUID

    # The greatest id: a cursor at an instant (a read position) that is after every row
    # created at that instant.
    END_OF_INSTANT = UUID(int=(1 << 128) - 1)

    def __str__(self) -> str:
        return f"{self.created_at.isoformat()}~{self.pk}"

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor of a link; ValueError when it is not one of ours."""
        when, _, pk = text.partition("~")
        created_at = datetime.fromisoformat(when)
        if created_at.tzinfo is None:
            raise ValueError("cursor without a time zone")
        return cls(created_at=created_at, pk=UUID(pk))

    @classmethod
    def of(cls, post: ForumPost) -> "Cursor":
        return cls(created_at=post.created_at, pk=post.pk)

    @classmethod
    def at(cls, instant: datetime) -> "Cursor":
        return cls(created_at=instant, pk=cls.END_OF_INSTANT)


def _after(cursor: Cursor) -> Q:
    return Q(created_at__gt=cursor.created_at) | Q(created_at=cursor.created_at, pk__gt=cursor.pk)


# A topic's counts and the viewer's state, as SQL correlated with the topic ("forum_posts"):
# one definition each for the forum's topic list (`topic_list`, plain SQL) and the topic
# page (`topic_in`, the ORM); the same subqueries built with the ORM cost more CPU to build
# and compile on every request than the database takes to run them (docs/performance.md,
# "Community pages"). Hidden posts (moderation) are left out of the list and its counts
# alike. A viewer id of NULL (signed out) matches no vote and no read position.
_REPLIES = (
    "FROM forum_posts reply WHERE reply.topic_id = forum_posts.forum_post_id"
    " AND reply.hidden_at IS NULL"
)
REPLY_COUNT_SQL = f"SELECT COUNT(*) {_REPLIES}"
VOTE_COUNT_SQL = (
    "SELECT COUNT(*) FROM forum_post_votes vote WHERE vote.post_id = forum_posts.forum_post_id"
)
VOTED_SQL = (
    "EXISTS (SELECT 1 FROM forum_post_votes vote"
    " WHERE vote.post_id = forum_posts.forum_post_id AND vote.user_id = %s)"
)
LAST_READ_AT_SQL = (
    "SELECT read.last_read_at FROM forum_topic_reads read"
    " WHERE read.topic_id = forum_posts.forum_post_id AND read.user_id = %s"
)
# The replies of others that came after the viewer last read the topic (all of them when
# the viewer never opened it); the viewer's own replies are never news to them.
UNREAD_COUNT_SQL = (
    f"SELECT COUNT(*) {_REPLIES} AND reply.user_id <> %s"
    f" AND reply.created_at > COALESCE(({LAST_READ_AT_SQL}), '-infinity')"
)


def _correlated(sql: str, params: tuple, output_field) -> RawSQL:
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611 - constant SQL, values are parameters


def _viewer_id(user):
    return user.pk if user.is_authenticated else None


# One kind of topic of a forum (pinned or not) with its counts and the viewer's vote, read
# position and unread replies. Plain SQL rather than the ORM: building and compiling the
# annotated queryset was most of the forum pages' CPU (docs/performance.md, "Round 3:
# forums"); its plan is the ORM's (idx_forum_posts_forum_id, then the counts by index).
_TOPICS_SQL = f"""
SELECT {_POSTS.columns}, ({REPLY_COUNT_SQL}), ({VOTE_COUNT_SQL}), {VOTED_SQL},
       ({LAST_READ_AT_SQL}), ({UNREAD_COUNT_SQL})
FROM {_POSTS.source}
WHERE forum_posts.forum_id = %s AND forum_posts.topic_id IS NULL
      AND forum_posts.hidden_at IS NULL AND forum_posts.is_pinned = %s {{state}} {{before}}
ORDER BY forum_posts.created_at DESC, forum_posts.forum_post_id DESC
"""  # noqa: S608 - constant SQL: the values are parameters
_IN_STATE = "AND forum_posts.suggestion_state = %s"
_BEFORE = "AND (forum_posts.created_at, forum_posts.forum_post_id) < (%s, %s)"


def _topics_sql(*, forum: Forum, user, pinned: bool, state, before) -> tuple[str, list]:
    viewer = _viewer_id(user)
    sql = _TOPICS_SQL.format(state=_IN_STATE if state else "", before=_BEFORE if before else "")
    params = [viewer, viewer, viewer, viewer, forum.pk, pinned]
    if state:
        params.append(state)
    if before:
        params += [before.created_at, before.pk]
    return sql, params


# Where _read_topics' rows hold what the topic list sorts, splits and varies on.
_TOPIC_PK = _POSTS.column("id")
_TOPIC_CREATED_AT = _POSTS.column("created_at")
_TOPIC_UPDATED_AT = _POSTS.column("updated_at")
_TOPIC_IS_PINNED = _POSTS.column("is_pinned")
_TOPIC_AUTHOR_NAME = _POSTS.column("author.username")
_TOPIC_COUNTS = slice(_POSTS.author_end, None)


def _read_topics(*, forum: Forum, user, state, before) -> tuple[str, list[tuple]]:
    """The pinned topics (none past the first page) and one page of the others (and one
    more, to know there is a next page), in one statement: the rows as read."""
    page_sql, params = _topics_sql(forum=forum, user=user, pinned=False, state=state, before=before)
    sql = f"({page_sql} LIMIT {TOPIC_PAGE_SIZE + 1})"
    if before is None:
        pinned_sql, pinned_params = _topics_sql(
            forum=forum, user=user, pinned=True, state=state, before=None
        )
        sql = f"({pinned_sql}) UNION ALL {sql}"
        params = pinned_params + params
    return _POSTS.fetch(sql, params)


class TopicList:
    """One page of a forum's topics, newest first, pinned ones above the first page.

    Kept as the rows read: a page served from its shared fragment needs only `vary`, so
    the topics (models with their authors, counts and the viewer's state) are built only
    when the rows are rendered (docs/performance.md, "Round 4: forums").
    """

    def __init__(self, *, using: str, rows: list[tuple], before: Cursor | None) -> None:
        # A UNION ALL keeps no order of its own: newest first within each kind.
        rows = sorted(rows, key=lambda row: (row[_TOPIC_CREATED_AT], row[_TOPIC_PK]), reverse=True)
        page = [row for row in rows if not row[_TOPIC_IS_PINNED]]
        self._using = using
        self._pinned_rows = [row for row in rows if row[_TOPIC_IS_PINNED]]
        self._page_rows = page[:TOPIC_PAGE_SIZE]
        last = self._page_rows[-1] if len(page) > TOPIC_PAGE_SIZE else None
        self.next_cursor = (
            Cursor(created_at=last[_TOPIC_CREATED_AT], pk=last[_TOPIC_PK]) if last else None
        )
        self.first_page = before is None

    def _built(self, rows: list[tuple]) -> list[ForumPost]:
        topics = []
        for topic, counts in _POSTS.built(self._using, rows):
            (
                topic.reply_count,
                topic.vote_count,
                topic.voted,
                topic.last_read_at,
                topic.unread_count,
            ) = counts
            # "N new replies" leads to the first of them: the replies after the read position.
            read_at = topic.last_read_at
            topic.unread_cursor = str(Cursor.at(read_at)) if read_at else ""
            topics.append(topic)
        return topics

    @cached_property
    def pinned(self) -> list[ForumPost]:
        return self._built(self._pinned_rows)

    @cached_property
    def topics(self) -> list[ForumPost]:
        return self._built(self._page_rows)

    @property
    def vary(self) -> tuple:
        """What the rows show that changes (a shared fragment in forum.html): each topic
        (`updated_at` moves with an edit, a pin, a lock, an answer), its author's username
        (the name shown is made from it), its counts, and the viewer's vote, read position
        and unread replies."""
        return tuple(
            (row[_TOPIC_PK], row[_TOPIC_UPDATED_AT], row[_TOPIC_AUTHOR_NAME], *row[_TOPIC_COUNTS])
            for row in [*self._pinned_rows, *self._page_rows]
        )


def topic_list(
    *, forum: Forum, user, before: Cursor | None = None, state: str | None = None
) -> TopicList:
    """One query whatever the number of topics: the pinned ones and a page."""
    using, rows = _read_topics(forum=forum, user=user, state=state, before=before)
    return TopicList(using=using, rows=rows, before=before)


def topic_in(*, community_id, topic_id, user) -> ForumPost | None:
    """A topic (not a reply, not a chat message) of the community, with its counts."""
    return (
        _topics_of_community(community_id=community_id, user=user)
        .filter(pk=topic_id)
        .select_related("forum")
        .first()
    )


def _topics_of_community(*, community_id, user) -> QuerySet[ForumPost]:
    topics = ForumPost.objects.filter(
        forum__community_id=community_id, topic__isnull=True, hidden_at__isnull=True
    )
    topics = topics.exclude(forum__forum_type=ForumType.ALL_CHAT).select_related("user")
    return topics.annotate(
        vote_count=_correlated(VOTE_COUNT_SQL, (), IntegerField()),
        voted=_correlated(VOTED_SQL, (_viewer_id(user),), BooleanField()),
    )


@dataclass(frozen=True)
class ReactionCount:
    emoji: str
    label: str
    count: int
    mine: bool


@dataclass
class TopicPage:
    """A topic and one page of its replies, oldest first, from `after` on."""

    topic: ForumPost
    user: object
    after: Cursor | None
    replies: list[ForumPost] = field(init=False)
    next_cursor: Cursor | None = field(init=False)

    def __post_init__(self) -> None:
        replies = ForumPost.objects.filter(topic=self.topic, hidden_at__isnull=True).select_related(
            "user"
        )
        if self.after is not None:
            replies = replies.filter(_after(self.after))
        rows = list(replies.order_by("created_at", "pk")[: REPLY_PAGE_SIZE + 1])
        self.next_cursor = (
            Cursor.of(rows[REPLY_PAGE_SIZE - 1]) if len(rows) > REPLY_PAGE_SIZE else None
        )
        self.replies = rows[:REPLY_PAGE_SIZE]
        counts = reactions_of(posts=[self.topic, *self.replies], user=self.user)
        for post in [self.topic, *self.replies]:
            # Set for the page's template only: not declared on the model.
            post.reaction_counts = counts[post.pk]  # type: ignore[attr-defined]

    @property
    def newest_shown(self) -> datetime:
        """The read position this page moves the viewer to."""
        return self.replies[-1].created_at if self.replies else self.topic.created_at


def reactions_of(*, posts: list[ForumPost], user) -> dict[UUID, list[ReactionCount]]:
    """Every reaction of the fixed set for each post: its count and whether it is the
    viewer's (two queries for any number of posts)."""
    ids = [post.pk for post in posts]
    counts = {
        (row["post_id"], row["emoji"]): row["n"]
        for row in ForumPostReaction.objects.filter(post_id__in=ids)
        .values("post_id", "emoji")
        .annotate(n=Count("*"))
    }
    mine = (
        set(
            ForumPostReaction.objects.filter(post_id__in=ids, user=user).values_list(
                "post_id", "emoji"
            )
        )
        if user.is_authenticated
        else set()
    )
    return {
        post_id: [
            ReactionCount(
                emoji=emoji,
                label=label,
                count=counts.get((post_id, emoji), 0),
                mine=(post_id, emoji) in mine,
            )
            for emoji, label in Reaction.choices
        ]
        for post_id in ids
    }


def _people_of(community: Community) -> Q:
    """The community's members with access, and its artist: who may be @mentioned."""
    members = CommunitySubscription.objects.members().filter(community=community).values("user_id")
    return Q(pk__in=members) | Q(pk=community.artist.user_id)


def community_people_named(*, community: Community, usernames: list[str]) -> list[UUID]:
    """The ids of the community's people among `usernames` (any letter case)."""
    named = Q()
    for name in usernames:
        named |= Q(username__iexact=name)
    return list(
        get_user_model()
        .objects.filter(named)
        .filter(_people_of(community))
        .values_list("pk", flat=True)
    )


def people_matching(*, community: Community, prefix: str) -> list:
    """The community's people whose username starts with `prefix`: @mention suggestions."""
    if not prefix:
        return []
    return list(
        get_user_model()
        .objects.filter(_people_of(community), username__istartswith=prefix)
        .order_by("username")[:MENTION_SUGGESTIONS]
    )
