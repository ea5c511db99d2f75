"""Signed, expiring download links: issued on payment, checked on every download."""

import uuid
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.models import PaymentPurpose
from payments.services import payment_start, payment_test_checkout_submit
from shop.models import OrderItem
from shop.services import ShopError
from shop.services.downloads import SALT, download_link_renew
from shop.services.orders import order_place
from shop.tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_gateway")]


def bought_download(*, pay=True) -> OrderItem:
    user, product = UserFactory(), ProductFactory(download=True)
    order, _ = order_place(
        user=user,
        quantities={str(product.pk): 1},
        contact_email=user.email,
        contact_phone="",
        shipping_address=None,
        checkout_key=uuid.uuid4(),
        expected_total=None,
    )
    if pay:
        payment, _ = payment_start(
            user=user,
            purpose=PaymentPurpose.ORDER,
            target_id=order.pk,
            site_url="http://testserver",
        )
        payment_test_checkout_submit(payment=payment, card_number="4242424242424242")
    return OrderItem.objects.select_related("order__user", "product").get(order=order)


def test_paying_issues_a_link_valid_for_seven_days_that_streams_the_file(client):
    item = bought_download()

    assert item.download_url.startswith("/shop/downloads/")
    left = item.download_expires_at - timezone.now()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert item.download_links_issued == 1

    client.force_login(item.order.user)
    response = client.get(item.download_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 songs"
    assert "attachment" in response["Content-Disposition"]


def test_merchandise_gets_no_link_and_an_unpaid_order_has_none():
    assert bought_download(pay=False).download_url is None


def test_a_tampered_signature_is_refused(client):
    item = bought_download()
    client.force_login(item.order.user)

    response = client.get(item.download_url[:-3] + "abc/")

    assert response.status_code == 403
    assert "not valid" in response.text


def test_a_link_forged_for_another_item_is_refused(client):
    item, other = bought_download(), bought_download()
    client.force_login(item.order.user)
    payload = {"item": str(other.pk), "exp": int(other.download_expires_at.timestamp())}
    forged = signing.dumps(payload, salt="not-the-salt")

    response = client.get(reverse("shop:download", args=[forged]))

    assert response.status_code == 403


def test_someone_elses_link_is_refused(client):
    item = bought_download()
    client.force_login(UserFactory())

    response = client.get(item.download_url)

    assert response.status_code == 403
    assert "not valid" in response.text


def test_signed_out_visitors_are_sent_to_log_in(client):
    item = bought_download()

    response = client.get(item.download_url)

    assert response.status_code == 302 and "login" in response.url


def test_an_expired_link_is_refused_and_a_fresh_one_can_be_asked_for(client):
    item = bought_download()
    client.force_login(item.order.user)
    past = timezone.now() - timedelta(minutes=1)
    token = signing.dumps({"item": str(item.pk), "exp": int(past.timestamp())}, salt=SALT)
    OrderItem.objects.filter(pk=item.pk).update(
        download_url=reverse("shop:download", args=[token]), download_expires_at=past
    )

    response = client.get(reverse("shop:download", args=[token]))
    assert response.status_code == 403
    assert "expired" in response.text

    page = client.get(reverse("shop:order", args=[item.order_id]))
    assert "Get a fresh link" in page.text
    client.post(reverse("shop:download_renew", args=[item.order_id, item.pk]))
    fresh = OrderItem.objects.get(pk=item.pk)
    assert fresh.download_expires_at > timezone.now()
    assert fresh.download_links_issued == 2
    assert client.get(fresh.download_url).status_code == 200
    # The old link stays dead even though its signature is genuine.
    assert client.get(reverse("shop:download", args=[token])).status_code == 403


def _expire(item: OrderItem) -> None:
    OrderItem.objects.filter(pk=item.pk).update(download_expires_at=timezone.now())


def _an_hour_passes() -> None:
    """The re-issue windows, kept in PostgreSQL's rate-limit table, run out."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE rate_limits SET expires = now() - interval '1 second'")


def test_a_live_link_is_kept():
    item = bought_download()

    assert download_link_renew(item=item, user=item.order.user).download_url == item.download_url
    assert OrderItem.objects.get(pk=item.pk).download_links_issued == 1


def test_links_reissue_without_a_lifetime_cap_but_at_most_a_few_an_hour(settings):
    # Before, the fifth link of a purchase's life was refused for good: the buyer lost it.
    settings.SHOP_DOWNLOAD_LINKS_PER_HOUR = 2
    item, other = bought_download(), bought_download()
    user = item.order.user

    for _hour in range(4):
        for _ in range(2):
            _expire(item)
            download_link_renew(item=item, user=user)
        _expire(item)
        with pytest.raises(ShopError, match="at most 2 new download links an hour"):
            download_link_renew(item=item, user=user)
        _an_hour_passes()

    assert OrderItem.objects.get(pk=item.pk).download_links_issued == 9
    # The limit is per item: another purchase is not held back by this one.
    _expire(other)
    download_link_renew(item=other, user=other.order.user)


def test_only_the_buyer_can_renew_and_only_when_paid():
    item = bought_download()
    with pytest.raises(ShopError, match="not yours"):
        download_link_renew(item=item, user=UserFactory())
    unpaid = bought_download(pay=False)
    with pytest.raises(ShopError, match="Only paid"):
        download_link_renew(item=unpaid, user=unpaid.order.user)


def test_a_cancelled_order_no_longer_downloads(client):
    from shop.services.orders import order_cancel

    item = bought_download()
    order_cancel(order=item.order, by=item.order.user)
    client.force_login(item.order.user)

    response = client.get(item.download_url)

    assert response.status_code == 403
    assert "refunded" in response.text
