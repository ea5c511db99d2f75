"""Tracks sold on their own when the artist allows it: at the track price, through the
shop's cart, orders, download links and refund rules, like releases."""

import io
import zipfile
from decimal import Decimal

import mutagen
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalogue.forms import ReleaseForm
from catalogue.models import Release
from catalogue.services import CatalogueError, release_publish, release_update, track_cart_add
from catalogue.tests.factories import ReleaseFactory, processed_track
from shop.models import DownloadUse, Order, OrderStatus, Product, Refund
from shop.tests.helpers import checkout, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


@pytest.fixture
def release():
    release = ReleaseFactory(
        title="Night Drive",
        price=Decimal("7.00"),
        tracks_sold_separately=True,
        track_price=Decimal("1.50"),
    )
    processed_track(release, title="Opening")
    processed_track(release, title="Closing")
    return release_publish(release=release)


@pytest.fixture
def fan(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _track(release, title):
    return release.tracks.select_related("product").get(title=title)


def _buy_track(client, track) -> Order:
    response = client.post(reverse("catalogue:track_buy", args=[track.pk]))
    assert response.status_code == 302 and response.url == reverse("shop:cart")
    pay(client, checkout(client))
    return Order.objects.filter(items__product=track.product).latest("created_at")


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:300]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_publishing_makes_each_track_a_digital_product_at_the_track_price(release):
    products = Product.objects.filter(track__release=release).order_by("track__position")

    assert [(p.name, p.price, p.is_active) for p in products] == [
        ("Opening — " + release.artist.artist_name + " (Night Drive)", Decimal("1.50"), True),
        ("Closing — " + release.artist.artist_name + " (Night Drive)", Decimal("1.50"), True),
    ]


def test_a_fan_buys_one_track_at_its_price_and_downloads_it_alone(client, fan, release):
    opening = _track(release, "Opening")
    page = client.get(release.get_absolute_url()).text
    assert "Buy “Opening” for" in page

    order = _buy_track(client, opening)

    assert order.status == OrderStatus.PAID
    assert order.total_amount == Decimal("1.50")
    item = order.items.get()
    assert item.unit_price == Decimal("1.50")
    format_page = client.get(item.download_url, follow=True)
    assert "Download Opening" in format_page.text
    archive = _zip(client.get(format_page.redirect_chain[-1][0], {"format": "flac"}))
    tracks = [name for name in archive.namelist() if name.endswith(".flac")]
    assert [name.rsplit("/", 1)[-1] for name in tracks] == ["01 Opening.flac"]
    assert isinstance(mutagen.File(io.BytesIO(archive.read(tracks[0]))), mutagen.flac.FLAC)
    # the release itself is not theirs
    assert client.get(reverse("catalogue:download", args=[release.pk])).status_code == 403
    closing = _track(release, "Closing")
    assert client.get(reverse("catalogue:track_download", args=[closing.pk])).status_code == 403


def test_a_bought_track_is_in_the_collection_and_heard_in_full(client, fan, release):
    opening = _track(release, "Opening")
    _buy_track(client, opening)

    collection = client.get(reverse("catalogue:collection", args=[fan.pk])).text
    page = client.get(release.get_absolute_url())

    assert "Opening" in collection
    assert reverse("catalogue:track_download", args=[opening.pk]) in collection
    heard = {t.title: t.heard_in_full for t in page.context["page"].playable_tracks}
    assert heard == {"Opening": True, "Closing": False}
    assert "Buy “Closing” for" in page.text and "Buy “Opening” for" not in page.text


def test_buying_twice_before_paying_charges_once(client, fan, release):
    opening = _track(release, "Opening")
    client.post(reverse("catalogue:track_buy", args=[opening.pk]))
    client.post(reverse("catalogue:track_buy", args=[opening.pk]))
    client.post(reverse("catalogue:buy", args=[release.pk]))
    client.post(reverse("catalogue:buy", args=[release.pk]))

    pay(client, checkout(client))

    order = Order.objects.get(user=fan)
    assert order.total_amount == Decimal("8.50")
    assert sorted(order.items.values_list("quantity", "unit_price")) == [
        (1, Decimal("1.50")),
        (1, Decimal("7.00")),
    ]


def test_a_downloaded_track_is_not_refunded_by_the_cancel_button(client, fan, release):
    opening = _track(release, "Opening")
    order = _buy_track(client, opening)
    client.get(reverse("catalogue:track_download", args=[opening.pk]), {"format": "mp3"})
    assert DownloadUse.objects.filter(order_item__order=order).count() == 1

    client.post(reverse("shop:order_cancel", args=[order.pk]))

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert not Refund.objects.exists()


def test_a_track_cancelled_before_its_download_is_refunded_and_no_longer_owned(
    client, fan, release
):
    opening = _track(release, "Opening")
    order = _buy_track(client, opening)

    client.post(reverse("shop:order_cancel", args=[order.pk]))

    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert client.get(reverse("catalogue:track_download", args=[opening.pk])).status_code == 403
    assert "Opening" not in client.get(reverse("catalogue:collection", args=[fan.pk])).text


def test_tracks_are_not_sold_alone_unless_the_artist_allows_it(client, fan):
    release = ReleaseFactory(title="Whole only")
    processed_track(release, title="Only")
    release = release_publish(release=release)
    track = release.tracks.get()

    response = client.post(reverse("catalogue:track_buy", args=[track.pk]), follow=True)

    assert "This track is not sold on its own." in response.text
    assert not client.session.get("shop_cart")
    assert "Buy “Only”" not in client.get(release.get_absolute_url()).text


def test_unsetting_the_flag_stops_selling_tracks_but_buyers_keep_them(client, fan, release):
    opening = _track(release, "Opening")
    _buy_track(client, opening)
    form = ReleaseForm(
        {
            "release_type": "album",
            "title": "Night Drive",
            "release_date": "2026-01-15",
            "price": "7.00",
        },
        artist=release.artist,
    )
    assert form.is_valid(), form.errors

    release_update(release=release, details=form.details())

    assert not Product.objects.get(pk=opening.product_id).is_active
    response = client.post(reverse("catalogue:track_buy", args=[opening.pk]), follow=True)
    assert "This track is not sold on its own." in response.text
    download = client.get(reverse("catalogue:track_download", args=[opening.pk]))
    assert download.status_code == 200


@pytest.mark.parametrize(
    ("track_price", "message"),
    [
        ("", "Give the price of a track sold on its own."),
        ("0.10", "Track price:"),
    ],
)
def test_a_track_price_missing_or_no_gateway_can_charge_is_refused(
    client, release, track_price, message
):
    client.force_login(release.artist.user)
    data = {
        "release_type": "album",
        "title": "Night Drive",
        "release_date": "2026-01-15",
        "price": "7.00",
        "tracks_sold_separately": "on",
        "track_price": track_price,
    }

    response = client.post(reverse("catalogue:release_edit", args=[release.pk]), data)

    assert response.status_code == 400
    assert message in response.text
    assert Release.objects.get(pk=release.pk).track_price == Decimal("1.50")


def test_the_database_refuses_tracks_sold_without_a_price(release):
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.filter(pk=release.pk).update(track_price=None)


def test_a_track_whose_product_is_off_sale_is_refused(release):
    opening = _track(release, "Opening")
    Product.objects.filter(pk=opening.product_id).update(is_active=False)
    opening.refresh_from_db()

    with pytest.raises(CatalogueError, match="not sold on its own"):
        track_cart_add(session={}, track=opening)
