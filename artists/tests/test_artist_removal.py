"""Issue 17, item 2: an artist who is deleted or suspended is off the platform, sells
nothing more, and the members of its communities lose no money."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import FACTORY_PASSWORD, UserFactory, verified_user
from artists.models import Artist
from artists.services import artist_remove, artists_feature
from artists.tests.factories import ArtistFactory
from communities.models import CommunitySubscription
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationType
from payments.models import Payment, PaymentStatus
from shop.models import Order, OrderStatus
from shop.tests.factories import (
    FeaturedItemFactory,
    OrderFactory,
    OrderItemFactory,
    PaymentFactory,
    ProductFactory,
)
from shop.tests.helpers import add_to_cart, checkout

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def admin_client(client):
    staff = UserFactory(is_superuser=True, staff=True)
    client.force_login(staff)
    client.staff = staff
    return client


def paid_member(community, *, days_left):
    subscription = CommunitySubscriptionFactory(
        community=community, end_date=NOW + timedelta(days=days_left)
    )
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        amount=community.subscription_fee,
        gateway="test",
        stripe_payment_id=None,
    )
    CommunitySubscription.objects.filter(pk=subscription.pk).update(payment=payment)
    return subscription, payment


def suspend_in_the_admin(admin_client, artist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return admin_client.post(
            reverse("admin:artists_artist_changelist"),
            {"action": "suspend", "_selected_action": [str(artist.pk)]},
            follow=True,
        )


def test_suspending_an_artist_ends_its_communities_refunding_every_member_pro_rata(
    admin_client, clock, django_capture_on_commit_callbacks
):
    community = CommunityFactory(subscription_fee=Decimal("30.00"))
    artist = community.artist
    three_quarters_left, _ = paid_member(community, days_left=22.5)
    just_renewed, _ = paid_member(community, days_left=30)
    in_grace, _ = paid_member(community, days_left=-1)

    response = suspend_in_the_admin(admin_client, artist, django_capture_on_commit_callbacks)

    assert "1 artist(s) suspended" in response.text
    refunds = {
        s.pk: Payment.objects.get(subscription=s).refunded_amount
        for s in (three_quarters_left, just_renewed, in_grace)
    }
    assert refunds == {
        three_quarters_left.pk: Decimal("22.50"),
        just_renewed.pk: Decimal("30.00"),
        in_grace.pk: Decimal("0.00"),
    }
    # A partial refund leaves the payment completed; a whole one marks it refunded.
    assert Payment.objects.get(subscription=three_quarters_left).payment_status == (
        PaymentStatus.COMPLETED
    )
    assert not CommunitySubscription.objects.filter(community=community, is_active=True).exists()
    assert not CommunitySubscription.objects.filter(community=community, auto_renew=True).exists()
    told = Notification.objects.filter(
        notification_type=NotificationType.SUBSCRIPTION,
        title=f"Membership of {community.name} ended",
        message__contains="is no longer on the platform",
    )
    assert set(told.values_list("user_id", flat=True)) == {
        s.user_id for s in (three_quarters_left, just_renewed, in_grace)
    }
    assert "22.50" in told.get(user=three_quarters_left.user).message
    artist.refresh_from_db()
    assert artist.removed_at == clock and artist.removal_reason == "Suspended by staff."
    assert StatusHistory.objects.filter(
        entity_id=artist.pk, new_status="removed", changed_by=admin_client.staff
    ).exists()


def test_removing_an_artist_twice_refunds_its_members_once(
    clock, django_capture_on_commit_callbacks
):
    community = CommunityFactory(subscription_fee=Decimal("30.00"))
    _, payment = paid_member(community, days_left=15)

    with django_capture_on_commit_callbacks(execute=True):
        first = artist_remove(artist=community.artist, by=None, reason="Suspended by staff.")
    with django_capture_on_commit_callbacks(execute=True):
        second = artist_remove(artist=community.artist, by=None, reason="Suspended again.")

    payment.refresh_from_db()
    assert (first, second) == (True, False)
    assert payment.refunded_amount == Decimal("15.00")
    assert Artist.objects.get(pk=community.artist_id).removal_reason == "Suspended by staff."


def test_an_artist_who_deletes_their_account_leaves_the_platform_the_same_way(
    client, clock, django_capture_on_commit_callbacks
):
    owner = verified_user(is_artist=True)
    community = CommunityFactory(artist=ArtistFactory(user=owner), subscription_fee=Decimal("30"))
    _, payment = paid_member(community, days_left=15)
    client.force_login(owner)

    page = client.get(reverse("accounts:settings_delete")).text
    assert f"{community.artist.artist_name} leaves the platform" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:settings_delete"), {"password": FACTORY_PASSWORD, "confirm": "on"}
        )

    payment.refresh_from_db()
    assert Artist.objects.get(pk=community.artist_id).removed_at is not None
    assert payment.refunded_amount == Decimal("15.00")


def test_a_removed_artists_page_answers_410_no_longer_on_the_platform(client):
    artist = ArtistFactory(artist_name="Quiet Harbour")
    artist_remove(artist=artist, by=None, reason="Suspended by staff.")

    response = client.get(artist.get_absolute_url())

    assert response.status_code == 410
    assert "no longer on the platform" in response.text
    assert "Quiet Harbour" in response.text


def test_a_removed_artist_leaves_search_explore_home_and_featured(client):
    gone = ArtistFactory(artist_name="Vanished Harbour", featured=True)
    stays = ArtistFactory(artist_name="Staying Harbour", featured=True)
    FeaturedItemFactory(artist=gone, position=1)
    FeaturedItemFactory(artist=stays, position=2)
    ProductFactory(artist=gone, name="Vanished shirt")

    artist_remove(artist=gone, by=None, reason="Suspended by staff.")

    pages = {
        "search": client.get(reverse("artists:search"), {"q": "Harbour"}).text,
        "all artists": client.get(reverse("artists:search")).text,
        "explore": client.get(reverse("content:explore")).text,
        "home": client.get(reverse("home")).text,
        "shop": client.get(reverse("shop:list")).text,
    }
    for name, page in pages.items():
        assert "Vanished" not in page, name
    assert "Staying Harbour" in pages["search"]
    assert "Staying Harbour" in pages["explore"]


def test_a_removed_artist_flagged_as_featured_again_stays_off_home_and_explore(client):
    """The one featured section (home and explore) lists flagged artists on the platform
    only: staff featuring a removed artist again (or a placement bought before) shows
    nothing of theirs."""
    gone = ArtistFactory(artist_name="Vanished Harbour")
    FeaturedItemFactory(artist=gone, position=1)
    artist_remove(artist=gone, by=None, reason="Suspended by staff.")

    artists_feature(artist_ids=[gone.pk], featured=True)

    for name in ("home", "content:explore"):
        assert "Vanished" not in client.get(reverse(name)).text, name


def test_a_removed_artists_products_stop_selling_and_existing_carts_say_so(client):
    product = ProductFactory(name="Harbour vinyl")
    buyer = verified_user()
    client.force_login(buyer)
    add_to_cart(client, product)

    artist_remove(artist=product.artist, by=None, reason="Suspended by staff.")

    cart = client.get(reverse("shop:cart")).text
    assert "no longer on the platform" in cart
    refused = add_to_cart(client, product)
    assert refused.status_code in (200, 302)
    assert client.session["shop_cart"] == {str(product.pk): 1}
    placed = checkout(client, address={"name": "A", "line1": "1 St", "city": "X", "country": "gb"})
    assert placed.status_code == 400
    assert "no longer on the platform" in placed.text
    assert not buyer.orders.exists()


def test_orders_waiting_for_payment_with_a_removed_artists_products_are_cancelled():
    product = ProductFactory(stock_quantity=4)
    waiting = OrderFactory(status=OrderStatus.PENDING)
    OrderItemFactory(order=waiting, product=product, quantity=2)
    paid = OrderFactory(status=OrderStatus.PAID)
    OrderItemFactory(order=paid, product=product, quantity=1)
    other_artists = OrderFactory(status=OrderStatus.PENDING)
    OrderItemFactory(order=other_artists)

    artist_remove(artist=product.artist, by=None, reason="Suspended by staff.")

    product.refresh_from_db()
    statuses = {o.pk: o.status for o in Order.objects.all()}
    assert statuses == {
        waiting.pk: OrderStatus.CANCELLED,
        paid.pk: OrderStatus.PAID,
        other_artists.pk: OrderStatus.PENDING,
    }
    assert product.stock_quantity == 6


def test_nobody_can_join_a_removed_artists_community(client, django_capture_on_commit_callbacks):
    community = CommunityFactory()
    client.get(community.get_absolute_url())  # its page is cached with its artist
    with django_capture_on_commit_callbacks(execute=True):
        artist_remove(artist=community.artist, by=None, reason="Suspended by staff.")
    fan = verified_user()
    client.force_login(fan)

    assert client.get(community.get_absolute_url()).status_code == 410
    assert community.name not in client.get(reverse("communities:list")).text

    response = client.post(reverse("communities:subscribe", args=[community.pk]), follow=True)

    assert "no longer on the platform" in response.text
    assert not Payment.objects.filter(user=fan).exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_suspending_one_artist_at_once_refund_each_member_once():
    community = CommunityFactory(subscription_fee=Decimal("30.00"))
    subscription = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() + timedelta(days=15)
    )
    payment = PaymentFactory(
        for_subscription=True,
        subscription=subscription,
        amount=Decimal("30.00"),
        gateway="test",
        stripe_payment_id=None,
    )
    CommunitySubscription.objects.filter(pk=subscription.pk).update(payment=payment)
    barrier = threading.Barrier(2)
    outcomes = []

    def staff_click():
        try:
            barrier.wait()
            # Committed for real here, so the ending tasks queued after commit run (eagerly).
            outcomes.append(
                artist_remove(artist=community.artist, by=None, reason="Suspended by staff.")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=staff_click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    payment.refresh_from_db()
    assert sorted(outcomes) == [False, True]
    assert Decimal("14.99") <= payment.refunded_amount <= Decimal("15.00")
    assert StatusHistory.objects.filter(entity_id=community.artist_id).count() == 1
