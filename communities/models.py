from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from content.models import MediaType
from musicplatform.db import CurrentTimestamp, created_at, updated_at, uuid_primary_key


class SubscriptionInterval(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


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
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "communities"
        verbose_name_plural = "communities"
        constraints = [
            models.UniqueConstraint(
                fields=["artist", "name"], name="communities_artist_id_name_key"
            ),
            models.CheckConstraint(
                condition=Q(subscription_fee__gte=0), name="communities_fee_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


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
        "shop.Payment",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    auto_renew = models.BooleanField(default=True, db_default=True)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "community_subscriptions"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "community"],
                name="community_subscriptions_user_id_community_id_key",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_subscriptions_user_id"),
            models.Index(fields=["community"], name="idx_subscriptions_community_id"),
            models.Index(fields=["end_date"], name="idx_subscriptions_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.community_id}"


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
    title = models.CharField(max_length=255, null=True, blank=True)
    content = models.TextField(null=True, blank=True)
    media_type = models.CharField(max_length=50, choices=MediaType.choices, null=True, blank=True)
    media_urls = ArrayField(models.TextField(), null=True, blank=True)
    is_pinned = models.BooleanField(default=False, db_default=False)
    is_answered = models.BooleanField(default=False, db_default=False)
    created_at = created_at()
    updated_at = updated_at()

    class Meta:
        db_table = "forum_posts"
        indexes = [
            models.Index(fields=["forum"], name="idx_forum_posts_forum_id"),
            models.Index(fields=["user"], name="idx_forum_posts_user_id"),
            models.Index(fields=["created_at"], name="idx_forum_posts_created_at"),
        ]

    def __str__(self) -> str:
        return self.title or (self.content or "")[:60]


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
