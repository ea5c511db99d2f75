"""The rules of communities: subscriptions and their renewal, forums, live events."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from artists.tests.factories import image_upload
from communities import selectors
from communities.models import (
    CommunitySubscription,
    ForumPost,
    ForumType,
    LiveEventMessage,
    LiveEventStatus,
    LiveEventType,
    LiveEventVote,
    SubscriptionRenewal,
    SuggestionState,
)
from communities.services import (
    CommunityError,
    forums,
    listing,
    live,
    renewals,
    subscriptions,
    topics,
)
from communities.tests.conftest import due_subscription, save_card
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from musicplatform.audit.models import StatusHistory
from musicplatform.audit.services import StatusTransitionError
from notifications.models import Notification, NotificationType
from payments.models import Payment, PaymentStatus
from payments.services import payment_test_checkout_submit
from shop.tests.test_concurrency import run_together

pytestmark = pytest.mark.django_db
SITE = "http://testserver/"


# Communities and forums


def test_a_community_name_is_unique_per_artist(community):
    with pytest.raises(CommunityError, match="already have a community"):
        listing.community_create(
            artist=community.artist,
            name=community.name,
            subscription_fee=Decimal("3.00"),
            subscription_interval="monthly",
        )
    other = CommunityFactory()
    assert (
        listing.community_create(
            artist=other.artist,
            name=community.name,
            subscription_fee=Decimal("3.00"),
            subscription_interval="yearly",
        ).name
        == community.name
    )


def test_only_the_artist_creates_forums_with_a_unique_name(community, artist_user, member):
    forum = forums.forum_create(
        community=community, by=artist_user, name="News", forum_type=ForumType.ARTIST_FORUM
    )
    assert forum.forum_type == ForumType.ARTIST_FORUM
    with pytest.raises(CommunityError, match="already has a forum"):
        forums.forum_create(
            community=community, by=artist_user, name="News", forum_type=ForumType.ALL_CHAT
        )
    with pytest.raises(CommunityError, match="Only the community's artist"):
        forums.forum_create(
            community=community, by=member, name="Mine", forum_type=ForumType.ALL_CHAT
        )


def test_editing_a_community_refreshes_its_cached_page(
    community, artist_user, django_capture_on_commit_callbacks
):
    assert selectors.community_info(community_id=community.pk).community.name == community.name
    with django_capture_on_commit_callbacks(execute=True):
        listing.community_update(
            community=community,
            by=artist_user,
            name="Renamed",
            subscription_fee=Decimal("9.00"),
            subscription_interval="yearly",
        )
    info = selectors.community_info(community_id=community.pk)
    assert (info.community.name, info.community.subscription_fee) == ("Renamed", Decimal("9.00"))


# Forum types


def test_only_the_artist_posts_in_the_artist_forum_and_members_are_notified(
    community, artist_user, member, django_capture_on_commit_callbacks
):
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    with pytest.raises(CommunityError, match="Only the artist"):
        forums.forum_post_create(forum=forum, community=community, by=member, content="hi")
    with django_capture_on_commit_callbacks(execute=True):
        post = forums.forum_post_create(
            forum=forum, community=community, by=artist_user, title="Tour dates", content="Soon"
        )
    notification = Notification.objects.get(user=member)
    assert notification.notification_type == NotificationType.FORUM_POST
    assert notification.related_resource_id == post.pk
    assert not Notification.objects.filter(user=artist_user).exists()


def test_chat_messages_are_short_and_come_in_commit_order(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    with pytest.raises(CommunityError, match="at most 500"):
        forums.forum_post_create(forum=forum, community=community, by=member, content="x" * 501)
    with pytest.raises(CommunityError, match="Write a message"):
        forums.forum_post_create(forum=forum, community=community, by=member, content="  ")
    first = forums.forum_post_create(forum=forum, community=community, by=member, content="a")
    second = forums.forum_post_create(forum=forum, community=community, by=member, content="b")
    assert [p.content for p in selectors.chat_messages(forum=forum)] == ["a", "b"]
    assert [p.pk for p in selectors.chat_messages(forum=forum, after=first.created_at)] == [
        second.pk
    ]


def test_fan_art_takes_real_pictures_only(community, member):
    forum = ForumFactory(community=community, forum_type=ForumType.FAN_ART)
    post = forums.forum_post_create(
        forum=forum, community=community, by=member, title="Me", images=[image_upload()]
    )
    assert post.media_type == "image" and len(post.media_urls) == 1
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("art.png", b"not a picture at all", content_type="image/png")
    with pytest.raises(CommunityError):
        forums.forum_post_create(forum=forum, community=community, by=member, images=[fake])
    with pytest.raises(CommunityError, match="Choose a picture"):
        forums.forum_post_create(forum=forum, community=community, by=member, title="x")
    assert ForumPost.objects.filter(forum=forum).count() == 1


def test_services_refuse_non_members_whatever_the_caller(community, outsider):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.QA, status=LiveEventStatus.LIVE
    )
    question = LiveEventMessageFactory(event=event)
    with pytest.raises(CommunityError, match="members"):
        forums.forum_post_create(forum=forum, community=community, by=outsider, title="Hi")
    with pytest.raises(CommunityError, match="members"):
        live.live_event_message_post(event=event, by=outsider, content="Hi")
    with pytest.raises(CommunityError, match="members"):
        live.live_question_upvote(message=question, event=event, by=outsider)
    assert not ForumPost.objects.exists() and not LiveEventVote.objects.exists()


def test_suggestions_are_answered_by_the_artist_only(community, artist_user, member):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    post = forums.forum_post_create(
        forum=forum, community=community, by=member, title="Play the B-side"
    )
    assert post.suggestion_state == SuggestionState.OPEN
    with pytest.raises(CommunityError):
        topics.suggestion_state_set(post=post, community=community, by=member, state="answered")
    topics.suggestion_state_set(post=post, community=community, by=artist_user, state="answered")
    answered = selectors.topic_list(forum=forum, user=member, state="answered").topics
    assert [p.pk for p in answered] == [post.pk] and answered[0].is_answered
    assert not selectors.topic_list(forum=forum, user=member, state="open").topics


def test_pinned_topics_come_first(community, artist_user):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    old = ForumPostFactory(forum=forum)
    ForumPostFactory(forum=forum)
    forums.forum_post_pin(post=old, community=community, by=artist_user, pinned=True)
    assert selectors.topic_list(forum=forum, user=artist_user).pinned == [old]


def test_members_edit_and_delete_their_own_posts_and_the_artist_deletes_any(
    community, artist_user, member
):
    forum = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    mine = ForumPostFactory(forum=forum, user=member)
    theirs = ForumPostFactory(forum=forum)
    assert forums.forum_post_update(post=mine, by=member, title="Better").title == "Better"
    with pytest.raises(CommunityError, match="only your own"):
        forums.forum_post_update(post=theirs, by=member, title="Mine now")
    with pytest.raises(CommunityError, match="only your own"):
        forums.forum_post_delete(post=theirs, community=community, by=member)
    forums.forum_post_delete(post=mine, community=community, by=member)
    forums.forum_post_delete(post=theirs, community=community, by=artist_user)
    assert not ForumPost.objects.filter(forum=forum).exists()


# Access


def test_access_ends_at_the_end_date_even_before_the_expiry_job(community, frozen_clock):
    end = timezone.now() + timedelta(days=2)
    subscription = CommunitySubscriptionFactory(community=community, end_date=end, auto_renew=False)
    user = subscription.user
    frozen_clock.set(end - timedelta(seconds=1))
    assert selectors.is_member(community_id=community.pk, user=user)
    frozen_clock.set(end)
    assert not selectors.is_member(community_id=community.pk, user=user)
    assert renewals.subscriptions_expire(now=end) == 1
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_the_cached_access_check_follows_cancellation_and_expiry(
    community, django_capture_on_commit_callbacks
):
    subscription = CommunitySubscriptionFactory(community=community)
    user = subscription.user
    assert selectors.is_member(community_id=community.pk, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_cancel(subscription=subscription, by=user)
    assert selectors.is_member(community_id=community.pk, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        renewals.subscriptions_expire(now=subscription.end_date)
    assert not selectors.is_member(community_id=community.pk, user=user)


# Subscribing through the payment service


def test_subscribing_pays_through_the_payment_service_and_makes_an_active_member(
    community, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        redirect_url = subscriptions.subscription_checkout_start(
            user=outsider, community=community, site_url=SITE
        )
    payment = Payment.objects.get(user=outsider)
    assert redirect_url.endswith(f"/payments/{payment.pk}/test-checkout/")
    assert payment.amount == community.subscription_fee
    assert not selectors.is_member(community_id=community.pk, user=outsider)
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    subscription = CommunitySubscription.objects.get(user=outsider, community=community)
    assert subscription.is_active and subscription.auto_renew
    assert subscription.payment_id == payment.pk
    assert subscription.end_date > timezone.now() + timedelta(days=29)
    assert selectors.is_member(community_id=community.pk, user=outsider)
    assert selectors.community_info(community_id=community.pk).member_count == 1
    assert Notification.objects.filter(
        user=community.artist.user, notification_type=NotificationType.NEW_MEMBER
    ).exists()


def test_two_checkouts_of_one_join_that_both_go_through_pay_once(
    community, outsider, django_capture_on_commit_callbacks
):
    for _ in range(2):
        subscriptions.subscription_checkout_start(user=outsider, community=community, site_url=SITE)
    first, second = Payment.objects.filter(user=outsider).order_by("payment_date", "pk")
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=first, card_number="4242424242424242")
    subscription = CommunitySubscription.objects.get(user=outsider)
    end = subscription.end_date
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=second, card_number="4242424242424242")
    subscription.refresh_from_db()
    second.refresh_from_db()
    assert subscription.end_date == end and subscription.payment_id == first.pk
    assert subscription.is_active
    assert second.payment_status == PaymentStatus.REFUNDED


def test_a_former_member_rejoins_for_a_new_period(community, django_capture_on_commit_callbacks):
    ended = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=3), is_active=False
    )
    subscriptions.subscription_checkout_start(user=ended.user, community=community, site_url=SITE)
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(
            payment=Payment.objects.get(user=ended.user), card_number="4242424242424242"
        )
    ended.refresh_from_db()
    assert ended.is_active and ended.end_date > timezone.now() + timedelta(days=29)
    assert selectors.is_member(community_id=community.pk, user=ended.user)


def test_a_declined_first_payment_leaves_no_membership(community, outsider):
    subscriptions.subscription_checkout_start(user=outsider, community=community, site_url=SITE)
    payment = Payment.objects.get(user=outsider)
    payment_test_checkout_submit(payment=payment, card_number="4000000000000002")
    assert not selectors.is_member(community_id=community.pk, user=outsider)


def test_a_member_cannot_pay_twice_and_the_artist_cannot_join_their_own(
    community, member, artist_user
):
    with pytest.raises(CommunityError, match="already a member"):
        subscriptions.subscription_checkout_start(user=member, community=community, site_url=SITE)
    with pytest.raises(CommunityError, match="your own community"):
        subscriptions.subscription_checkout_start(
            user=artist_user, community=community, site_url=SITE
        )
    assert not Payment.objects.exists()


def test_cancel_keeps_access_until_the_end_and_resume_works_before_it(community, frozen_clock):
    subscription = CommunitySubscriptionFactory(community=community)
    user = subscription.user
    subscriptions.subscription_cancel(subscription=subscription, by=user)
    subscription.refresh_from_db()
    assert not subscription.auto_renew and subscription.is_active
    assert StatusHistory.objects.filter(entity_id=subscription.pk, new_status="cancelled").exists()
    assert subscription.pk not in renewals.subscriptions_due_ids(now=subscription.end_date)
    subscriptions.subscription_resume(subscription=subscription, by=user)
    subscription.refresh_from_db()
    assert subscription.auto_renew
    frozen_clock.set(subscription.end_date + timedelta(seconds=1))
    renewals.subscriptions_expire()
    with pytest.raises(CommunityError, match="has ended"):
        subscriptions.subscription_resume(subscription=subscription, by=user)


# Renewal, grace, expiry


def test_the_renewal_job_run_twice_charges_the_period_once():
    subscription = due_subscription()
    save_card(subscription.user)
    end = subscription.end_date
    assert renewals.subscription_renew(subscription_id=subscription.pk) == "renewed"
    assert renewals.subscription_renew(subscription_id=subscription.pk) == "skipped"
    subscription.refresh_from_db()
    assert subscription.end_date == end + timedelta(days=30)
    assert Payment.objects.filter(subscription=subscription).count() == 1
    assert Payment.objects.get(subscription=subscription).payment_status == PaymentStatus.COMPLETED
    assert SubscriptionRenewal.objects.get(subscription=subscription).period_end == end
    assert not Notification.objects.filter(notification_type=NotificationType.NEW_MEMBER).exists()


def test_a_renewal_is_not_charged_before_it_is_due_nor_when_cancelled():
    early = CommunitySubscriptionFactory()
    cancelled = due_subscription(auto_renew=False)
    for subscription in (early, cancelled):
        save_card(subscription.user)
        assert renewals.subscription_renew(subscription_id=subscription.pk) == "skipped"
    assert set(renewals.subscriptions_due_ids()) == set()
    assert not Payment.objects.exists()


def test_a_retried_task_charges_the_pending_payment_of_the_period_not_a_new_one():
    subscription = due_subscription()
    save_card(subscription.user)
    # A worker that died after creating the period's payment, before charging it.
    from payments.services import payment_renewal_create

    pending = payment_renewal_create(
        user_id=subscription.user_id, subscription_id=subscription.pk, amount=subscription.price
    )
    SubscriptionRenewal.objects.create(
        subscription=subscription, period_end=subscription.end_date, payment=pending, attempts=1
    )
    assert renewals.subscription_renew(subscription_id=subscription.pk) == "renewed"
    assert list(Payment.objects.filter(subscription=subscription)) == [pending]


def test_a_declined_renewal_enters_grace_keeps_access_retries_then_ends(frozen_clock):
    subscription = due_subscription()
    community, user = subscription.community, subscription.user
    card = save_card(user, card="0002")
    end = subscription.end_date
    now = timezone.now()

    assert renewals.subscription_renew(subscription_id=subscription.pk, now=now) == "failed"
    subscription.refresh_from_db()
    assert subscription.grace_until == end + renewals.GRACE_PERIOD
    assert Notification.objects.filter(
        user=user, notification_type=NotificationType.SUBSCRIPTION
    ).exists()
    # Inside the grace: still a member, and not retried before the retry interval.
    frozen_clock.set(end + timedelta(days=1))
    assert selectors.is_member(community_id=community.pk, user=user)
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=now) == "waiting"
    assert renewals.subscriptions_expire(now=end + timedelta(days=1)) == 0
    # The retry a day later declines again: still one failed payment per attempt.
    retry_at = now + renewals.RETRY_INTERVAL
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=retry_at) == "failed"
    assert Payment.objects.filter(subscription=subscription).count() == 2
    subscription.refresh_from_db()
    assert subscription.grace_until == end + renewals.GRACE_PERIOD
    # After the grace: access is gone, and the job ends the membership.
    after = subscription.grace_until
    frozen_clock.set(after)
    assert not selectors.is_member(community_id=community.pk, user=user)
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=after) == "skipped"
    assert renewals.subscriptions_expire(now=after) == 1
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert card.pk  # the card stays for a later subscription


def test_a_successful_retry_in_grace_restores_the_membership():
    subscription = due_subscription()
    card = save_card(subscription.user, card="0002")
    now = timezone.now()
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=now) == "failed"
    card.delete()
    save_card(subscription.user, card="4242")
    later = now + renewals.RETRY_INTERVAL
    assert renewals.subscription_renew(subscription_id=subscription.pk, now=later) == "renewed"
    subscription.refresh_from_db()
    assert subscription.grace_until is None and subscription.is_active
    assert subscription.end_date > timezone.now() + timedelta(days=29)


@pytest.mark.django_db(transaction=True)
def test_two_workers_renewing_at_once_charge_once():
    subscription = due_subscription()
    save_card(subscription.user)
    outcomes = run_together(
        2, lambda _: renewals.subscription_renew(subscription_id=subscription.pk)
    )
    assert sorted(outcomes) in (["renewed", "skipped"], ["renewed", "already_paid"])
    payments = Payment.objects.filter(subscription=subscription)
    assert [p.payment_status for p in payments] == [PaymentStatus.COMPLETED]


# Live events


def test_live_events_move_only_along_the_map_with_history(
    community, artist_user, django_capture_on_commit_callbacks
):
    member = CommunitySubscriptionFactory(community=community).user
    with django_capture_on_commit_callbacks(execute=True):
        event = live.live_event_schedule(
            community=community,
            by=artist_user,
            title="Listening party",
            event_type=LiveEventType.CHAT,
            start_time=timezone.now() + timedelta(hours=1),
        )
    with django_capture_on_commit_callbacks(execute=True):
        live.live_event_status_set(
            event=event, community=community, by=artist_user, new_status=LiveEventStatus.LIVE
        )
    live.live_event_status_set(
        event=event, community=community, by=artist_user, new_status=LiveEventStatus.COMPLETED
    )
    with pytest.raises(StatusTransitionError):
        live.live_event_status_set(
            event=event, community=community, by=artist_user, new_status=LiveEventStatus.LIVE
        )
    history = StatusHistory.objects.filter(entity_id=event.pk).order_by("changed_at")
    assert [(h.old_status, h.new_status) for h in history] == [
        ("scheduled", "live"),
        ("live", "completed"),
    ]
    titles = set(
        Notification.objects.filter(
            user=member, notification_type=NotificationType.LIVE_EVENT
        ).values_list("title", flat=True)
    )
    assert titles == {
        f"New live event in {community.name}: Listening party",
        "Listening party is live now",
    }


def test_a_scheduled_event_can_be_cancelled_but_a_cancelled_one_never_goes_live(
    community, artist_user, member
):
    event = LiveEventFactory(community=community)
    with pytest.raises(CommunityError):
        live.live_event_status_set(
            event=event, community=community, by=member, new_status=LiveEventStatus.LIVE
        )
    live.live_event_status_set(
        event=event, community=community, by=artist_user, new_status=LiveEventStatus.CANCELLED
    )
    with pytest.raises(StatusTransitionError):
        live.live_event_status_set(
            event=event, community=community, by=artist_user, new_status=LiveEventStatus.LIVE
        )


def test_an_event_is_scheduled_in_the_future_and_ends_after_it_starts(community, artist_user):
    with pytest.raises(CommunityError, match="future"):
        live.live_event_schedule(
            community=community,
            by=artist_user,
            title="Past",
            event_type="qa",
            start_time=timezone.now() - timedelta(minutes=1),
        )
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(CommunityError, match="ends after"):
        live.live_event_schedule(
            community=community,
            by=artist_user,
            title="Backwards",
            event_type="qa",
            start_time=start,
            end_time=start - timedelta(hours=1),
        )


def test_messages_only_while_live_numbered_in_order_and_rate_limited(community, member):
    event = LiveEventFactory(community=community, event_type=LiveEventType.CHAT)
    with pytest.raises(CommunityError, match="not live"):
        live.live_event_message_post(event=event, by=member, content="early")
    event.status = LiveEventStatus.LIVE
    event.save()
    sent = [
        live.live_event_message_post(event=event, by=member, content=f"m{i}")
        for i in range(live.MESSAGE_RATE_LIMIT)
    ]
    assert [m.seq for m in sent] == list(range(1, live.MESSAGE_RATE_LIMIT + 1))
    with pytest.raises(CommunityError, match="too fast"):
        live.live_event_message_post(event=event, by=member, content="spam")
    other = live.live_event_message_post(
        event=event, by=CommunitySubscriptionFactory(community=community).user, content="hello"
    )
    assert other.seq == live.MESSAGE_RATE_LIMIT + 1
    assert [m.content for m in selectors.live_chat_messages(event=event, after=sent[-1].seq)] == [
        "hello"
    ]


def test_questions_are_upvoted_once_per_member_and_answered_by_the_artist(
    community, artist_user, member
):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.QA, status=LiveEventStatus.LIVE
    )
    question = live.live_event_message_post(event=event, by=member, content="Next album?")
    popular = live.live_event_message_post(event=event, by=artist_user, content="Vinyl?")
    for voter in (member, member, CommunitySubscriptionFactory(community=community).user):
        live.live_question_upvote(message=popular, event=event, by=voter)
    assert LiveEventVote.objects.filter(message=popular).count() == 2
    with pytest.raises(CommunityError):
        live.live_question_answer(message=question, event=event, community=community, by=member)
    live.live_question_answer(message=popular, event=event, community=community, by=artist_user)
    listed = selectors.live_questions(event=event, user=member)
    assert [q.pk for q in listed] == [question.pk, popular.pk]
    assert listed[1].is_answered and listed[1].vote_count == 2 and listed[1].voted


def test_messages_are_kept_after_the_event(community, artist_user, member):
    event = LiveEventFactory(
        community=community, event_type=LiveEventType.CHAT, status=LiveEventStatus.LIVE
    )
    live.live_event_message_post(event=event, by=member, content="Bye")
    live.live_event_status_set(
        event=event, community=community, by=artist_user, new_status=LiveEventStatus.COMPLETED
    )
    assert LiveEventMessage.objects.filter(event=event).count() == 1
