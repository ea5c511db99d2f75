from django.conf import settings
from django.db import models

from musicplatform.db import created_at, uuid_primary_key


class NotificationType(models.TextChoices):
    """What a notification is about; also the unit of a user's email preferences."""

    POST = "post", "New posts by artists I follow or whose communities I belong to"
    FORUM_POST = "forum_post", "New artist-forum posts in my communities"
    COMMENT_REPLY = "comment_reply", "Replies to my comments"
    FORUM_REPLY = "forum_reply", "Replies to my forum topics"
    MENTION = "mention", "@mentions of me in my communities' forums"
    LIKE = "like", "Likes on my posts, comments and reviews"
    NEW_MEMBER = "new_member", "New members of my communities"
    ORDER = "order", "Changes to my orders"
    SALE = "sale", "New orders of my products to ship"
    PAYMENT = "payment", "Payments completed, failed or refunded"
    SUBSCRIPTION = "subscription", "Subscriptions renewed, in grace or ended"
    VERIFICATION = "verification", "Artist verification decisions"
    LIVE_EVENT = "live_event", "Live events scheduled or starting"
    PAYOUT = "payout", "Payouts of my earnings sent, paid or failed"
    POST_COMMENT = "post_comment", "Comments on my posts"
    NEW_SALE = "new_sale", "New sales of my downloads"
    FLAG = "flag", "Flags waiting for review in communities I moderate"
    SUGGESTION_ANSWERED = "suggestion_answered", "My suggestions answered"


# What arrives by email for a user who has not chosen: orders, subscriptions and account
# matters. Payments are not among them because every payment already sends its receipt.
EMAILED_BY_DEFAULT = frozenset(
    {
        NotificationType.ORDER,
        NotificationType.SALE,
        NotificationType.SUBSCRIPTION,
        NotificationType.VERIFICATION,
        NotificationType.PAYOUT,
    }
)


class Notification(models.Model):
    id = uuid_primary_key("notification_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="notifications",
        db_index=False,
    )
    title = models.CharField(max_length=255)
    message = models.TextField()
    notification_type = models.CharField(max_length=50, choices=NotificationType.choices)
    related_resource_type = models.CharField(max_length=50, null=True, blank=True)
    related_resource_id = models.UUIDField(null=True, blank=True)
    is_read = models.BooleanField(default=False, db_default=False)
    created_at = created_at()
    # When the email copy went out; NULL while none is due or sent (see docs/schema.md).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        indexes = [
            models.Index(fields=["user"], name="idx_notifications_user_id"),
            models.Index(fields=["is_read"], name="idx_notifications_is_read"),
            models.Index(fields=["created_at"], name="idx_notifications_created_at"),
            models.Index(
                fields=["related_resource_type", "related_resource_id"],
                name="idx_notifications_resource",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationEmailPreference(models.Model):
    """A user's choice for one notification type; no row means EMAILED_BY_DEFAULT decides."""

    id = uuid_primary_key("preference_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        related_name="notification_email_preferences",
        db_index=False,
    )
    notification_type = models.CharField(max_length=50, choices=NotificationType.choices)
    send_email = models.BooleanField()

    class Meta:
        db_table = "notification_email_preferences"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "notification_type"],
                name="notification_email_preferences_user_type_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_type}: {'email' if self.send_email else 'in-app only'}"
