from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Deferrable, Q
from django.urls import reverse
from django.utils import timezone

from content.models import MediaType
from musicplatform.db import (
    CurrentTimestamp,
    created_at,
    searchable_text,
    updated_at,
    uuid_primary_key,
)


class SubscriptionInterval(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


# How long one paid period of each interval lasts.
SUBSCRIPTION_PERIODS = {
    SubscriptionInterval.MONTHLY: timedelta(days=30),
    SubscriptionInterval.YEARLY: timedelta(days=365),
}


class Community(models.Model):
    id = uuid_primary_key("community_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DB_CASCADE, related_name="communities", db_index=False
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    subscription_fee = models.DecimalField(max_digits=10, decimal_places=2)
    subscription_interval = models.CharField(
        max_length=20,
        choices=SubscriptionInterval.choices,
        default=SubscriptionInterval.MONTHLY,
        db_default=SubscriptionInterval.MONTHLY,
    )
    # Its place among the artist's tiers (1 is the lowest): members of a higher tier see
    # the lower tiers' content too (communities.selectors). NULL: not one of the tiers.
    tier_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()
    search_document = searchable_text(titles=("name",), body="description")

    class Meta:
        db_table = "communities"
        verbose_name_plural = "communities"
        indexes = [
            GinIndex(fields=["search_document"], name="idx_communities_search"),
            # Misspelt names (pg_trgm's `%>`), when full-text search finds no word.
            GinIndex(fields=["name"], name="idx_communities_name_trgm", opclasses=["gin_trgm_ops"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "name"], name="communities_artist_id_name_key"
            ),
            models.CheckConstraint(
                condition=Q(subscription_fee__gte=0), name="communities_fee_not_negative"
            ),
            # Deferred: reordering the tiers swaps ranks inside one transaction.
            models.UniqueConstraint(
                fields=["artist", "tier_rank"],
                name="communities_artist_id_tier_rank_key",
                deferrable=Deferrable.DEFERRED,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", args=[self.pk])


class CommunityMemberCount(models.Model):
    """Members with access per community as of the last refresh: a materialized view
    (communities/0005) that beat refreshes every minute (`member_counts_refresh`), so
    ranking communities never counts every subscription on a page view."""

    community = models.OneToOneField(
        Community,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_column="community_id",
        db_constraint=False,
        related_name="member_tally",
    )
    member_count = models.IntegerField()

    class Meta:
        managed = False
        db_table = "community_member_counts"

    def __str__(self) -> str:
        return f"{self.member_count} members"


class SubscriptionStatus(models.TextChoices):
    # Joined (or rejoining) and not paid yet: no access.
    PENDING = "pending", "Waiting for payment"
    ACTIVE = "active", "Active"
    # A renewal could not be charged (declined, or waiting for the member to confirm it):
    # access is kept until `grace_until` while it is retried.
    GRACE = "grace", "Renewal payment due"
    # The member stopped renewing; access is kept until the end of the paid period.
    CANCELLED = "cancelled", "Not renewing"
    ENDED = "ended", "Ended"


# The statuses of a membership that `is_active` (the design document's flag) stands for;
# access is `is_active` and the paid period or grace not over
# (CommunitySubscription.objects.members()).
SUBSCRIPTION_STATUSES_ACTIVE = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.GRACE,
    SubscriptionStatus.CANCELLED,
)

# Every move a membership may make (issue 17, 14a); status_change() enforces it.
SUBSCRIPTION_TRANSITIONS = {
    SubscriptionStatus.PENDING: (SubscriptionStatus.ACTIVE,),
    SubscriptionStatus.ACTIVE: (
        SubscriptionStatus.GRACE,
        SubscriptionStatus.CANCELLED,
        SubscriptionStatus.ENDED,
    ),
    SubscriptionStatus.GRACE: (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.CANCELLED,
        SubscriptionStatus.ENDED,
    ),
    SubscriptionStatus.CANCELLED: (
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.GRACE,
        SubscriptionStatus.ENDED,
    ),
    # Rejoining starts a new join; a payment the member confirmed after the end (a renewal
    # that waited for them) pays a new period at once.
    SubscriptionStatus.ENDED: (SubscriptionStatus.PENDING, SubscriptionStatus.ACTIVE),
}


class CommunitySubscriptionQuerySet(models.QuerySet):
    def members(self, *, now=None) -> "CommunitySubscriptionQuerySet":
        """Who is a member: the one definition every page, count and fan-out uses.

        A membership gives access while `is_active` (active, in grace or cancelled) and its
        paid period or grace is not over at `now`, and only to a user who is not deleted. An
        expired period the renewal task has not ended yet gives no access. The member counts
        view (communities/migrations) spells the same rule in SQL; a test keeps them equal.
        """
        now = now or timezone.now()
        return self.filter(is_active=True, user__deleted_at__isnull=True).filter(
            Q(end_date__gt=now) | Q(grace_until__gt=now)
        )


class CommunitySubscription(models.Model):
    id = uuid_primary_key("subscription_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="community_subscriptions",
        db_index=False,
    )
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="subscriptions", db_index=False
    )
    start_date = models.DateTimeField(db_default=CurrentTimestamp())
    end_date = models.DateTimeField()
    is_active = models.BooleanField(default=True, db_default=True)
    # The payment that paid for the current period; the document gives it no ON DELETE.
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    auto_renew = models.BooleanField(default=True, db_default=True)
    # Set when a renewal charge failed: access is kept until then while it is retried.
    grace_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
        db_default=SubscriptionStatus.ACTIVE,
    )
    # What the member agreed to pay, and how often: renewals charge this, never the
    # community's current fee (grandfathering; docs/payments.md).
    price = models.DecimalField(max_digits=10, decimal_places=2)
    billing_interval = models.CharField(max_length=20, choices=SubscriptionInterval.choices)
    # When the member accepted `price`: joining, or switching to a new price explicitly.
    price_accepted_at = models.DateTimeField(db_default=CurrentTimestamp())
    created_at = created_at()
    updated_at = updated_at()

    objects = CommunitySubscriptionQuerySet.as_manager()

    class Meta:
        db_table = "community_subscriptions"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"],
                name="community_subscriptions_user_id_community_id_key",
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, status__in=SUBSCRIPTION_STATUSES_ACTIVE)
                | (Q(is_active=False) & ~Q(status__in=SUBSCRIPTION_STATUSES_ACTIVE)),
                name="community_subscriptions_is_active_status",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="community_subscriptions_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_subscriptions_user_id"),
            models.Index(fields=["community"], name="idx_subscriptions_community_id"),
            models.Index(fields=["end_date"], name="idx_subscriptions_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.community_id}"

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", args=[self.community_id])

    @property
    def access_until(self):
        """When access ends: the paid period, or the grace after a failed renewal."""
        if not self.is_active:
            return None
        return max(self.end_date, self.grace_until) if self.grace_until else self.end_date

    @property
    def new_price_offered(self) -> bool:
        """The community's fee or interval differs from what this member accepted."""
        return (self.price, self.billing_interval) != (
            self.community.subscription_fee,
            self.community.subscription_interval,
        )


class ForumType(models.TextChoices):
    ARTIST_FORUM = "artist_forum", "Artist forum"
    ALL_CHAT = "all_chat", "All chat"
    FAN_ART = "fan_art", "Fan art"
    SUGGESTIONS = "suggestions", "Suggestions"


class Forum(models.Model):
    id = uuid_primary_key("forum_id")
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="forums", db_index=False
    )
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    forum_type = models.CharField(max_length=50, choices=ForumType.choices)
    # Slow mode: a member posts at most once in this many seconds (0: off); moderators set it.
    slow_mode_seconds = models.PositiveIntegerField(default=0, db_default=0)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "forums"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="forums_community_id_name_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SuggestionState(models.TextChoices):
    OPEN = "open", "Open"
    PLANNED = "planned", "Planned"
    ANSWERED = "answered", "Answered"
    DECLINED = "declined", "Declined"


# The artist may change their mind, but never back to "no answer yet".
SUGGESTION_TRANSITIONS = {
    SuggestionState.OPEN: {
        SuggestionState.PLANNED,
        SuggestionState.ANSWERED,
        SuggestionState.DECLINED,
    },
    SuggestionState.PLANNED: {SuggestionState.ANSWERED, SuggestionState.DECLINED},
    SuggestionState.ANSWERED: {SuggestionState.PLANNED},
    SuggestionState.DECLINED: {SuggestionState.PLANNED, SuggestionState.ANSWERED},
}


class ForumPost(models.Model):
    id = uuid_primary_key("forum_post_id")
    forum = models.ForeignKey(
        Forum, on_delete=models.DB_CASCADE, related_name="posts", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="forum_posts",
        db_index=False,
    )
    # A reply names the topic it answers (replies are one level deep: a reply's topic is
    # always a topic); topics, chat messages and fan art have none.
    topic = models.ForeignKey(
        "self",
        on_delete=models.DB_CASCADE,
        related_name="replies",
        null=True,
        blank=True,
        db_index=False,
    )
    title = models.CharField(max_length=255, null=True, blank=True)
    content = models.TextField(null=True, blank=True)
    media_type = models.CharField(max_length=50, choices=MediaType.choices, null=True, blank=True)
    media_urls = ArrayField(models.TextField(), null=True, blank=True)
    is_pinned = models.BooleanField(default=False, db_default=False)
    is_answered = models.BooleanField(default=False, db_default=False)
    # A locked topic takes no more replies; a hidden post (by a moderator, or by
    # FLAGS_TO_HIDE open flags) is shown to nobody until a moderator reviews it.
    is_locked = models.BooleanField(default=False, db_default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    # Suggestions only: the artist's answer; is_answered is "the state is answered".
    suggestion_state = models.CharField(
        max_length=20, choices=SuggestionState.choices, null=True, blank=True
    )
    created_at = created_at()
    updated_at = updated_at()
    search_document = searchable_text(titles=("title",), body="content")

    class Meta:
        db_table = "forum_posts"
        indexes = [
            # Forum topics (posts with a title) are what search lists of forums.
            GinIndex(
                fields=["search_document"],
                name="idx_forum_posts_search",
                condition=Q(title__isnull=False),
            ),
            models.Index(fields=["forum"], name="idx_forum_posts_forum_id"),
            models.Index(fields=["user"], name="idx_forum_posts_user_id"),
            models.Index(fields=["created_at"], name="idx_forum_posts_created_at"),
            # A topic's replies in order, and the cursor that pages through them.
            models.Index(
                fields=["topic", "created_at", "id"],
                name="idx_forum_posts_topic_id",
                condition=Q(topic__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_answered=False) | Q(suggestion_state=SuggestionState.ANSWERED),
                name="forum_posts_answered_state",
            ),
        ]

    def __str__(self) -> str:
        return self.title or (self.content or "")[:60]

    def get_absolute_url(self) -> str:
        """A topic's page; a reply's place on its topic's page; a chat message's forum."""
        community_id = self.forum.community_id
        if self.topic_id is not None:
            url = reverse("communities:topic", args=[community_id, self.topic_id])
            return f"{url}?reply={self.pk}#post-{self.pk}"
        if self.forum.forum_type == ForumType.ALL_CHAT:
            return reverse("communities:forum", args=[community_id, self.forum_id])
        return reverse("communities:topic", args=[community_id, self.pk])


class ForumPostVote(models.Model):
    """A member's vote for a suggestion: one per member and suggestion."""

    id = uuid_primary_key("forum_post_vote_id")
    post = models.ForeignKey(
        ForumPost, on_delete=models.DB_CASCADE, related_name="votes", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    created_at = created_at()

    class Meta:
        db_table = "forum_post_votes"
        constraints = [
            models.UniqueConstraint(fields=["post", "user"], name="forum_post_votes_post_user_key")
        ]
        indexes = [models.Index(fields=["user"], name="idx_forum_post_votes_user_id")]

    def __str__(self) -> str:
        return f"{self.user_id} votes for {self.post_id}"


class Reaction(models.TextChoices):
    """The fixed set of reactions: few enough to show every count under a post."""

    THUMBS_UP = "👍", "Thumbs up"
    HEART = "❤️", "Heart"
    LAUGH = "😂", "Laugh"
    WOW = "😮", "Wow"
    FIRE = "🔥", "Fire"


class ForumPostReaction(models.Model):
    """One member's reaction to a topic, reply or chat message: one per member per emoji."""

    id = uuid_primary_key("forum_post_reaction_id")
    post = models.ForeignKey(
        ForumPost, on_delete=models.DB_CASCADE, related_name="reactions", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    emoji = models.CharField(max_length=16, choices=Reaction.choices)
    created_at = created_at()

    class Meta:
        db_table = "forum_post_reactions"
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user", "emoji"], name="forum_post_reactions_post_user_emoji_key"
            )
        ]
        indexes = [models.Index(fields=["user"], name="idx_forum_reactions_user_id")]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.post_id}"


class ForumTopicRead(models.Model):
    """How far a member has read a topic: the newest reply they have seen."""

    id = uuid_primary_key("forum_topic_read_id")
    topic = models.ForeignKey(
        ForumPost, on_delete=models.DB_CASCADE, related_name="reads", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    last_read_at = models.DateTimeField()

    class Meta:
        db_table = "forum_topic_reads"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic"], name="forum_topic_reads_user_topic_key"
            )
        ]
        indexes = [models.Index(fields=["topic"], name="idx_forum_topic_reads_topic_id")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.topic_id} up to {self.last_read_at}"


class LiveEventType(models.TextChoices):
    QA = "qa", "Q&A"
    CHAT = "chat", "Chat"


class LiveEventStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class LiveEvent(models.Model):
    id = uuid_primary_key("event_id")
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="live_events", db_index=False
    )
    title = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)
    event_type = models.CharField(max_length=50, choices=LiveEventType.choices)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=50,
        choices=LiveEventStatus.choices,
        default=LiveEventStatus.SCHEDULED,
        db_default=LiveEventStatus.SCHEDULED,
    )
    # Slow mode of the event's chat, as Forum.slow_mode_seconds.
    slow_mode_seconds = models.PositiveIntegerField(default=0, db_default=0)
    # Where the event streams: any https address; YouTube and Twitch ones are also
    # embedded as a player on the event's page (communities/streams.py).
    stream_url = models.URLField(max_length=500, blank=True, default="", db_default="")
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "live_events"
        indexes = [
            models.Index(fields=["community"], name="idx_live_events_community_id"),
            models.Index(fields=["start_time"], name="idx_live_events_start_time"),
            models.Index(fields=["status"], name="idx_live_events_status"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("communities:event", args=[self.community_id, self.pk])


# The only moves a live event makes (issue 7); everything else is refused by status_change.
LIVE_EVENT_TRANSITIONS = {
    LiveEventStatus.SCHEDULED: (LiveEventStatus.LIVE, LiveEventStatus.CANCELLED),
    LiveEventStatus.LIVE: (LiveEventStatus.COMPLETED, LiveEventStatus.CANCELLED),
}


class SubscriptionRenewal(models.Model):
    """One subscription period's renewal: the idempotency key that keeps it charged once.

    Unique per (subscription, period_end): two workers, or a task run twice, find the same
    row and the same payment instead of charging the period again (docs/schema.md).
    """

    id = uuid_primary_key("renewal_id")
    subscription = models.ForeignKey(
        CommunitySubscription,
        on_delete=models.DB_CASCADE,
        related_name="renewals",
        db_index=False,
    )
    # The end_date of the period this renewal extends.
    period_end = models.DateTimeField()
    # The current attempt; a new one is made only after the previous one failed.
    payment = models.ForeignKey(
        "payments.Payment",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "community_subscription_renewals"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_end"],
                name="community_subscription_renewals_period_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} until {self.period_end:%Y-%m-%d}"


class LiveEventMessage(models.Model):
    """A chat message (chat events) or a question (Q&A events), kept after the event.

    `seq` numbers the messages of one event in commit order (inserts are serialised per
    event), so a poll asking for "after n" never misses a message.
    """

    id = uuid_primary_key("message_id")
    event = models.ForeignKey(
        LiveEvent, on_delete=models.DB_CASCADE, related_name="messages", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="live_event_messages",
        db_index=False,
    )
    seq = models.PositiveIntegerField()
    content = models.CharField(max_length=500)
    is_answered = models.BooleanField(default=False, db_default=False)
    # As ForumPost.hidden_at.
    hidden_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "live_event_messages"
        constraints = [
            models.UniqueConstraint(fields=["event", "seq"], name="live_event_messages_seq_key"),
        ]
        indexes = [
            models.Index(fields=["user", "created_at"], name="idx_live_event_messages_user"),
        ]

    def __str__(self) -> str:
        return self.content[:60]


class LiveEventVote(models.Model):
    """A member's upvote of a question; one per member and question."""

    id = uuid_primary_key("vote_id")
    message = models.ForeignKey(
        LiveEventMessage, on_delete=models.DB_CASCADE, related_name="votes", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="live_event_votes",
        db_index=False,
    )
    created_at = created_at()

    class Meta:
        db_table = "live_event_votes"
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="live_event_votes_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ↑ {self.message_id}"


class TierChangeKind(models.TextChoices):
    # To a higher tier: the prorated difference is paid now, the move follows the payment.
    UPGRADE = "upgrade", "Upgrade"
    # To a lower tier: from the next period, at the lower price; nothing is charged now.
    DOWNGRADE = "downgrade", "Downgrade"


class TierChangeStatus(models.TextChoices):
    # An upgrade waiting for its payment, or a downgrade waiting for the period's end.
    PENDING = "pending", "Pending"
    APPLIED = "applied", "Applied"
    CANCELLED = "cancelled", "Cancelled"


TIER_CHANGE_TRANSITIONS = {
    TierChangeStatus.PENDING: (TierChangeStatus.APPLIED, TierChangeStatus.CANCELLED),
}


class SubscriptionTierChange(models.Model):
    """A member's move from the tier of `subscription` to `to_community` (docs/payments.md,
    "Tiers"). At most one is pending per membership: a double submit or a second tab finds
    it instead of starting a second payment."""

    id = uuid_primary_key("tier_change_id")
    # The membership that moves (its tier is the one left).
    subscription = models.ForeignKey(
        CommunitySubscription,
        on_delete=models.DB_CASCADE,
        related_name="tier_changes",
        db_index=False,
    )
    to_community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=TierChangeKind.choices)
    # Charged now: an upgrade's prorated difference, shown to the member before; 0 otherwise.
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # The new tier's price and interval the member accepted, charged from then on.
    price = models.DecimalField(max_digits=10, decimal_places=2)
    billing_interval = models.CharField(max_length=20, choices=SubscriptionInterval.choices)
    # An upgrade's payment; applying the change waits for it to complete.
    payment = models.OneToOneField(
        "payments.Payment",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=20,
        choices=TierChangeStatus.choices,
        default=TierChangeStatus.PENDING,
        db_default=TierChangeStatus.PENDING,
    )
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "community_subscription_tier_changes"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(status="pending"),
                name="community_tier_changes_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, price__gte=0),
                name="community_tier_changes_money_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["subscription"], name="idx_tier_changes_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.subscription_id} to {self.to_community_id}"


# Moderation (issue 22, items 7 and 8)


class CommunityModerator(models.Model):
    """A member the artist named to moderate the community with them."""

    id = uuid_primary_key("moderator_id")
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="moderators", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="moderated_communities",
        db_index=False,
    )
    created_at = created_at()

    class Meta:
        db_table = "community_moderators"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], name="community_moderators_community_user_key"
            ),
        ]
        indexes = [models.Index(fields=["user"], name="idx_community_moderators_user")]

    def __str__(self) -> str:
        return f"{self.user_id} moderates {self.community_id}"


class CommunityRestriction(models.Model):
    """A member muted (read-only until `muted_until`) or banned (for good) in a community."""

    id = uuid_primary_key("restriction_id")
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="restrictions", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="community_restrictions",
        db_index=False,
    )
    muted_until = models.DateTimeField(null=True, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "community_restrictions"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], name="community_restrictions_community_user_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.community_id}"


class FlaggedKind(models.TextChoices):
    FORUM_POST = "forum_post", "Forum post"
    LIVE_MESSAGE = "live_message", "Live chat message"
    COMMENT = "comment", "Comment"
    REVIEW = "review", "Review"


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    HARASSMENT = "harassment", "Harassment"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Other"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    # A moderator agreed: the item was hidden or deleted.
    UPHELD = "upheld", "Acted on"
    # A moderator found nothing wrong: the item is shown again.
    DISMISSED = "dismissed", "Dismissed"


FLAG_TRANSITIONS = {FlagStatus.OPEN: (FlagStatus.UPHELD, FlagStatus.DISMISSED)}


class ContentFlag(models.Model):
    """A member's report of a forum post, chat message, comment or review.

    `object_id` points at the row `kind` names (D7's polymorphic pattern; the flag service
    checks it exists). `artist` is whose space the item is in (their community, their post,
    a review of their work), whose queue it joins; `community` is set for community items.
    """

    id = uuid_primary_key("flag_id")
    kind = models.CharField(max_length=20, choices=FlaggedKind.choices)
    object_id = models.UUIDField()
    artist = models.ForeignKey(
        "artists.Artist",
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="flags",
        db_index=False,
    )
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, related_name="+", db_index=False
    )
    # Whose item it is, so the queue names them and a moderator can mute or ban them.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(max_length=20, choices=FlagReason.choices)
    note = models.CharField(max_length=500, blank=True, default="", db_default="")
    status = models.CharField(
        max_length=20, choices=FlagStatus.choices, default=FlagStatus.OPEN, db_default="open"
    )
    created_at = created_at()

    class Meta:
        db_table = "content_flags"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "flagged_by"], name="content_flags_one_per_member"
            ),
        ]
        indexes = [
            models.Index(
                fields=["artist", "created_at"],
                name="idx_content_flags_open",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on {self.kind} {self.object_id}"


class ModerationActionType(models.TextChoices):
    HIDE = "hide", "Hid"
    UNHIDE = "unhide", "Showed again"
    DELETE = "delete", "Deleted"
    LOCK = "lock", "Locked"
    UNLOCK = "unlock", "Unlocked"
    PIN = "pin", "Pinned"
    UNPIN = "unpin", "Unpinned"
    DISMISS_FLAGS = "dismiss_flags", "Dismissed the flags on"
    MUTE = "mute", "Muted"
    UNMUTE = "unmute", "Unmuted"
    BAN = "ban", "Banned"
    SLOW_MODE = "slow_mode", "Set slow mode of"
    NAME_MODERATOR = "name_moderator", "Named moderator"
    REMOVE_MODERATOR = "remove_moderator", "Removed moderator"


class ModerationAction(models.Model):
    """The community's moderation log: who did what to what, and why."""

    id = uuid_primary_key("action_id")
    community = models.ForeignKey(
        Community, on_delete=models.DB_CASCADE, related_name="moderation_actions", db_index=False
    )
    # Kept when the moderator's account is deleted: the log outlives accounts.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=20, choices=ModerationActionType.choices)
    # What it was done to, in words ("chat message by ana: “…”", "forum Chat"): the item may
    # be deleted since.
    target = models.CharField(max_length=255)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    created_at = created_at()

    class Meta:
        db_table = "moderation_actions"
        indexes = [
            models.Index(fields=["community", "-created_at"], name="idx_moderation_actions"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.target}"
