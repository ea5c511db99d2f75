import re
from io import BytesIO, StringIO
from time import monotonic

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import User
from artists.models import Artist
from communities.models import Community, CommunitySubscription, ForumType
from content.models import MediaType, Post, Review
from payments.models import PaymentStatus
from shop.models import OrderStatus, Product
from shop.tests.helpers import form_problems

pytestmark = pytest.mark.django_db

# "  fan:    fan@example.com / demo-fan-password   (username demo_fan)"
LOGIN_LINE = re.compile(r"^  (\w+): +(\S+@\S+) / (\S+) +\(username (\w+)", re.MULTILINE)


def seed(*args: str) -> str:
    output = StringIO()
    call_command("seed_demo", *args, stdout=output)
    return output.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def printed_logins(output: str) -> list[tuple[str, str, str, str]]:
    """(role, email, password, username) for each login the command printed."""
    return LOGIN_LINE.findall(output)


def test_a_second_run_creates_nothing():
    seed()
    after_first_run = row_counts()

    seed()

    assert row_counts() == after_first_run
    assert after_first_run["accounts.User"] > 0


def test_it_prints_the_three_demo_logins():
    logins = printed_logins(seed())

    assert logins == [
        ("fan", "fan@example.com", "demo-fan-password", "demo_fan"),
        ("artist", "artist@example.com", "demo-artist-password", "demo_artist"),
        ("staff", "staff@example.com", "demo-staff-password", "demo_staff"),
    ]


def test_the_printed_logins_authenticate():
    for _role, _email, password, username in printed_logins(seed()):
        assert authenticate(username=username, password=password) is not None, username


def test_the_printed_logins_sign_in_by_email_despite_mandatory_verification(client):
    for _role, email, password, username in printed_logins(seed()):
        response = client.post(reverse("account_login"), {"login": email, "password": password})

        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        client.logout()


def test_every_demo_user_is_verified_and_staff_is_a_superuser():
    seed()

    for user in User.objects.all():
        assert user.is_verified, user
        assert EmailAddress.objects.filter(
            user=user, email=user.email, verified=True, primary=True
        ).exists(), user
    staff = User.objects.get(username="demo_staff")
    assert staff.is_staff
    assert staff.is_superuser


def test_if_empty_does_nothing_when_a_user_exists():
    User.objects.create_user(
        username="someone", email="someone@example.com", full_name="Someone", password="x"
    )
    before = row_counts()

    seed("--if-empty")

    assert row_counts() == before


def test_if_empty_seeds_a_database_without_users():
    seed("--if-empty")

    assert User.objects.filter(username="demo_fan").exists()


def test_each_community_has_the_four_forum_types():
    seed()

    assert Community.objects.exists()
    for community in Community.objects.all():
        forum_types = community.forums.values_list("forum_type", flat=True)
        assert sorted(forum_types) == sorted(ForumType.values), community


def test_the_fan_has_an_active_subscription_paid_by_a_completed_payment():
    seed()

    subscriptions = CommunitySubscription.objects.filter(
        user__username="demo_fan", is_active=True, end_date__gt=timezone.now()
    )
    assert subscriptions.exists()
    for subscription in subscriptions:
        payment = subscription.payment
        assert payment.payment_status == PaymentStatus.COMPLETED
        assert payment.subscription == subscription
        assert payment.amount == subscription.community.subscription_fee


def test_the_fans_paid_order_adds_up():
    seed()

    order = User.objects.get(username="demo_fan").orders.get()
    items = list(order.items.all())
    assert order.status == OrderStatus.PAID
    assert items
    for item in items:
        assert item.subtotal == item.unit_price * item.quantity
    assert order.total_amount == sum((item.subtotal for item in items), order.shipping_amount)
    assert order.payments.get().payment_status == PaymentStatus.COMPLETED


def test_every_demo_product_obeys_the_rules_of_the_product_form():
    """Every digital product has a file the form accepts; every physical one a stock, and
    its artist shipping rates; an exclusive release is one of each (issue 17, item 9).
    The catalogue's releases are sold by digital products the catalogue writes, with no
    file of their own (their links open the release's tracks), so the form is not theirs."""
    seed()

    products = list(Product.objects.select_related("artist").filter(release__isnull=True))
    assert [(p.name, problems) for p in products if (problems := form_problems(p))] == []
    release_products = Product.objects.filter(release__isnull=False)
    assert release_products.exists()
    assert set(release_products.values_list("delivery", flat=True)) == {"digital"}
    assert {(p.product_type, p.delivery) for p in products} >= {
        ("exclusive_release", "physical"),
        ("exclusive_release", "digital"),
    }


def test_every_artist_user_product_and_artists_first_post_has_a_picture_drawn_in_seconds():
    started = monotonic()
    seed()

    assert monotonic() - started < 10
    artists = list(Artist.objects.all())
    urls = [artist.profile_picture_url for artist in artists]
    urls += [artist.cover_photo_url for artist in artists]
    urls += [user.profile_picture_url for user in User.objects.all()]
    urls += [product.image_urls[0] for product in Product.objects.all()]
    assert all(urls)
    images = Post.objects.filter(media_type=MediaType.IMAGE)
    assert {post.artist_id for post in images} == {artist.pk for artist in artists}
    cover = Image.open(
        BytesIO(default_storage.open(artists[0].cover_photo_url.removeprefix("/media/")).read())
    )
    assert cover.size == (1200, 400)
    assert (
        len(cover.getcolors(maxcolors=1_000_000)) > 100
    )  # a gradient with shapes, not a flat colour


def test_the_demo_posts_and_reviews_are_read_as_english_by_search():
    seed()

    assert Post.objects.exists() and not Post.objects.exclude(search_config="english").exists()
    assert not Review.objects.exclude(search_config="english").exists()
