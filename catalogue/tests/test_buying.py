"""Buying a release at a price the fan names, and downloading it as a tagged zip."""

import io
import zipfile
from decimal import Decimal

import mutagen
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import image_upload
from artists.uploads import picture_resized
from catalogue.services import release_publish
from catalogue.tests.factories import ReleaseFactory, processed_track
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from shop.models import Order, OrderItem, OrderStatus
from shop.tests.helpers import checkout, pay

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


@pytest.fixture
def release():
    release = ReleaseFactory(name_your_price=True, price=Decimal("5.00"), title="Night Drive")
    release.cover.save(
        "cover.jpg", picture_resized(image_upload(), size=(300, 300), use="release_cover")
    )
    processed_track(release, title="Opening")
    processed_track(release, title="Closing")
    return release_publish(release=release)


def _zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_a_fan_pays_more_than_the_minimum_and_downloads_flac_and_mp3_zips(client, release):
    fan = UserFactory()
    client.force_login(fan)

    response = client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": "8.50"})
    assert response.status_code == 302
    cart = client.get(reverse("shop:cart")).content.decode()
    assert "$8.50" in cart
    pay(client, checkout(client))

    order = Order.objects.get(user=fan)
    assert order.status == OrderStatus.PAID
    assert order.total_amount == Decimal("8.50")
    item = OrderItem.objects.get(order=order)
    assert item.unit_price == Decimal("8.50") and item.product_id == release.product_id

    choose = client.get(item.download_url, follow=True)
    assert "Download zip" in choose.content.decode()
    format_url = choose.redirect_chain[-1][0]
    for audio_format, kind in (("flac", mutagen.flac.FLAC), ("mp3", mutagen.mp3.MP3)):
        archive = _zip(client.get(format_url, {"format": audio_format}))
        names = sorted(archive.namelist())
        assert "Night Drive/cover.jpg" in [name.split(" - ", 1)[-1] for name in names]
        tracks = [name for name in names if name.endswith(f".{audio_format}")]
        assert [name.rsplit("/", 1)[-1] for name in tracks] == [
            f"01 Opening.{audio_format}",
            f"02 Closing.{audio_format}",
        ]
        for number, name in enumerate(tracks, start=1):
            audio = mutagen.File(io.BytesIO(archive.read(name)))
            assert isinstance(audio, kind)
            assert audio.info.length > 0.5
            if audio_format == "flac":
                assert audio["album"] == ["Night Drive"]
                assert audio["tracknumber"] == [str(number)]
                assert audio.pictures[0].mime == "image/jpeg"
            else:
                assert str(audio.tags["TALB"]) == "Night Drive"
                assert str(audio.tags["TRCK"]) == f"{number}/2"
                assert audio.tags.getall("APIC")[0].mime == "image/jpeg"

    collection = client.get(reverse("catalogue:collection", args=[fan.pk])).content.decode()
    assert "Night Drive" in collection


def test_less_than_the_minimum_is_refused_and_nothing_goes_in_the_cart(client, release):
    client.force_login(UserFactory())

    response = client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": "4.99"})

    assert response.status_code == 400
    assert "Pay at least $5.00" in response.content.decode()
    assert client.session.get("shop_cart") in (None, {})


def test_a_chosen_price_below_a_raised_price_is_charged_the_new_price(client, release):
    fan = UserFactory()
    client.force_login(fan)
    client.post(reverse("catalogue:buy", args=[release.pk]), {"amount": "6.00"})
    release.product.__class__.objects.filter(pk=release.product_id).update(price=Decimal("7.00"))

    cart = client.get(reverse("shop:cart")).content.decode()

    assert "$7.00" in cart and "$6.00" not in cart


def test_the_download_of_a_release_nobody_paid_for_is_refused(client, release):
    client.force_login(UserFactory())

    response = client.get(reverse("catalogue:download", args=[release.pk]))

    assert response.status_code == 403


def test_members_of_the_community_download_an_included_release_without_buying(client):
    community = CommunityFactory()
    release = ReleaseFactory(
        artist=community.artist, included_for_members=True, community=community
    )
    processed_track(release, title="Members only")
    release_publish(release=release)
    member = CommunitySubscriptionFactory(community=community).user
    client.force_login(member)

    page = client.get(release.get_absolute_url()).content.decode()
    assert f'In your <a href="/collection/{member.pk}/">collection</a>' in page
    archive = _zip(client.get(reverse("catalogue:download", args=[release.pk]), {"format": "mp3"}))
    assert any(name.endswith("01 Members only.mp3") for name in archive.namelist())
    collection = client.get(reverse("catalogue:collection", args=[member.pk]))
    assert release.title in collection.content.decode()

    client.force_login(UserFactory())
    assert client.get(reverse("catalogue:download", args=[release.pk])).status_code == 403


def test_a_collection_is_private_until_its_owner_makes_it_public(client, release):
    fan = UserFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("catalogue:collection", args=[fan.pk])).status_code == 403

    client.force_login(fan)
    client.post(reverse("catalogue:collection_visibility"), {"is_public": "on"})
    client.post(reverse("catalogue:wishlist", args=[release.pk]))
    client.force_login(UserFactory())
    page = client.get(reverse("catalogue:collection", args=[fan.pk]))
    assert page.status_code == 200
    assert "Night Drive" in page.content.decode()  # on the wishlist


def test_fans_who_bought_this_also_bought(client, release):
    other = ReleaseFactory(title="Morning Walk", published_at=timezone.now())
    processed_track(other)
    release_publish(release=other)
    for _ in range(2):
        fan = UserFactory()
        client.force_login(fan)
        for bought in (release, other):
            client.post(reverse("catalogue:buy", args=[bought.pk]), {"amount": "9"})
        pay(client, checkout(client))

    client.force_login(UserFactory())
    page = client.get(release.get_absolute_url()).content.decode()

    assert "Fans who bought this also bought" in page
    assert "Morning Walk" in page
