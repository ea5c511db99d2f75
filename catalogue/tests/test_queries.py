"""The release and collection pages run as many queries with many tracks and buyers as
with few."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from catalogue.models import Track, TrackStatus
from catalogue.services import release_publish, wishlist_add
from catalogue.tests.factories import ReleaseFactory
from content.tests.factories import ReviewFactory
from shop.models import OrderStatus
from shop.tests.factories import OrderFactory, OrderItemFactory

pytestmark = pytest.mark.django_db


def _published(tracks: int):
    release = ReleaseFactory()
    stored = storages["private"].save("catalogue/q.mp3", ContentFile(b"ID3 audio"))
    Track.objects.bulk_create(
        Track(
            release=release,
            position=n,
            title=f"Track {n}",
            status=TrackStatus.READY,
            duration_seconds=200,
            lyrics="la la",
            stream_mp3=stored,
            preview_mp3=stored,
        )
        for n in range(1, tracks + 1)
    )
    return release_publish(release=release)


def _buy(user, release) -> None:
    order = OrderFactory(user=user, status=OrderStatus.PAID)
    OrderItemFactory(order=order, product=release.product, unit_price=release.price)


def _world(size: int):
    release = _published(tracks=size)
    others = [_published(tracks=1) for _ in range(size)]
    fan = UserFactory()
    for _ in range(size):
        buyer = UserFactory()
        _buy(buyer, release)
        ReviewFactory(user=buyer, content_id=str(release.pk), content_name=release.title)
        for other in others:
            _buy(buyer, other)
    for other in others:
        _buy(fan, other)
        wishlist_add(user=fan, release=other)
    return release, fan


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_release_page_queries_do_not_grow_with_tracks_buyers_and_reviews(client):
    counts = []
    for size in (2, 12):
        release, fan = _world(size)
        client.force_login(fan)
        page = client.get(release.get_absolute_url()).content.decode()
        assert page.count("<audio controls") == size
        assert "Fans who bought this also bought" in page
        assert f"from {size} reviews" in page
        counts.append(_count(client, release.get_absolute_url()))
    assert counts[0] == counts[1]


def test_the_collection_page_queries_do_not_grow_with_releases(client):
    counts = []
    for size in (2, 12):
        _release, fan = _world(size)
        client.force_login(fan)
        url = f"/collection/{fan.pk}/"
        assert client.get(url).content.decode().count('class="release-list"') == 2
        counts.append(_count(client, url))
    assert counts[0] == counts[1]
