"""Background work of the communities app: renewals, expiry, member notifications."""

from musicplatform.tasks import platform_task


@platform_task
def subscriptions_renew_due() -> int:
    """Beat: queue one renewal task per due subscription (each is idempotent)."""
    from communities.services.renewals import subscriptions_due_ids

    ids = subscriptions_due_ids()
    for subscription_id in ids:
        # platform_task gives a Celery task (celery is untyped), declared as a Callable.
        subscription_renew.delay(str(subscription_id))  # type: ignore[attr-defined]
    return len(ids)


@platform_task
def subscription_renew(subscription_id: str) -> str:
    from communities.services.renewals import subscription_renew as renew

    return renew(subscription_id=subscription_id)


@platform_task
def subscription_end_refunding_unused(subscription_id: str, by_id: str | None, reason: str) -> str:
    from accounts.models import User
    from communities.services.renewals import subscription_end_refunding_unused as end

    by = User.objects.filter(pk=by_id).first() if by_id else None
    return str(end(subscription_id=subscription_id, by=by, reason=reason))


@platform_task
def subscriptions_of_leavers_end() -> int:
    """Beat: end what the ending tasks of people who left did not."""
    from communities.services.renewals import subscriptions_of_leavers_end as end

    return end()


@platform_task
def subscriptions_expire() -> int:
    from communities.services.renewals import subscriptions_expire as expire

    return expire()


@platform_task
def forum_post_notify_members(post_id: str) -> int:
    from communities.services.forums import forum_post_notify

    return forum_post_notify(post_id=post_id)


@platform_task
def forum_posts_announce_sweep() -> int:
    """Beat: announce the artist-forum posts whose fan-out task was lost."""
    from communities.services.forums import forum_posts_announce_sweep as sweep

    return sweep()


@platform_task
def live_event_notify_members(event_id: str, kind: str) -> int:
    from communities.services.live import live_event_notify

    return live_event_notify(event_id=event_id, kind=kind)


@platform_task
def live_events_announce_sweep() -> int:
    """Beat: announce the live events (scheduled, or live now) whose fan-out task was lost."""
    from communities.services.live import live_events_announce_sweep as sweep

    return sweep()


@platform_task
def member_counts_refresh() -> None:
    """Beat: the member counts that rank communities, at most a minute old."""
    from communities.services.listing import member_counts_refresh as refresh

    refresh()


@platform_task
def live_event_reminders_send() -> int:
    """Beat: remind members of the live events about to start (idempotent)."""
    from communities.services.live_reminders import live_event_reminders_send as send

    return send()
