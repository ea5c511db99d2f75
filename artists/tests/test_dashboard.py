import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from artists import selectors
from artists.tests.factories import ArtistFactory
from communities.selectors import SUBSCRIPTION_ENTITY
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content.tests.factories import CommentFactory, LikeFactory, PostFactory
from musicplatform.audit.models import StatusHistory
from payments.models import PaymentStatus
from shop.models import OrderStatus
from shop.tests.factories import OrderFactory, OrderItemFactory, PaymentFactory, ProductFactory

pytestmark = pytest.mark.django_db

MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)
NOW = datetime(2026, 4, 15, tzinfo=UTC)


def join(community, when, *, paid=True):
    return CommunitySubscriptionFactory(
        community=community,
        start_date=when,
        end_date=when + timedelta(days=30) if paid else when,
        is_active=paid,
    )


def cancel(subscription, when):
    return StatusHistory.objects.create(
        entity_type=SUBSCRIPTION_ENTITY,
        entity_id=subscription.pk,
        old_status="active",
        new_status="cancelled",
        changed_at=when,
    )


def sell(product, when, *, quantity=1, status=OrderStatus.PAID):
    order = OrderFactory(status=status, created_at=when)
    return OrderItemFactory(order=order, product=product, quantity=quantity)


def row(table, first_cell):
    return next(row for row in table.rows if row[0] == first_cell)


def test_members_by_month_count_paid_joins_and_cancellations_once_each():
    artist = ArtistFactory()
    community = CommunityFactory(artist=artist)
    joined = [join(community, MARCH + timedelta(days=day)) for day in range(3)]
    join(community, MARCH, paid=False)  # a checkout never paid: not a member
    cancel(joined[0], MARCH + timedelta(days=5))
    cancel(joined[0], MARCH + timedelta(days=6))  # cancelled, resumed, cancelled again
    join(CommunityFactory(), MARCH)  # another artist's community
    join(community, datetime(2025, 4, 30, tzinfo=UTC))  # before the twelve months

    dashboard = selectors.artist_dashboard(artist=artist, now=NOW)

    assert dashboard.members.column(0)[0] == "2025-05"
    assert dashboard.members.column(0)[-1] == "2026-04"
    assert row(dashboard.members, "2026-03") == ("2026-03", 3, 1, 2)
    assert sum(dashboard.members.column(1)) == 3


def test_revenue_by_month_is_what_was_paid_and_not_refunded():
    artist = ArtistFactory()
    community = CommunityFactory(artist=artist, subscription_fee=Decimal("5.00"))
    for status, refunded in (
        (PaymentStatus.COMPLETED, "0.00"),
        (PaymentStatus.COMPLETED, "2.00"),  # partly refunded
        (PaymentStatus.REFUNDED, "5.00"),
        (PaymentStatus.FAILED, "0.00"),
    ):
        PaymentFactory(
            for_subscription=True,
            subscription=join(community, MARCH),
            payment_status=status,
            refunded_amount=Decimal(refunded),
            payment_date=MARCH,
        )
    shirt = ProductFactory(artist=artist, price=Decimal("20.00"))
    sell(shirt, MARCH, quantity=2)
    sell(shirt, MARCH, status=OrderStatus.DELIVERED)
    sell(shirt, MARCH, status=OrderStatus.CANCELLED)
    sell(shirt, MARCH, status=OrderStatus.PENDING)
    sell(ProductFactory(), MARCH)  # someone else's product

    dashboard = selectors.artist_dashboard(artist=artist, now=NOW)

    assert row(dashboard.revenue, "2026-03") == (
        "2026-03",
        Decimal("8.00"),
        Decimal("60.00"),
        Decimal("68.00"),
    )
    assert row(dashboard.revenue, "2026-02")[1:] == (Decimal("0.00"),) * 3
    assert dashboard.product_sales.rows == [(shirt.name, 3, Decimal("60.00"))]


def test_top_posts_rank_by_likes_and_comments_and_skip_deleted_ones():
    artist = ArtistFactory()
    PostFactory(artist=artist, content_text="Quiet one")
    loved = PostFactory(artist=artist, content_text="Tour dates are out")
    talked_about = PostFactory(artist=artist, content_text="Which song next?")
    gone = PostFactory(artist=artist, content_text="Deleted", deleted_at=timezone.now())
    for _ in range(3):
        LikeFactory(post=loved)
        LikeFactory(post=gone)
    CommentFactory(post=loved)
    for _ in range(2):
        CommentFactory(post=talked_about)
    CommentFactory(post=talked_about, deleted_at=timezone.now())
    LikeFactory(post=PostFactory())  # another artist's post

    dashboard = selectors.artist_dashboard(artist=artist)

    assert dashboard.top_posts.rows == [
        ("Tour dates are out", 3, 1),
        ("Which song next?", 0, 2),
        ("Quiet one", 0, 0),
    ]


# The page and its CSV


def fill(artist, size: int) -> None:
    community = CommunityFactory(artist=artist)
    now = timezone.now()
    for index in range(size):
        subscription = join(community, now - timedelta(days=40 * index))
        cancel(subscription, now)
        PaymentFactory(for_subscription=True, subscription=subscription, payment_date=now)
        post = PostFactory(artist=artist)
        LikeFactory(post=post)
        CommentFactory(post=post)
        sell(ProductFactory(artist=artist), now - timedelta(days=30 * index))


# user, artist; members joined, cancelled; revenue from subscriptions, sales; top posts;
# sales per product; the page adds the unread notifications' count of its header
@pytest.mark.parametrize(
    ("name", "queries"), [("artists:dashboard", 9), ("artists:dashboard_csv", 8)]
)
def test_the_dashboard_runs_the_same_queries_whatever_the_data_size(
    client, django_assert_num_queries, name, queries
):
    small, large = ArtistFactory(), ArtistFactory()
    fill(small, 1)
    fill(large, 8)

    for artist in (small, large):
        client.force_login(artist.user)
        with django_assert_num_queries(queries):
            response = client.get(reverse(name, args=[artist.pk]))
        assert response.status_code == 200


def test_the_page_shows_each_chart_with_its_numbers_as_a_table(client):
    artist = ArtistFactory()
    PostFactory(artist=artist, content_text="Tour dates are out")
    client.force_login(artist.user)

    response = client.get(reverse("artists:dashboard", args=[artist.pk]))

    page = response.text
    for title in ("Members by month", "Revenue by month", "Top posts"):
        assert "<title id=" in page and f">{title}</title>" in page
        assert f"<summary>{title} as a table</summary>" in page
    assert "Tour dates are out" in page
    assert "No sales yet" in page  # no chart of nothing, a next step instead
    assert reverse("artists:dashboard_csv", args=[artist.pk]) in page


def test_the_csv_holds_the_same_numbers_as_the_charts(client):
    artist = ArtistFactory()
    community = CommunityFactory(artist=artist)
    now = timezone.now()
    for _ in range(3):
        subscription = join(community, now)
    cancel(subscription, now)
    PostFactory(artist=artist, content_text='=HYPERLINK("http://evil.example")')
    client.force_login(artist.user)

    response = client.get(reverse("artists:dashboard_csv", args=[artist.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="dashboard-{artist.slug}.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    month = now.strftime("%Y-%m")
    assert lines[:2] == [["Members by month"], ["Month", "New", "Cancelled", "Net"]]
    assert [month, "3", "1", "2"] in lines
    sections = [line[0] for line in lines if len(line) == 1]
    assert sections == ["Members by month", "Revenue by month", "Top posts", "Sales per product"]
    # A spreadsheet must not run the post's text as a formula.
    assert ['\'=HYPERLINK("http://evil.example")', "0", "0"] in lines


@pytest.mark.parametrize("name", ["artists:dashboard", "artists:dashboard_csv"])
def test_another_artist_or_a_fan_cannot_see_the_numbers(client, name):
    artist = ArtistFactory()
    url = reverse(name, args=[artist.pk])

    assert client.get(url).status_code == 302  # to log in
    for someone in (
        ArtistFactory().user,
        CommunitySubscriptionFactory(community=CommunityFactory(artist=artist)).user,
    ):
        client.force_login(someone)
        assert client.get(url).status_code == 404
