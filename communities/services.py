"""Every write of the communities app: communities, forums, posts, subscriptions, live events.

Money goes through the payment service (shop.payments, docs/payments.md): a subscription
is paid with `payment_start`, renewed with `payment_renewal_create` + `payment_charge_saved`,
and activated or extended by the payment service's own hook when its payment completes.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from communities import selectors
from communities.media import private_media_store
from communities.models import (
    LIVE_EVENT_TRANSITIONS,
    Community,
    CommunitySubscription,
    Forum,
    ForumPost,
    ForumType,
    LiveEvent,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
    LiveEventVote,
    SubscriptionRenewal,
)
from content.media import check_upload
from content.models import MediaType
from musicplatform.cache import invalidate_on_commit
from musicplatform.db import CurrentTimestamp
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType, StatusHistory
from notifications.services import notifications_create, status_change, unannounced_ids

logger = logging.getLogger(__name__)

# Renewals are charged this long before the period ends, so a decline leaves time to retry.
RENEWAL_LEAD = timedelta(days=1)
GRACE_PERIOD = timedelta(days=3)
RETRY_INTERVAL = timedelta(days=1)
CHAT_MESSAGE_MAX = 500
# At most this many live-event messages per user within the window.
MESSAGE_RATE_LIMIT = 5
MESSAGE_RATE_WINDOW = timedelta(seconds=10)


class CommunityError(Exception):
    """A request we refuse; the message is meant for the person who made it."""


class ClockTimestamp(models.Func):
    """The wall clock at the moment of the INSERT, not the transaction's start."""

    template = "clock_timestamp()"
    output_field = models.DateTimeField()


def _invalidate_info(community_id) -> None:
    invalidate_on_commit(selectors.community_info_key(community_id))


def _invalidate_member(subscription: CommunitySubscription) -> None:
    invalidate_on_commit(
        selectors.access_key(subscription.community_id, subscription.user_id),
        selectors.community_info_key(subscription.community_id),
    )


def _is_artist_of(community: Community, user) -> bool:
    return community.artist.user_id is not None and community.artist.user_id == user.pk


def _require_manager(community: Community, user) -> None:
    if not (_is_artist_of(community, user) or user.is_staff):
        raise CommunityError("Only the community's artist can do that.")


def _require_access(community_id, user) -> None:
    # Views check this too; a service never trusts its caller with the paywall.
    info = selectors.community_info(community_id=community_id)
    if info is None or not selectors.can_view_content(info=info, user=user):
        raise CommunityError("This is for the community's members.")


# Communities


def community_create(
    *,
    artist,
    name: str,
    subscription_fee: Decimal,
    subscription_interval: str,
    description: str = "",
) -> Community:
    name = name.strip()
    validate_single_line(name)
    try:
        with transaction.atomic():
            return Community.objects.create(
                artist=artist,
                name=name,
                description=description.strip() or None,
                subscription_fee=subscription_fee,
                subscription_interval=subscription_interval,
            )
    except IntegrityError as error:
        raise CommunityError(f"You already have a community called “{name}”.") from error


def community_update(
    *,
    community: Community,
    by,
    name: str,
    subscription_fee: Decimal,
    subscription_interval: str,
    description: str = "",
) -> Community:
    """New fees apply from each member's next renewal; the current period is paid."""
    _require_manager(community, by)
    name = name.strip()
    validate_single_line(name)
    try:
        with transaction.atomic():
            locked = Community.objects.select_for_update().get(pk=community.pk)
            locked.name = name
            locked.description = description.strip() or None
            locked.subscription_fee = subscription_fee
            locked.subscription_interval = subscription_interval
            locked.save(
                update_fields=["name", "description", "subscription_fee", "subscription_interval"]
            )
    except IntegrityError as error:
        raise CommunityError(f"You already have a community called “{name}”.") from error
    _invalidate_info(community.pk)
    return locked


# Forums


def forum_create(
    *, community: Community, by, name: str, forum_type: str, description: str = ""
) -> Forum:
    _require_manager(community, by)
    if forum_type not in ForumType.values:
        raise CommunityError("Choose one of the four forum types.")
    name = name.strip()
    validate_single_line(name)
    try:
        with transaction.atomic():
            forum = Forum.objects.create(
                community=community,
                name=name,
                forum_type=forum_type,
                description=description.strip() or None,
            )
    except IntegrityError as error:
        raise CommunityError(f"This community already has a forum called “{name}”.") from error
    _invalidate_info(community.pk)
    return forum


# Forum posts


def forum_post_create(
    *, forum: Forum, community: Community, by, title: str = "", content: str = "", image=None
) -> ForumPost:
    """A post under the forum type's rules; the caller has checked that `by` may see it.

    all_chat messages are serialised per forum and stamped with the wall clock, so their
    created_at follows commit order and a poll for "after t" never misses one.
    """
    _require_access(community.pk, by)
    title, content = title.strip(), content.strip()
    validate_single_line(title)
    is_artist = _is_artist_of(community, by)
    kind = forum.forum_type
    fields: dict = {"title": title or None, "content": content or None}
    if kind == ForumType.ARTIST_FORUM and not is_artist:
        raise CommunityError("Only the artist posts in the artist forum.")
    if kind == ForumType.ALL_CHAT:
        if not content:
            raise CommunityError("Write a message first.")
        if len(content) > CHAT_MESSAGE_MAX:
            raise CommunityError(f"Chat messages are at most {CHAT_MESSAGE_MAX} characters.")
        fields["title"] = None
    elif kind == ForumType.FAN_ART:
        if image is None:
            raise CommunityError("Choose a picture of your fan art.")
        try:
            checked = check_upload(image, picture_use="fan_art")
        except ValidationError as error:
            raise CommunityError(" ".join(error.messages)) from error
        if checked.media_type != MediaType.IMAGE:
            raise CommunityError("Fan art is a picture: JPEG, PNG, GIF or WebP.")
    elif not (title or content):
        raise CommunityError("Write a title or some text first.")
    with transaction.atomic():
        if kind == ForumType.ALL_CHAT:
            _serialise(f"forum-chat:{forum.pk}")
            fields["created_at"] = ClockTimestamp()
        if kind == ForumType.FAN_ART:
            fields["media_type"] = MediaType.IMAGE
            fields["media_urls"] = private_media_store(items=[checked], community_id=community.pk)
        post = ForumPost.objects.create(forum=forum, user=by, **fields)
        if kind == ForumType.ARTIST_FORUM:
            from communities.tasks import forum_post_notify_members

            enqueue_on_commit(forum_post_notify_members, str(post.pk))
    post.refresh_from_db(fields=["created_at"])
    return post


def forum_post_notify(*, post_id) -> int:
    """Tell every member about an artist-forum post (once, whatever the retries)."""
    post = ForumPost.objects.select_related("forum__community__artist").filter(pk=post_id).first()
    if post is None:
        return 0
    community = post.forum.community
    return _community_notify(
        community=community,
        exclude_user_id=post.user_id,
        notification_type=NotificationType.FORUM_POST,
        title=f"New post by {community.artist.artist_name} in {community.name}",
        message=post.title or (post.content or "")[:200],
        resource_type="forum_post",
        resource_id=post.pk,
    )


def forum_posts_announce_sweep() -> int:
    """Announce the artist-forum posts whose fan-out task was lost; notifications made."""
    due = unannounced_ids(
        ForumPost.objects.filter(forum__forum_type=ForumType.ARTIST_FORUM),
        notification_type=NotificationType.FORUM_POST,
        resource_type="forum_post",
    )
    return sum(forum_post_notify(post_id=post_id) for post_id in due)


def _community_notify(*, community: Community, **notification) -> int:
    from notifications.services import community_members_notify

    return community_members_notify(community_id=community.pk, **notification)


def _serialise(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def forum_post_update(*, post: ForumPost, by, title: str = "", content: str = "") -> ForumPost:
    if post.user_id != by.pk:
        raise CommunityError("You can edit only your own posts.")
    title, content = title.strip(), content.strip()
    validate_single_line(title)
    kind = post.forum.forum_type
    if kind == ForumType.ALL_CHAT:
        if not content:
            raise CommunityError("A message cannot be empty; delete it instead.")
        if len(content) > CHAT_MESSAGE_MAX:
            raise CommunityError(f"Chat messages are at most {CHAT_MESSAGE_MAX} characters.")
        title = ""
    elif kind != ForumType.FAN_ART and not (title or content):
        raise CommunityError("A post needs a title or some text; delete it instead.")
    with transaction.atomic():
        locked = ForumPost.objects.select_for_update().get(pk=post.pk)
        locked.title, locked.content = title or None, content or None
        locked.save(update_fields=["title", "content"])
    locked.forum = post.forum
    return locked


def forum_post_delete(*, post: ForumPost, community: Community, by) -> None:
    """The author deletes their own post; the artist and staff delete any."""
    if post.user_id != by.pk and not (_is_artist_of(community, by) or by.is_staff):
        raise CommunityError("You can delete only your own posts.")
    ForumPost.objects.filter(pk=post.pk).delete()


def forum_post_pin(*, post: ForumPost, community: Community, by, pinned: bool) -> None:
    _require_manager(community, by)
    ForumPost.objects.filter(pk=post.pk).update(is_pinned=pinned)


def forum_post_mark_answered(*, post: ForumPost, community: Community, by, answered: bool) -> None:
    _require_manager(community, by)
    if post.forum.forum_type != ForumType.SUGGESTIONS:
        raise CommunityError("Only suggestions are answered.")
    ForumPost.objects.filter(pk=post.pk).update(is_answered=answered)


# Subscriptions


def _record(subscription: CommunitySubscription, *, old: str, new: str, by) -> None:
    # A subscription has no status column; its lifecycle is recorded in the audit trail.
    StatusHistory.objects.create(
        entity_type=selectors.SUBSCRIPTION_ENTITY,
        entity_id=subscription.pk,
        old_status=old,
        new_status=new,
        changed_by=by,
    )


def subscription_prepare(*, user, community: Community) -> CommunitySubscription:
    """The (inactive) subscription a new payment will activate; reused when one exists.

    Someone who still has access is told so instead of paying twice.
    """
    if _is_artist_of(community, user):
        raise CommunityError("This is your own community.")
    # Database time, as for the payment's payment_date: subscription_paid compares them.
    with transaction.atomic():
        subscription, created = CommunitySubscription.objects.select_for_update().get_or_create(
            user=user,
            community=community,
            defaults={
                "is_active": False,
                "end_date": CurrentTimestamp(),
                "start_date": CurrentTimestamp(),
            },
        )
        if created:
            subscription.refresh_from_db()
            return subscription
        until = subscription.access_until
        if until is not None and until > timezone.now():
            if subscription.grace_until:
                raise CommunityError(
                    "Your renewal payment failed; it is retried automatically, "
                    "or update your card and we will retry."
                )
            raise CommunityError("You are already a member of this community.")
        if subscription.end_date <= subscription.start_date:
            # A join whose checkout is still open: the same join, another payment attempt.
            return subscription
        # A membership that ended: a new join from now.
        subscription.is_active = False
        subscription.auto_renew = True
        subscription.grace_until = None
        subscription.start_date = CurrentTimestamp()
        subscription.end_date = Least(F("end_date"), CurrentTimestamp())
        subscription.save(
            update_fields=["is_active", "auto_renew", "grace_until", "start_date", "end_date"]
        )
        subscription.refresh_from_db()
    _invalidate_member(subscription)
    return subscription


def subscription_checkout_start(*, user, community: Community, site_url: str) -> str:
    """Start paying for a membership; returns where to send the payer (the payment service
    activates the subscription when the payment completes)."""
    from shop.payments.services import PaymentError, payment_start

    subscription = subscription_prepare(user=user, community=community)
    try:
        _, redirect_url = payment_start(user=user, subscription=subscription, site_url=site_url)
    except PaymentError as error:
        raise CommunityError(str(error)) from error
    return redirect_url


def subscription_paid(*, payment) -> None:
    """After the payment service activated or extended the subscription (its own hook ran
    first, with the subscription locked): a failed renewal's grace is over, caches forget."""
    from shop.models import PaymentPurpose, PaymentStatus
    from shop.payments.hooks import SUBSCRIPTION_PERIODS

    subscription = CommunitySubscription.objects.select_related("community__artist", "user").get(
        pk=payment.subscription_id
    )
    renewal_payments = SubscriptionRenewal.objects.filter(
        subscription=subscription, payment__isnull=False
    ).values("payment")
    joined = not SubscriptionRenewal.objects.filter(payment=payment).exists()
    other_checkout = None
    if joined:
        other_checkout = (
            type(payment)
            .objects.filter(
                subscription_id=subscription.pk,
                purpose=PaymentPurpose.SUBSCRIPTION,
                payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
                payment_date__gte=subscription.start_date,
            )
            .exclude(pk=payment.pk)
            .exclude(pk__in=renewal_payments)
            .first()
        )
    if joined and other_checkout is not None:
        # Two checkouts of the same join both went through (two tabs, a double click): the
        # first one paid; this period is taken back and the money given back.
        subscription.end_date -= SUBSCRIPTION_PERIODS[subscription.community.subscription_interval]
        subscription.payment = other_checkout
        subscription.save(update_fields=["end_date", "payment"])
        from shop.tasks import payment_refund_unwanted

        enqueue_on_commit(payment_refund_unwanted, str(payment.pk))
        return
    if subscription.grace_until is not None:
        subscription.grace_until = None
        subscription.save(update_fields=["grace_until"])
    _invalidate_member(subscription)
    artist_user_id = subscription.community.artist.user_id
    if joined and artist_user_id:
        notifications_create(
            recipient_ids=[artist_user_id],
            notification_type=NotificationType.NEW_MEMBER,
            title=f"{subscription.user.username} joined {subscription.community.name}",
            message="A new member subscribed to your community.",
            resource_type="community",
            resource_id=subscription.community_id,
        )


def subscription_refunded(*, payment) -> None:
    subscription = CommunitySubscription.objects.filter(pk=payment.subscription_id).first()
    if subscription is not None:
        _invalidate_member(subscription)


def subscription_cancel(*, subscription: CommunitySubscription, by) -> CommunitySubscription:
    """Stop renewing; access stays until the end date."""
    return _set_auto_renew(subscription=subscription, by=by, auto_renew=False)


def subscription_resume(*, subscription: CommunitySubscription, by) -> CommunitySubscription:
    """Renew again, as long as the membership has not ended."""
    return _set_auto_renew(subscription=subscription, by=by, auto_renew=True)


def _set_auto_renew(*, subscription, by, auto_renew: bool) -> CommunitySubscription:
    with transaction.atomic():
        locked = CommunitySubscription.objects.select_for_update().get(pk=subscription.pk)
        until = locked.access_until
        if until is None or until <= timezone.now():
            raise CommunityError("This membership has ended; subscribe again to join.")
        if locked.auto_renew == auto_renew:
            return locked
        locked.auto_renew = auto_renew
        locked.save(update_fields=["auto_renew"])
        _record(
            locked,
            old="cancelled" if auto_renew else "active",
            new="active" if auto_renew else "cancelled",
            by=by,
        )
    _invalidate_member(locked)
    return locked


def subscriptions_due_ids(*, now: datetime | None = None) -> list:
    """Auto-renewing subscriptions whose period ends within RENEWAL_LEAD and whose grace
    (if any) is not over."""
    now = now or timezone.now()
    return list(
        CommunitySubscription.objects.filter(
            is_active=True, auto_renew=True, end_date__lte=now + RENEWAL_LEAD
        )
        .exclude(grace_until__lte=now)
        .order_by("end_date")
        .values_list("pk", flat=True)
    )


def _lock_due(subscription_id, now: datetime) -> CommunitySubscription | None:
    # SKIP LOCKED: a subscription another worker is renewing is its business, not ours.
    return (
        CommunitySubscription.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("community", "user")
        .filter(pk=subscription_id, is_active=True, auto_renew=True)
        .filter(end_date__lte=now + RENEWAL_LEAD)
        .exclude(grace_until__lte=now)
        .first()
    )


def subscription_renew(*, subscription_id, now: datetime | None = None) -> str:
    """Charge one due subscription's next period, at most once per period.

    Two steps: the period's renewal row and its pending payment are committed first, then
    the payment is charged with the subscription locked. A second run (or a second worker)
    finds the same row and payment: it skips a locked subscription, and a payment that is
    no longer pending is not charged again; after a crash the same payment is retried
    under the same idempotency key. A decline starts the grace period; the charge is
    retried every RETRY_INTERVAL until it ends.
    """
    from shop.models import PaymentStatus
    from shop.payments.gateways import GatewayError
    from shop.payments.services import (
        PaymentError,
        payment_charge_saved,
        payment_renewal_create,
    )

    now = now or timezone.now()
    with transaction.atomic():
        subscription = _lock_due(subscription_id, now)
        if subscription is None:
            return "skipped"
        period_end = subscription.end_date
        renewal, _ = SubscriptionRenewal.objects.select_related("payment").get_or_create(
            subscription=subscription, period_end=period_end
        )
        payment = renewal.payment
        if payment is not None and payment.payment_status == PaymentStatus.COMPLETED:
            return "already_paid"
        if payment is None or payment.payment_status == PaymentStatus.FAILED:
            if renewal.next_attempt_at and renewal.next_attempt_at > now:
                return "waiting"
            try:
                renewal.payment = payment_renewal_create(subscription=subscription)
            except PaymentError:
                # Nothing the payment service will charge (a free community): no grace
                # beyond the paid period, so the expiry job ends it at its end date.
                logger.warning("Renewal of %s refused by the payment service.", subscription.pk)
                subscription.grace_until = period_end
                subscription.save(update_fields=["grace_until"])
                return "refused"
            renewal.attempts += 1
            renewal.save(update_fields=["payment", "attempts"])
    with transaction.atomic():
        subscription = _lock_due(subscription_id, now)
        if subscription is None or subscription.end_date != period_end:
            return "skipped"
        renewal = SubscriptionRenewal.objects.select_related("payment").get(
            subscription=subscription, period_end=period_end
        )
        if renewal.payment.payment_status != PaymentStatus.PENDING:
            return "skipped"
        try:
            payment = payment_charge_saved(payment=renewal.payment)
        except GatewayError:
            # Nothing was charged; the next run charges the same payment again.
            return "gateway_unavailable"
        if payment.payment_status == PaymentStatus.COMPLETED:
            _notify_user(
                subscription,
                title=f"Membership of {subscription.community.name} renewed",
                message=f"{payment.amount} {payment.currency} was charged; thank you for staying.",
            )
            return "renewed"
        first_failure = subscription.grace_until is None
        if first_failure:
            subscription.grace_until = max(period_end, now) + GRACE_PERIOD
            subscription.save(update_fields=["grace_until"])
            _record(subscription, old="active", new="grace", by=None)
        renewal.next_attempt_at = now + RETRY_INTERVAL
        renewal.save(update_fields=["next_attempt_at"])
        _notify_user(
            subscription,
            title=f"Renewal of {subscription.community.name} failed",
            message=f"We could not charge {payment.amount} {payment.currency}. You keep access "
            f"until {subscription.grace_until:%Y-%m-%d %H:%M} UTC while we retry; "
            "after that the membership ends.",
        )
        _invalidate_member(subscription)
        return "failed"


def _notify_user(subscription: CommunitySubscription, *, title: str, message: str) -> None:
    notifications_create(
        recipient_ids=[subscription.user_id],
        notification_type=NotificationType.SUBSCRIPTION,
        title=title,
        message=message,
        resource_type="subscription",
        resource_id=subscription.pk,
    )


EXPIRY_BATCH = 500


def subscriptions_expire(*, now: datetime | None = None) -> int:
    """Deactivate memberships that ended: not renewing and past their end date, or past
    the grace of a failed renewal. Access already stopped at that instant (selectors);
    this makes member counts, feeds and notification audiences follow."""
    now = now or timezone.now()
    ended_filter = models.Q(auto_renew=False, end_date__lte=now) | models.Q(
        grace_until__lte=now, end_date__lte=now
    )
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                CommunitySubscription.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(ended_filter, is_active=True)
                .select_related("community")
                .order_by("pk")[:EXPIRY_BATCH]
            )
            if not batch:
                return total
            CommunitySubscription.objects.filter(pk__in=[s.pk for s in batch]).update(
                is_active=False
            )
            for subscription in batch:
                _record(subscription, old="active", new="ended", by=None)
                _notify_user(
                    subscription,
                    title=f"Membership of {subscription.community.name} ended",
                    message="Subscribe again any time to rejoin.",
                )
                _invalidate_member(subscription)
        total += len(batch)


# Live events


def live_event_schedule(
    *,
    community: Community,
    by,
    title: str,
    event_type: str,
    start_time: datetime,
    end_time: datetime | None = None,
    description: str = "",
) -> LiveEvent:
    _require_manager(community, by)
    validate_single_line(title)
    if event_type not in LiveEventType.values:
        raise CommunityError("Choose a chat or a Q&A.")
    if start_time <= timezone.now():
        raise CommunityError("An event is scheduled in the future.")
    if end_time is not None and end_time <= start_time:
        raise CommunityError("An event ends after it starts.")
    with transaction.atomic():
        event = LiveEvent.objects.create(
            community=community,
            title=title.strip(),
            description=description.strip() or None,
            event_type=event_type,
            start_time=start_time,
            end_time=end_time,
        )
        from communities.tasks import live_event_notify_members

        enqueue_on_commit(live_event_notify_members, str(event.pk), "scheduled")
    _invalidate_info(community.pk)
    return event


def live_event_status_set(
    *, event: LiveEvent, community: Community, by, new_status: str
) -> LiveEvent:
    """scheduled → live → completed, or scheduled/live → cancelled; nothing else."""
    _require_manager(community, by)
    with transaction.atomic():
        event, changed = status_change(
            instance=event,
            new_status=new_status,
            by=by,
            transitions=LIVE_EVENT_TRANSITIONS,
            entity_type="live_event",
        )
        if changed and new_status == LiveEventStatus.LIVE:
            from communities.tasks import live_event_notify_members

            enqueue_on_commit(live_event_notify_members, str(event.pk), "live")
    _invalidate_info(community.pk)
    return event


def live_event_notify(*, event_id, kind: str) -> int:
    event = LiveEvent.objects.select_related("community__artist").filter(pk=event_id).first()
    if event is None:
        return 0
    community = event.community
    if kind == "live":
        title = f"{event.title} is live now"
        message = f"{community.artist.artist_name} is live in {community.name}. Join in!"
    else:
        title = f"New live event in {community.name}: {event.title}"
        message = f"Starts {event.start_time:%Y-%m-%d %H:%M} UTC."
    return _community_notify(
        community=community,
        exclude_user_id=community.artist.user_id,
        notification_type=NotificationType.LIVE_EVENT,
        title=title,
        message=message,
        resource_type="live_event",
        resource_id=event.pk,
    )


def live_events_announce_sweep() -> int:
    """Announce the live events whose fan-out task was lost: an event still ahead that
    nobody was told about, and an event live now whose "live now" nobody was told about
    (it went live by an update, which stamped `updated_at`); notifications made."""
    announce = {"notification_type": NotificationType.LIVE_EVENT, "resource_type": "live_event"}
    ahead = unannounced_ids(
        LiveEvent.objects.filter(status=LiveEventStatus.SCHEDULED, start_time__gt=timezone.now()),
        **announce,
    )
    live = unannounced_ids(
        LiveEvent.objects.filter(status=LiveEventStatus.LIVE), news_at="updated_at", **announce
    )
    return sum(live_event_notify(event_id=event_id, kind="scheduled") for event_id in ahead) + sum(
        live_event_notify(event_id=event_id, kind="live") for event_id in live
    )


def live_event_message_post(*, event: LiveEvent, by, content: str) -> LiveEventMessage:
    """A chat message or a question, while the event is live; rate-limited per user.

    Inserts are serialised per event so that `seq` follows commit order.
    """
    _require_access(event.community_id, by)
    content = content.strip()
    if not content:
        raise CommunityError("Write a message first.")
    if len(content) > CHAT_MESSAGE_MAX:
        raise CommunityError(f"Messages are at most {CHAT_MESSAGE_MAX} characters.")
    with transaction.atomic():
        _serialise(f"live-event:{event.pk}")
        status = LiveEvent.objects.values_list("status", flat=True).get(pk=event.pk)
        if status != LiveEventStatus.LIVE:
            raise CommunityError("This event is not live.")
        recent = LiveEventMessage.objects.filter(
            event=event, user=by, created_at__gt=timezone.now() - MESSAGE_RATE_WINDOW
        ).count()
        if recent >= MESSAGE_RATE_LIMIT:
            raise CommunityError("You are sending messages too fast; wait a few seconds.")
        message = LiveEventMessage.objects.create(
            event=event,
            user=by,
            seq=selectors.last_seq(event=event) + 1,
            content=content,
            created_at=ClockTimestamp(),
        )
    message.refresh_from_db(fields=["created_at"])
    return message


def live_question_upvote(*, message: LiveEventMessage, event: LiveEvent, by) -> None:
    """One upvote per member and question; a second one changes nothing."""
    _require_access(event.community_id, by)
    if event.event_type != LiveEventType.QA:
        raise CommunityError("Only questions are upvoted.")
    if event.status != LiveEventStatus.LIVE:
        raise CommunityError("This event is not live.")
    LiveEventVote.objects.bulk_create(
        [LiveEventVote(message=message, user=by)], ignore_conflicts=True
    )


def live_question_answer(
    *, message: LiveEventMessage, event: LiveEvent, community: Community, by
) -> None:
    _require_manager(community, by)
    if event.event_type != LiveEventType.QA:
        raise CommunityError("Only questions are answered.")
    LiveEventMessage.objects.filter(pk=message.pk).update(is_answered=True)


def member_counts_refresh() -> None:
    """Recount every community's members for the rankings (home page, communities list).

    CONCURRENTLY: pages keep reading the previous counts while the new ones are made.
    """
    with connection.cursor() as cursor:
        cursor.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY community_member_counts")
