"""Featured placements: bought through the payment service, live only when paid."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from payments.models import PaymentStatus
from shop.models import FeaturedItem, FeaturedItemType
from shop.selectors import featured_items_live
from shop.services import ShopError
from shop.services.featured import featured_placement_build, featured_placement_pay
from shop.tests.factories import FeaturedItemFactory, PaymentFactory, ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def dates(start_in_days=0, days=3):
    start = timezone.localdate() + timedelta(days=start_in_days)
    return {
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days - 1)).isoformat(),
    }


def test_an_artist_buys_a_placement_that_goes_live_once_paid(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(
        reverse("shop:featured_new"), {"target": f"artist:{artist.pk}", **dates(days=3)}
    )

    item = FeaturedItem.objects.get()
    assert item.payment is not None and item.payment.amount > 0
    assert response.url == reverse("payments:test_checkout", args=[item.payment_id])
    assert item not in featured_items_live()

    client.post(response.url, {"card_number": "4242 4242 4242 4242"})

    item.refresh_from_db()
    assert item.payment.payment_status == PaymentStatus.COMPLETED
    assert list(featured_items_live()) == [item]


def test_a_product_placement_in_the_future_is_not_live_yet(client):
    product = ProductFactory()
    client.force_login(product.artist.user)

    response = client.post(
        reverse("shop:featured_new"), {"target": f"product:{product.pk}", **dates(start_in_days=2)}
    )
    client.post(response.url, {"card_number": "4242 4242 4242 4242"})

    item = FeaturedItem.objects.get()
    assert item.item_type == FeaturedItemType.PRODUCT
    assert not featured_items_live().exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (dates(start_in_days=-2), "cannot start in the past"),
        ({**dates(), "end_date": "2000-01-01"}, "cannot be before"),
        ({"start_date": "soon", "end_date": "later"}, "Enter a valid date"),
    ],
)
def test_bad_dates_are_refused(client, data, message):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(reverse("shop:featured_new"), {"target": f"artist:{artist.pk}", **data})

    assert response.status_code == 400
    assert message in response.text
    assert not FeaturedItem.objects.exists()


def test_someone_elses_profile_or_product_cannot_be_featured(client):
    artist = ArtistFactory()
    client.force_login(artist.user)

    response = client.post(
        reverse("shop:featured_new"), {"target": f"artist:{ArtistFactory().pk}", **dates()}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.text

    start = timezone.now()
    with pytest.raises(ShopError, match="your own"):
        featured_placement_build(
            user=artist.user,
            item_type=FeaturedItemType.PRODUCT,
            item_id=str(ProductFactory().pk),
            start_date=start,
            end_date=start + timedelta(days=1),
        )
    assert not FeaturedItem.objects.exists()


def featured_payment(status="completed"):
    return PaymentFactory(
        order=None, purpose="featured", user=UserFactory(), amount=2, payment_status=status
    )


def test_live_placements_are_curated_or_paid_and_inside_their_window():
    now = timezone.now()
    curated = FeaturedItemFactory(position=1)
    paid = FeaturedItemFactory(position=None, payment=featured_payment())
    FeaturedItemFactory(payment=featured_payment("pending"))
    FeaturedItemFactory(payment=featured_payment("failed"))
    FeaturedItemFactory(end_date=now - timedelta(days=1))

    assert list(featured_items_live()) == [curated, paid]


@pytest.mark.parametrize("count", [1, 10])
def test_the_live_selector_is_one_query(django_assert_num_queries, count):
    FeaturedItemFactory.create_batch(count)
    with django_assert_num_queries(1):
        assert len(list(featured_items_live())) == count


def test_a_placement_is_saved_only_together_with_its_payment():
    artist = ArtistFactory()
    start = timezone.now()
    item = featured_placement_build(
        user=artist.user,
        item_type=FeaturedItemType.ARTIST,
        item_id=str(artist.pk),
        start_date=start,
        end_date=start + timedelta(days=2),
    )
    assert not FeaturedItem.objects.exists()

    payment, _ = featured_placement_pay(
        user=artist.user, featured_item=item, site_url="http://testserver"
    )

    saved = FeaturedItem.objects.get()
    assert saved.payment_id == payment.pk
    assert payment.payment_status == PaymentStatus.PENDING
    assert not featured_items_live().exists()
