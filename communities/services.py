"""Every write of the communities app: communities, forums, posts, subscriptions, live events.

Money goes through the payment service (shop.payments, docs/payments.md): a subscription
is paid with `payment_start`, renewed with `payment_renewal_create` + `payment_charge_saved`
(always at the price its member accepted), and activated or extended by
`subscription_paid` (communities.hooks) when its payment completes.
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F
from django.db.models.functions import Least, Now
from django.urls import reverse
from django.utils import timezone

from accounts.models import DELETED_USERNAME_PREFIX
from communities import selectors
from communities.media import private_media_store
from communities.models import (
    LIVE_EVENT_TRANSITIONS,
    SUBSCRIPTION_PERIODS,
    SUBSCRIPTION_STATUSES_ACTIVE,
    SUBSCRIPTION_TRANSITIONS,
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
    SubscriptionStatus,
)
from content.media import check_upload
from content.models import MediaType
from live.publish import live_event_end_announce, live_message_announce
from musicplatform.audit.services import status_change
from musicplatform.cache import invalidate_on_commit
from musicplatform.db import CurrentTimestamp
from musicplatform.locking import advisory_xact_lock
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import validate_single_line
from notifications.models import NotificationType
from notifications.services import audience_notify, notifications_create, unannounced_ids

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


def fee_check(fee) -> Decimal:
    """The one rule for a community's fee (forms and services both ask it): a number with
    at most two decimal places, between COMMUNITY_FEE_MIN and COMMUNITY_FEE_MAX."""
    low, high = settings.COMMUNITY_FEE_MIN, settings.COMMUNITY_FEE_MAX
    try:
        fee = Decimal(fee)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise CommunityError("Enter the fee as a number, such as 4.99.") from error
    if not fee.is_finite():
        raise CommunityError("Enter the fee as a number, such as 4.99.")
    # The range first: quantizing a huge number would overflow the decimal context.
    if not low <= fee <= high:
        raise CommunityError(f"The fee must be between {low:.2f} and {high:.2f}.")
    if fee != fee.quantize(Decimal("0.01")):
        raise CommunityError("Enter the fee with at most two decimal places, such as 4.99.")
    return fee


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
    subscription_fee = fee_check(subscription_fee)
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
    """A new fee or interval is for new members; current members keep paying what they
    accepted until each accepts the new price (`subscription_accept_price`)."""
    _require_manager(community, by)
    name = name.strip()
    validate_single_line(name)
    subscription_fee = fee_check(subscription_fee)
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
            advisory_xact_lock(f"forum-chat:{forum.pk}")
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
    audience = selectors.community_audience(community_id=community.pk)
    return audience_notify(audience=audience, **notification)


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


def subscription_status_set(
    *, subscription: CommunitySubscription, new_status: str, by, **fields
) -> tuple[CommunitySubscription, bool]:
    """Every status move of a membership: along SUBSCRIPTION_TRANSITIONS, into
    status_history with who made it (None: the renewal and expiry jobs), with `is_active`
    kept to what the status means and `fields` written in the same UPDATE.

    An ended membership never renews and gives no access past the moment it ended,
    whichever way it ended (a refund in full, the member or the artist leaving)."""
    if new_status == SubscriptionStatus.ENDED:
        fields = {
            "auto_renew": False,
            "grace_until": None,
            "end_date": Least(F("end_date"), Now()),
            **fields,
        }
    locked, changed = status_change(
        instance=subscription,
        new_status=new_status,
        by=by,
        transitions=SUBSCRIPTION_TRANSITIONS,
        entity_type=selectors.SUBSCRIPTION_ENTITY,
        with_fields={"is_active": new_status in SUBSCRIPTION_STATUSES_ACTIVE, **fields},
    )
    if changed:
        if new_status == SubscriptionStatus.ENDED:
            locked.refresh_from_db(fields=["end_date"])
        _invalidate_member(locked)
    return locked, changed


def _price_of_today(community: Community) -> dict:
    return {
        "price": community.subscription_fee,
        "billing_interval": community.subscription_interval,
        "price_accepted_at": timezone.now(),
    }


def subscription_prepare(*, user, community: Community) -> CommunitySubscription:
    """The (inactive) subscription a new payment will activate; reused when one exists.

    Someone who still has access is told so instead of paying twice.
    """
    if _is_artist_of(community, user):
        raise CommunityError("This is your own community.")
    if community.artist.is_removed:
        raise CommunityError(
            f"{community.artist.artist_name} is no longer on the platform; "
            "this community takes no new members."
        )
    # Database time, as for the payment's payment_date: subscription_paid compares them.
    # The price is the one of the day the member pays for the join (the payment's amount).
    with transaction.atomic():
        community = Community.objects.get(pk=community.pk)
        subscription, created = CommunitySubscription.objects.select_for_update().get_or_create(
            user=user,
            community=community,
            defaults={
                "status": SubscriptionStatus.PENDING,
                "is_active": False,
                "end_date": CurrentTimestamp(),
                "start_date": CurrentTimestamp(),
                **_price_of_today(community),
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
        fields = _price_of_today(community)
        if subscription.status != SubscriptionStatus.PENDING:
            # A membership that ended (the expiry job may not have run yet): a new join
            # from now.
            subscription, _ = subscription_status_set(
                subscription=subscription, new_status=SubscriptionStatus.ENDED, by=None
            )
            subscription, _ = subscription_status_set(
                subscription=subscription, new_status=SubscriptionStatus.PENDING, by=user
            )
            fields.update(
                auto_renew=True,
                grace_until=None,
                start_date=CurrentTimestamp(),
                end_date=Least(F("end_date"), CurrentTimestamp()),
            )
        # Else a join whose checkout is still open: the same join, another attempt.
        for name, value in fields.items():
            setattr(subscription, name, value)
        subscription.save(update_fields=list(fields))
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
    """A subscription payment completed (the payment service's hook, with the payment
    locked): one more period at the member's own interval, from the end of the paid one
    or from now, and the grace of a failed renewal is over.

    Two checkouts of the same join that both went through (two tabs, a double click):
    the first one paid; the second is given back and extends nothing.
    """
    from shop.models import PaymentPurpose, PaymentStatus

    subscription = (
        CommunitySubscription.objects.select_for_update(of=("self",))
        .select_related("community__artist", "user")
        .get(pk=payment.subscription_id)
    )
    renewal_payments = SubscriptionRenewal.objects.filter(
        subscription=subscription, payment__isnull=False
    ).values("payment")
    joined = not SubscriptionRenewal.objects.filter(payment=payment).exists()
    if (
        joined
        and type(payment)
        .objects.filter(
            subscription_id=subscription.pk,
            purpose=PaymentPurpose.SUBSCRIPTION,
            payment_status__in=[PaymentStatus.COMPLETED, PaymentStatus.REFUNDED],
            payment_date__gte=subscription.start_date,
        )
        .exclude(pk=payment.pk)
        .exclude(pk__in=renewal_payments)
        .exists()
    ):
        from shop.tasks import payment_refund_unwanted

        enqueue_on_commit(payment_refund_unwanted, str(payment.pk))
        return
    subscription.end_date = (
        max(subscription.end_date, timezone.now())
        + SUBSCRIPTION_PERIODS[subscription.billing_interval]
    )
    subscription.payment = payment
    subscription.grace_until = None
    subscription.save(update_fields=["end_date", "payment", "grace_until"])
    if subscription.status != SubscriptionStatus.CANCELLED:
        # A member who stopped renewing and then paid (a renewal they confirmed late)
        # keeps "not renewing"; everyone else is active. The payer joins; the renewal
        # job renews.
        subscription_status_set(
            subscription=subscription,
            new_status=SubscriptionStatus.ACTIVE,
            by=payment.user if joined else None,
        )
    _invalidate_member(subscription)
    artist_user_id = subscription.community.artist.user_id
    if joined and artist_user_id:
        notifications_create(
            recipient_ids=[artist_user_id],
            notification_type=NotificationType.NEW_MEMBER,
            title=f"{subscription.user.display_name} joined {subscription.community.name}",
            message="A new member subscribed to your community.",
            resource_type="community",
            resource_id=subscription.community_id,
        )


def subscription_refunded(*, payment, by=None) -> None:
    """A refund of a subscription payment: the membership ends when the payment of its
    current period is refunded in full; `by` is who refunded (None: the gateway told us)."""
    from shop.models import PaymentStatus

    if payment.payment_status != PaymentStatus.REFUNDED:
        return
    subscription = (
        CommunitySubscription.objects.select_for_update(of=("self",))
        .filter(pk=payment.subscription_id, payment_id=payment.pk)
        .first()
    )
    if subscription is not None and subscription.status != SubscriptionStatus.ENDED:
        subscription_status_set(
            subscription=subscription, new_status=SubscriptionStatus.ENDED, by=by
        )


def subscription_accept_price(
    *, subscription: CommunitySubscription, by, fee: Decimal, interval: str
) -> CommunitySubscription:
    """The member accepts the community's current price, the one they were shown (`fee`,
    `interval`): it is charged from their next renewal; the current period stays paid."""
    if subscription.user_id != by.pk:
        raise CommunityError("This membership is not yours.")
    with transaction.atomic():
        locked = (
            CommunitySubscription.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=subscription.pk)
        )
        until = locked.access_until
        if until is None or until <= timezone.now():
            raise CommunityError("This membership has ended; subscribe again to join.")
        community = locked.community
        if (fee, interval) != (community.subscription_fee, community.subscription_interval):
            raise CommunityError(
                f"The price changed again: it is now ${community.subscription_fee} / "
                f"{community.get_subscription_interval_display().lower()}. "
                "Check it and accept it again if you agree."
            )
        if not locked.new_price_offered:
            return locked
        from shop.models import PaymentStatus

        if SubscriptionRenewal.objects.filter(
            subscription=locked,
            payment__payment_status__in=[PaymentStatus.PENDING, PaymentStatus.REQUIRES_ACTION],
        ).exists():
            # That payment was made at the old price and pays a period of the old interval.
            raise CommunityError(
                "Your renewal payment is still in progress; switch to the new price once it "
                "went through."
            )
        fields = _price_of_today(community)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
    _invalidate_member(locked)
    return locked


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
        if auto_renew:
            # Back to where it was: a renewal still being retried is in grace again.
            new_status = (
                SubscriptionStatus.GRACE if locked.grace_until else SubscriptionStatus.ACTIVE
            )
        else:
            new_status = SubscriptionStatus.CANCELLED
        locked, _ = subscription_status_set(
            subscription=locked, new_status=new_status, by=by, auto_renew=auto_renew
        )
    return locked


# Whatever state its rows are in, a membership is never renewed for someone who left
# (a deleted or deactivated account: deleted_at is set for both) nor for the community
# of an artist who left or was suspended.
STILL_ON_THE_PLATFORM = models.Q(
    user__deleted_at__isnull=True, community__artist__removed_at__isnull=True
)


def subscriptions_due_ids(*, now: datetime | None = None) -> list:
    """Auto-renewing subscriptions whose period ends within RENEWAL_LEAD and whose grace
    (if any) is not over, of members and artists still on the platform."""
    now = now or timezone.now()
    return list(
        CommunitySubscription.objects.filter(
            STILL_ON_THE_PLATFORM, is_active=True, auto_renew=True, end_date__lte=now + RENEWAL_LEAD
        )
        .exclude(grace_until__lte=now)
        .order_by("end_date")
        .values_list("pk", flat=True)
    )


def _lock_due(subscription_id, now: datetime) -> CommunitySubscription | None:
    # SKIP LOCKED: a subscription another worker is renewing is its business, not ours.
    # The member's and the artist's rows are locked too (NO KEY: rows pointing at them may
    # still be written), so an account deletion or an artist's removal either committed
    # before this check, and the subscription is not due, or waits until the charge is
    # settled; one under way makes this run skip it, and the next run sees it done.
    return (
        CommunitySubscription.objects.select_for_update(
            skip_locked=True, no_key=True, of=("self", "user", "community__artist")
        )
        .select_related("community__artist", "user")
        .filter(STILL_ON_THE_PLATFORM, pk=subscription_id, is_active=True, auto_renew=True)
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
    retried every RETRY_INTERVAL until it ends. A charge the member's bank wants them to
    confirm (3-D Secure) starts the grace period too, and waits for them: they are sent
    a link to confirm it, and it is not charged again meanwhile.
    """
    from shop.models import PaymentStatus
    from shop.payments.billing import billing_url
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
        if payment is not None and payment.payment_status == PaymentStatus.REQUIRES_ACTION:
            return "awaiting_member"
        if payment is None or payment.payment_status == PaymentStatus.FAILED:
            if renewal.next_attempt_at and renewal.next_attempt_at > now:
                return "waiting"
            try:
                renewal.payment = payment_renewal_create(subscription=subscription)
            except PaymentError:
                # Nothing the payment service will charge (a free community): no grace
                # beyond the paid period, so the expiry job ends it at its end date.
                logger.warning("Renewal of %s refused by the payment service.", subscription.pk)
                subscription_status_set(
                    subscription=subscription,
                    new_status=SubscriptionStatus.GRACE,
                    by=None,
                    grace_until=period_end,
                )
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
        if subscription.grace_until is None:
            subscription, _ = subscription_status_set(
                subscription=subscription,
                new_status=SubscriptionStatus.GRACE,
                by=None,
                grace_until=max(period_end, now) + GRACE_PERIOD,
            )
        if payment.payment_status == PaymentStatus.REQUIRES_ACTION:
            _ask_to_confirm(subscription, payment)
            return "awaiting_member"
        renewal.next_attempt_at = now + RETRY_INTERVAL
        renewal.save(update_fields=["next_attempt_at"])
        _notify_user(
            subscription,
            title=f"Renewal of {subscription.community.name} failed",
            message=f"We could not charge {payment.amount} {payment.currency}"
            f"{f' ({payment.failure_reason})' if payment.failure_reason else ''}. You keep "
            f"access until {subscription.grace_until:%Y-%m-%d %H:%M} UTC while we retry; "
            "after that the membership ends. Update your card on your billing page, and the "
            f"next attempt charges it: {billing_url()}",
        )
        _invalidate_member(subscription)
        return "failed"


def _ask_to_confirm(subscription: CommunitySubscription, payment) -> None:
    """Notify and email the member a link to confirm the renewal on our page (emailed
    whatever their choice for subscription news: they must act or lose the membership);
    the job runs without a request, so the link uses SITE_URL."""
    link = settings.SITE_URL + reverse("payments:confirm", args=[payment.pk])
    notifications_create(
        recipient_ids=[subscription.user_id],
        notification_type=NotificationType.SUBSCRIPTION,
        title=f"Confirm the renewal of {subscription.community.name}",
        message=f"Your bank asks you to confirm the payment of {payment.amount} "
        f"{payment.currency} for your membership of {subscription.community.name}. "
        f"Confirm it here: {link}\nYou keep access until "
        f"{subscription.grace_until:%Y-%m-%d %H:%M} UTC; after that the membership ends.",
        resource_type="payment",
        resource_id=payment.pk,
        always_email=True,
    )


def _notify_user(subscription: CommunitySubscription, *, title: str, message: str) -> None:
    notifications_create(
        recipient_ids=[subscription.user_id],
        notification_type=NotificationType.SUBSCRIPTION,
        title=title,
        message=message,
        resource_type="subscription",
        resource_id=subscription.pk,
    )


# What a member is told when their membership ends because they or the artist left.
MEMBER_LEFT_REASON = "Your account was deleted."
ARTIST_LEFT_REASON = "{artist_name} is no longer on the platform, so the community has closed."


def subscription_end_refunding_unused(
    *, subscription_id, by, reason: str, now: datetime | None = None
) -> Decimal:
    """End a membership at once because its member or its artist left, giving back the
    unused part of the paid period through the payment service; what was refunded.

    The payment is locked before the subscription (the payment service's lock order), and
    the refund and the end commit together: a gateway error leaves the membership as it
    was for the retry. A membership that already ended is left alone, so a second run
    refunds nothing.
    """
    from shop.models import Payment
    from shop.payments.services import payment_refund

    now = now or timezone.now()
    with transaction.atomic():
        payment_id = (
            CommunitySubscription.objects.filter(pk=subscription_id)
            .values_list("payment_id", flat=True)
            .first()
        )
        payment = (
            Payment.objects.select_for_update(of=("self",)).filter(pk=payment_id).first()
            if payment_id
            else None
        )
        subscription = (
            CommunitySubscription.objects.select_for_update(of=("self",))
            .select_related("community")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None or not subscription.is_active:
            return Decimal("0.00")
        if subscription.payment_id != payment_id:
            # A renewal completed between the two reads: the period it paid is the one
            # to refund, and the payment service gives nothing back twice in any case.
            payment = Payment.objects.filter(pk=subscription.payment_id).first()
        refund = selectors.subscription_unused_refund(
            subscription=subscription, payment=payment, now=now
        )
        if refund:
            payment_refund(payment=payment, amount=refund, by=by)
        subscription, _ = subscription_status_set(
            subscription=subscription,
            new_status=SubscriptionStatus.ENDED,
            by=by,
            end_date=min(subscription.end_date, now),
        )
        refunded = (
            f" We refunded {refund} {payment.currency} for the unused part of your period."
            if refund
            else ""
        )
        _notify_user(
            subscription,
            title=f"Membership of {subscription.community.name} ended",
            message=f"{reason}{refunded}",
        )
    _invalidate_member(subscription)
    return refund


def subscriptions_of_leavers_end() -> int:
    """End the memberships still active of deleted accounts and of removed artists'
    communities, whose ending task was lost (a broker outage) or failed (the gateway
    refused the refund; retried on the next run); how many ended."""
    from shop.payments.services import PaymentError

    leftovers = (
        CommunitySubscription.objects.filter(is_active=True)
        .filter(
            models.Q(user__username__startswith=DELETED_USERNAME_PREFIX)
            | models.Q(community__artist__removed_at__isnull=False)
        )
        .values_list("pk", "community__artist__artist_name", "community__artist__removed_at")
        .order_by("pk")
    )
    ended = 0
    for subscription_id, artist_name, artist_removed_at in leftovers:
        reason = (
            ARTIST_LEFT_REASON.format(artist_name=artist_name)
            if artist_removed_at
            else MEMBER_LEFT_REASON
        )
        try:
            subscription_end_refunding_unused(
                subscription_id=subscription_id, by=None, reason=reason
            )
        except PaymentError:
            logger.exception("Membership %s of someone who left not ended yet.", subscription_id)
            continue
        ended += 1
    return ended


def subscriptions_end_refunding_unused(*, subscription_ids, by, reason: str) -> None:
    """Queue the end of each membership (one task each) once the caller's transaction
    commits; the caller has already made sure none of them renews meanwhile."""
    from communities.tasks import subscription_end_refunding_unused as end

    for subscription_id in subscription_ids:
        enqueue_on_commit(end, str(subscription_id), str(by.pk) if by else None, reason)


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
            for subscription in batch:
                subscription_status_set(
                    subscription=subscription, new_status=SubscriptionStatus.ENDED, by=None
                )
                _notify_user(
                    subscription,
                    title=f"Membership of {subscription.community.name} ended",
                    message="Subscribe again any time to rejoin.",
                )
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
        if changed and new_status in (LiveEventStatus.COMPLETED, LiveEventStatus.CANCELLED):
            # Open chat streams (live/) close and stop reconnecting.
            live_event_end_announce(event_id=event.pk)
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
        advisory_xact_lock(f"live-event:{event.pk}")
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
        # To the chat streams (live/), once the message is committed and visible.
        live_message_announce(event_id=event.pk, seq=message.seq)
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
    Through a function that runs as the view's owner (communities/0006): the runtime
    role may not refresh the view itself.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT community_member_counts_refresh()")
