"""Tiers (issue 22, item 3): nesting, upgrades paid prorated, downgrades from the next
period, free tiers. docs/payments.md, "Tiers"."""

import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities import selectors
from communities.models import (
    Community,
    CommunitySubscription,
    SubscriptionStatus,
    SubscriptionTierChange,
    TierChangeKind,
    TierChangeStatus,
)
from communities.services import CommunityError, renewals, subscriptions, tiers
from communities.tests.conftest import save_card
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from musicplatform.search import readable_forum_posts
from payments.models import Payment, PaymentStatus
from payments.services import payment_test_checkout_submit

pytestmark = pytest.mark.django_db
SITE = "http://testserver/"
CARD = "4242424242424242"
DECLINED = "4000000000000002"


@dataclass
class Tiers:
    free: Community
    fan: Community
    superfan: Community


@pytest.fixture
def ladder(db):
    artist = ArtistFactory()
    return Tiers(
        free=CommunityFactory(artist=artist, tier_rank=1, subscription_fee=Decimal("0")),
        fan=CommunityFactory(artist=artist, tier_rank=2, subscription_fee=Decimal("5.00")),
        superfan=CommunityFactory(artist=artist, tier_rank=3, subscription_fee=Decimal("15.00")),
    )


def fan_member(ladder, *, days_left=15, **kwargs):
    """A member of the middle tier, paid by a completed payment, with a saved card."""
    subscription = CommunitySubscriptionFactory(
        community=ladder.fan, end_date=timezone.now() + timedelta(days=days_left), **kwargs
    )
    save_card(subscription.user)
    return subscription


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Proration


@pytest.mark.parametrize(
    ("remaining", "accepted", "new", "expected"),
    [
        (timedelta(days=15), "5.00", "15.00", "5.00"),  # half the period x 10.00
        (timedelta(days=10), "0.00", "1.00", "0.33"),  # a third of a cent is not charged
        (timedelta(days=20), "4.99", "5.00", "0.00"),  # 0.0066… rounds down to nothing
        (timedelta(days=29, hours=23), "5.00", "15.00", "9.98"),
        (timedelta(days=45), "5.00", "15.00", "10.00"),  # never more than a whole period
        (timedelta(days=15), "15.00", "5.00", "0.00"),  # never negative
        (-timedelta(days=1), "5.00", "15.00", "0.00"),  # the period is over
    ],
)
def test_the_upgrade_charge_is_the_remaining_share_of_the_difference_in_whole_cents(
    ladder, remaining, accepted, new, expected
):
    now = timezone.now()
    subscription = CommunitySubscriptionFactory.build(
        community=ladder.fan, end_date=now + remaining, price=Decimal(accepted)
    )
    charge = selectors.upgrade_charge(subscription=subscription, new_price=Decimal(new), now=now)
    assert isinstance(charge, Decimal)
    assert charge == Decimal(expected) and charge.as_tuple().exponent == -2


# Nesting


def test_a_higher_tier_sees_the_lower_tiers_content_and_not_the_reverse(ladder, client):
    superfan = CommunitySubscriptionFactory(community=ladder.superfan).user
    fan = CommunitySubscriptionFactory(community=ladder.fan).user
    forums = {tier: ForumFactory(community=getattr(ladder, tier)) for tier in vars(ladder)}

    def can_read(user, tier):
        client.force_login(user)
        url = reverse("communities:forum", args=[getattr(ladder, tier).pk, forums[tier].pk])
        return client.get(url).status_code == 200

    assert [can_read(superfan, tier) for tier in ("free", "fan", "superfan")] == [True] * 3
    assert [can_read(fan, tier) for tier in ("free", "fan", "superfan")] == [True, True, False]
    # The same rule in SQL: search finds the lower tiers' topics only.
    posts = {tier: ForumPostFactory(forum=forums[tier], title=tier) for tier in forums}
    assert set(readable_forum_posts(fan)) == {posts["free"], posts["fan"]}


def test_nesting_stays_within_the_artists_tiers(ladder):
    apart = CommunityFactory(artist=ladder.fan.artist, tier_rank=None)
    elsewhere = CommunityFactory(tier_rank=1)
    superfan = CommunitySubscriptionFactory(community=ladder.superfan).user
    assert not selectors.is_member(community_id=apart.pk, user=superfan)
    assert not selectors.is_member(community_id=elsewhere.pk, user=superfan)
    # A membership of a community that is not a tier includes nothing.
    outside = CommunitySubscriptionFactory(community=apart).user
    assert not selectors.is_member(community_id=ladder.free.pk, user=outside)


def test_reordering_tiers_changes_access_at_once(ladder, django_capture_on_commit_callbacks):
    fan = CommunitySubscriptionFactory(community=ladder.fan).user
    assert selectors.is_member(community_id=ladder.free.pk, user=fan)  # now cached
    artist = ladder.fan.artist
    with django_capture_on_commit_callbacks(execute=True):
        tiers.community_tiers_set(
            artist=artist,
            by=artist.user,
            ranks={ladder.free.pk: 3, ladder.fan.pk: 1, ladder.superfan.pk: 2},
        )
    assert not selectors.is_member(community_id=ladder.free.pk, user=fan)
    assert not selectors.is_member(community_id=ladder.superfan.pk, user=fan)


def test_only_the_artist_orders_tiers_with_distinct_ranks(ladder, client):
    artist = ladder.fan.artist
    with pytest.raises(CommunityError, match="its own rank"):
        tiers.community_tiers_set(
            artist=artist, by=artist.user, ranks={ladder.free.pk: 1, ladder.fan.pk: 1}
        )
    other = ArtistFactory()
    with pytest.raises(CommunityError, match="Only the artist"):
        tiers.community_tiers_set(artist=artist, by=other.user, ranks={ladder.free.pk: None})
    with pytest.raises(CommunityError, match="your own"):
        tiers.community_tiers_set(artist=other, by=other.user, ranks={ladder.free.pk: None})
    # Through the dashboard's form: bad ranks are refused with a message, nothing changes.
    client.force_login(artist.user)
    url = reverse("communities:tiers")
    response = client.post(url, {f"rank_{ladder.free.pk}": "x", f"rank_{ladder.fan.pk}": "2"})
    assert response.status_code == 302 and "whole number" in messages_of(response)[-1]
    response = client.post(
        url,
        {
            f"rank_{ladder.free.pk}": "",
            f"rank_{ladder.fan.pk}": "1",
            f"rank_{ladder.superfan.pk}": "2",
        },
    )
    assert messages_of(response)[-1] == "Tiers saved."
    ranks = dict(Community.objects.filter(artist=artist).values_list("pk", "tier_rank"))
    assert ranks == {ladder.free.pk: None, ladder.fan.pk: 1, ladder.superfan.pk: 2}
    dashboard = client.get(reverse("communities:dashboard", args=[ladder.fan.pk]))
    assert b"Save tiers" in dashboard.content


# Upgrades


def test_an_upgrade_charges_the_amount_shown_then_moves_the_member_keeping_the_period(
    ladder, client, frozen_clock, django_capture_on_commit_callbacks
):
    frozen_clock.set(timezone.now())
    old = fan_member(ladder)
    period_end = old.end_date
    client.force_login(old.user)
    url = reverse("communities:tier_change", args=[ladder.superfan.pk])
    page = client.get(url)
    assert page.status_code == 200
    # 15 of 30 days left x (15.00 - 5.00)
    assert b"Charged now" in page.content and b"5.00" in page.content
    assert page.context["quote"].amount == Decimal("5.00")
    response = client.post(url, {"amount": "5.00", "price": "15.00"})
    payment = Payment.objects.get(user=old.user)
    assert response.status_code == 302 and response.url.endswith(
        f"/payments/{payment.pk}/test-checkout/"
    )
    assert payment.amount == Decimal("5.00") and payment.subscription_id == old.pk
    # Not moved before the payment completes.
    assert not selectors.is_member(community_id=ladder.superfan.pk, user=old.user)
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=payment, card_number=CARD)
    new = CommunitySubscription.objects.get(user=old.user, community=ladder.superfan)
    old.refresh_from_db()
    assert new.status == SubscriptionStatus.ACTIVE and new.price == Decimal("15.00")
    assert new.end_date == period_end
    assert old.status == SubscriptionStatus.ENDED
    assert selectors.is_member(community_id=ladder.superfan.pk, user=old.user)
    assert selectors.is_member(community_id=ladder.fan.pk, user=old.user)  # nested
    change = SubscriptionTierChange.objects.get()
    assert change.status == TierChangeStatus.APPLIED and change.payment_id == payment.pk


def test_the_price_charged_is_the_price_shown_or_nothing_happens(ladder, client, frozen_clock):
    start = frozen_clock.set(timezone.now())
    old = fan_member(ladder)
    client.force_login(old.user)
    url = reverse("communities:tier_change", args=[ladder.superfan.pk])
    assert client.get(url).context["quote"].amount == Decimal("5.00")
    # A day later the share left is smaller: the old figure is not charged.
    frozen_clock.set(start + timedelta(days=1))
    response = client.post(url, {"amount": "5.00", "price": "15.00"})
    assert "now costs $4.66" in messages_of(response)[-1]
    # A price the page never showed (a tampered form) is refused the same way.
    response = client.post(url, {"amount": "0.01", "price": "0.01"})
    assert "Check it and confirm again" in messages_of(response)[-1]
    response = client.post(url, {"amount": "-1", "price": "abc"})
    assert response.status_code == 302 and "Confirm the amount" in messages_of(response)[-1]
    assert not Payment.objects.exists() and not SubscriptionTierChange.objects.exists()


def test_a_double_submitted_upgrade_starts_one_payment(ladder, client, frozen_clock):
    frozen_clock.set(timezone.now())
    old = fan_member(ladder)
    client.force_login(old.user)
    url = reverse("communities:tier_change", args=[ladder.superfan.pk])
    first = client.post(url, {"amount": "5.00", "price": "15.00"})
    second = client.post(url, {"amount": "5.00", "price": "15.00"})
    assert "/test-checkout/" in first.url
    assert "already under way" in messages_of(second)[-1]
    assert Payment.objects.count() == 1
    # The member sees it waiting on the community page.
    page = client.get(reverse("communities:detail", args=[ladder.fan.pk]))
    assert b"Upgrade under way" in page.content


@pytest.mark.django_db(transaction=True)
def test_two_upgrades_at_once_make_one_payment(ladder):
    old = fan_member(ladder)
    amount = tiers.tier_change_quote(user=old.user, to_community_id=ladder.superfan.pk).amount
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            started = tiers.tier_change_start(
                user=old.user,
                to_community_id=ladder.superfan.pk,
                amount_shown=amount,
                price_shown=Decimal("15.00"),
                site_url=SITE,
            )
            outcomes.append(started.redirect_url is not None)
        except CommunityError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert True in outcomes and any("already under way" in str(o) for o in outcomes)
    assert Payment.objects.count() == 1
    assert SubscriptionTierChange.objects.filter(status=TierChangeStatus.PENDING).count() == 1


def test_a_failed_upgrade_payment_lets_the_member_try_again(
    ladder, frozen_clock, django_capture_on_commit_callbacks
):
    frozen_clock.set(timezone.now())
    old = fan_member(ladder)
    arguments = dict(
        user=old.user,
        to_community_id=ladder.superfan.pk,
        amount_shown=Decimal("5.00"),
        price_shown=Decimal("15.00"),
        site_url=SITE,
    )
    tiers.tier_change_start(**arguments)
    payment_test_checkout_submit(payment=Payment.objects.get(), card_number=DECLINED)
    assert SubscriptionTierChange.objects.get().status == TierChangeStatus.CANCELLED
    old.refresh_from_db()
    assert old.status == SubscriptionStatus.ACTIVE and old.community_id == ladder.fan.pk
    tiers.tier_change_start(**arguments)
    assert Payment.objects.count() == 2


def test_an_upgrade_paid_after_the_membership_ended_is_given_back(
    ladder, frozen_clock, django_capture_on_commit_callbacks
):
    frozen_clock.set(timezone.now())
    old = fan_member(ladder)
    tiers.tier_change_start(
        user=old.user,
        to_community_id=ladder.superfan.pk,
        amount_shown=Decimal("5.00"),
        price_shown=Decimal("15.00"),
        site_url=SITE,
    )
    subscriptions.subscription_status_set(
        subscription=old, new_status=SubscriptionStatus.ENDED, by=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        payment_test_checkout_submit(payment=Payment.objects.get(), card_number=CARD)
    assert Payment.objects.get().payment_status == PaymentStatus.REFUNDED
    assert not CommunitySubscription.objects.filter(community=ladder.superfan).exists()


def test_bad_tier_changes_are_refused_with_a_message_never_a_500(ladder, client):
    old = fan_member(ladder)
    client.force_login(old.user)
    other_artists = CommunityFactory(tier_rank=5)
    apart = CommunityFactory(artist=ladder.fan.artist, tier_rank=None)
    for community_id, message in [
        (ladder.fan.pk, f"already a member of {ladder.fan.name}"),  # the same tier
        (other_artists.pk, "not a member of another tier"),
        (apart.pk, "not one of the artist's tiers"),
        (uuid.uuid4(), "no longer exists"),  # a deleted community
    ]:
        url = reverse("communities:tier_change", args=[community_id])
        for response in (client.get(url), client.post(url, {"amount": "0", "price": "0"})):
            assert response.status_code == 302, community_id
            assert message in messages_of(response)[-1]
    # Already a member of the higher tier too.
    CommunitySubscriptionFactory(user=old.user, community=ladder.superfan)
    response = client.get(reverse("communities:tier_change", args=[ladder.superfan.pk]))
    assert "already a member" in messages_of(response)[-1]
    assert not Payment.objects.exists() and not SubscriptionTierChange.objects.exists()


def test_tiers_of_different_intervals_cannot_be_changed_between(ladder):
    old = fan_member(ladder)
    ladder.superfan.subscription_interval = "yearly"
    ladder.superfan.save()
    with pytest.raises(CommunityError, match="within one interval"):
        tiers.tier_change_quote(user=old.user, to_community_id=ladder.superfan.pk)


# Downgrades


def test_a_downgrade_is_scheduled_charges_nothing_now_and_can_be_cancelled(ladder, client):
    old = fan_member(ladder)
    client.force_login(old.user)
    url = reverse("communities:tier_change", args=[ladder.free.pk])
    page = client.get(url)
    assert page.context["quote"].kind == TierChangeKind.DOWNGRADE
    assert page.context["quote"].amount == Decimal("0.00")
    response = client.post(url, {"amount": "0.00", "price": "0.00"})
    assert "Until then nothing changes" in messages_of(response)[-1]
    assert not Payment.objects.filter(payment_status=PaymentStatus.PENDING).exists()
    page = client.get(reverse("communities:detail", args=[ladder.fan.pk]))
    assert b"Cancel the scheduled change" in page.content
    response = client.post(reverse("communities:tier_change_cancel", args=[ladder.fan.pk]))
    assert messages_of(response)[-1] == "Your scheduled tier change is cancelled."
    assert SubscriptionTierChange.objects.get().status == TierChangeStatus.CANCELLED
    old.refresh_from_db()
    assert old.status == SubscriptionStatus.ACTIVE and old.community_id == ladder.fan.pk


def test_a_downgrade_takes_effect_at_the_renewal_which_charges_the_lower_price(
    ladder, django_capture_on_commit_callbacks
):
    old = CommunitySubscriptionFactory(
        community=ladder.superfan, end_date=timezone.now() + timedelta(hours=1)
    )
    save_card(old.user)
    tiers.tier_change_start(
        user=old.user,
        to_community_id=ladder.fan.pk,
        amount_shown=Decimal("0.00"),
        price_shown=Decimal("5.00"),
        site_url=SITE,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert renewals.subscription_renew(subscription_id=old.pk) == "renewed"
        # Run twice: nothing more is charged.
        assert renewals.subscription_renew(subscription_id=old.pk) == "skipped"
    payment = Payment.objects.get()
    assert payment.amount == Decimal("5.00") and payment.payment_status == PaymentStatus.COMPLETED
    new = CommunitySubscription.objects.get(user=old.user, community=ladder.fan)
    old.refresh_from_db()
    assert payment.subscription_id == new.pk and new.price == Decimal("5.00")
    assert new.end_date > old.end_date + timedelta(days=29)
    # The higher tier stays until the end of the period paid for it, then runs out.
    assert old.status == SubscriptionStatus.CANCELLED and not old.auto_renew
    assert selectors.is_member(community_id=ladder.superfan.pk, user=old.user)
    renewals.subscriptions_expire(now=old.end_date)
    old.refresh_from_db()
    assert old.status == SubscriptionStatus.ENDED


# Free tiers


def test_a_free_tier_is_joined_without_payment_or_card_renews_free_and_is_left_any_time(
    ladder, client, django_capture_on_commit_callbacks
):
    fan = UserFactory()
    client.force_login(fan)
    page = client.get(reverse("communities:detail", args=[ladder.free.pk]))
    assert b"Join for free" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("communities:subscribe", args=[ladder.free.pk]))
    assert response.status_code == 302 and response.url == ladder.free.get_absolute_url()
    subscription = CommunitySubscription.objects.get(user=fan)
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.price == 0
    assert selectors.is_member(community_id=ladder.free.pk, user=fan)
    # Renewal extends the period and charges nothing, even with a card on file.
    save_card(fan)
    end = subscription.end_date
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            renewals.subscription_renew(
                subscription_id=subscription.pk, now=end - timedelta(hours=1)
            )
            == "free"
        )
    subscription.refresh_from_db()
    assert subscription.end_date > end
    assert not Payment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("communities:leave", args=[ladder.free.pk]))
    assert messages_of(response)[-1] == f"You left {ladder.free.name}."
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ENDED
    assert not selectors.is_member(community_id=ladder.free.pk, user=fan)


def test_a_paid_membership_cannot_be_left_at_once(ladder, client):
    old = fan_member(ladder)
    client.force_login(old.user)
    response = client.post(reverse("communities:leave", args=[ladder.fan.pk]))
    assert "cancelling its renewal" in messages_of(response)[-1]
    old.refresh_from_db()
    assert old.status == SubscriptionStatus.ACTIVE


def test_an_upgrade_from_the_free_tier_pays_the_share_of_the_full_fee(ladder, frozen_clock):
    frozen_clock.set(timezone.now())
    free = CommunitySubscriptionFactory(
        community=ladder.free, end_date=timezone.now() + timedelta(days=10)
    )
    quote = tiers.tier_change_quote(user=free.user, to_community_id=ladder.fan.pk)
    assert quote.amount == Decimal("1.66")  # 10/30 x 5.00, rounded down


def test_refunding_the_periods_payment_ends_the_membership_in_its_new_tier(
    ladder, frozen_clock, django_capture_on_commit_callbacks
):
    from payments.services import payment_refund

    frozen_clock.set(timezone.now())
    fan = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        subscriptions.subscription_checkout_start(user=fan, community=ladder.fan, site_url=SITE)
        period_payment = Payment.objects.get(user=fan)
        payment_test_checkout_submit(payment=period_payment, card_number=CARD)
    quote = tiers.tier_change_quote(user=fan, to_community_id=ladder.superfan.pk)
    with django_capture_on_commit_callbacks(execute=True):
        tiers.tier_change_start(
            user=fan,
            to_community_id=ladder.superfan.pk,
            amount_shown=quote.amount,
            price_shown=quote.price,
            site_url=SITE,
        )
        upgrade = Payment.objects.exclude(pk=period_payment.pk).get()
        payment_test_checkout_submit(payment=upgrade, card_number=CARD)
    new = CommunitySubscription.objects.get(user=fan, community=ladder.superfan)
    assert new.status == SubscriptionStatus.ACTIVE
    with django_capture_on_commit_callbacks(execute=True):
        payment_refund(payment=period_payment)
    new.refresh_from_db()
    assert new.status == SubscriptionStatus.ENDED
    assert not selectors.is_member(community_id=ladder.fan.pk, user=fan)


@pytest.mark.parametrize("page", ["communities:tier_change", "communities:detail"])
def test_tier_pages_run_the_same_queries_whatever_the_number_of_tiers_and_members(
    ladder, client, page
):
    from django.core.cache import cache
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    old = fan_member(ladder)
    client.force_login(old.user)

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(db) as captured:
            response = client.get(reverse(page, args=[ladder.superfan.pk]))
        assert response.status_code == 200
        return len(captured)

    small = queries()
    for rank in range(4, 10):
        tier = CommunityFactory(artist=ladder.fan.artist, tier_rank=rank)
        CommunitySubscriptionFactory.create_batch(3, community=tier)
    CommunitySubscriptionFactory.create_batch(5, community=ladder.superfan)
    assert queries() == small


def test_the_tier_pages_are_valid_html(ladder, client, tmp_path):
    from musicplatform.tests.test_valid_html import vnu_errors

    old = fan_member(ladder)
    free = CommunitySubscriptionFactory(community=ladder.free)
    pages = {
        "upgrade.html": (old.user, reverse("communities:tier_change", args=[ladder.superfan.pk])),
        "downgrade.html": (old.user, reverse("communities:tier_change", args=[ladder.free.pk])),
        "higher.html": (old.user, reverse("communities:detail", args=[ladder.superfan.pk])),
        "own.html": (old.user, reverse("communities:detail", args=[ladder.fan.pk])),
        "included.html": (old.user, reverse("communities:detail", args=[ladder.free.pk])),
        "join.html": (UserFactory(), reverse("communities:detail", args=[ladder.free.pk])),
        "free.html": (free.user, reverse("communities:detail", args=[ladder.free.pk])),
        "mine.html": (free.user, reverse("communities:mine")),
        "dashboard.html": (
            ladder.fan.artist.user,
            reverse("communities:dashboard", args=[ladder.fan.pk]),
        ),
    }
    shown = {
        "higher.html": "Upgrade to this tier",
        "included.html": "Included in your membership",
        "join.html": "Join for free",
        "free.html": "Leave this free tier",
        "dashboard.html": "Save tiers",
    }
    for name, (user, url) in pages.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert shown.get(name, "") in response.content.decode(), name
        (tmp_path / name).write_text(response.content.decode())
    assert vnu_errors([tmp_path / name for name in pages]) == {}


def test_a_downgrade_to_a_tier_joined_meanwhile_only_stops_the_higher_renewal(ladder):
    old = CommunitySubscriptionFactory(
        community=ladder.superfan, end_date=timezone.now() + timedelta(hours=1)
    )
    save_card(old.user)
    tiers.tier_change_start(
        user=old.user,
        to_community_id=ladder.fan.pk,
        amount_shown=Decimal("0.00"),
        price_shown=Decimal("5.00"),
        site_url=SITE,
    )
    joined = CommunitySubscriptionFactory(
        user=old.user, community=ladder.fan, end_date=timezone.now() + timedelta(days=20)
    )
    assert renewals.subscription_renew(subscription_id=old.pk) == "skipped"
    assert not Payment.objects.exists()
    old.refresh_from_db()
    joined.refresh_from_db()
    assert old.status == SubscriptionStatus.CANCELLED
    assert joined.status == SubscriptionStatus.ACTIVE and joined.end_date > old.end_date


def test_an_artist_makes_a_free_tier_with_a_fee_of_zero(client):
    community = CommunityFactory()
    client.force_login(community.artist.user)
    url = reverse("communities:edit", args=[community.pk])
    form = {"name": community.name, "subscription_interval": "monthly"}
    assert b"0 for a free tier" in client.get(url).content
    response = client.post(url, {**form, "subscription_fee": "0.10"})
    assert response.status_code == 400 and b"0 (free) or between 0.50" in response.content
    assert client.post(url, {**form, "subscription_fee": "0"}).status_code == 302
    community.refresh_from_db()
    assert community.subscription_fee == Decimal("0.00")
