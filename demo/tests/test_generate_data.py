"""`manage.py generate_data` at a tiny scale: related rows that satisfy every constraint."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q

from accounts.models import User, UserPreferences
from communities.models import Community, CommunityMemberCount, CommunitySubscription, Forum
from content.models import Comment, Like, Post, Review
from demo.management.commands.generate_data import GENERATED_PASSWORD, Counts
from notifications.models import Notification
from payments.models import Payment, PaymentPurpose
from shop.models import Order, OrderItem, Product
from shop.tests.helpers import form_problems

SCALE = 0.001

# Each batch commits, so deferred foreign keys and every check are really enforced here.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def generated():
    call_command("generate_data", scale=SCALE, batch_size=700, stdout=StringIO())
    return Counts.at(SCALE)


def test_counts_follow_the_scale(generated):
    c = generated
    assert (c.users, c.artists, c.communities, c.posts, c.comments, c.likes) == (
        10,
        1,
        2,
        200,
        1_000,
        3_000,
    )
    assert User.objects.count() == c.users
    assert UserPreferences.objects.count() == c.users
    assert Community.objects.count() == c.communities
    assert Forum.objects.count() == 4 * c.communities
    assert CommunitySubscription.objects.count() == c.subscriptions
    assert Post.objects.count() == c.posts
    assert Comment.objects.count() == c.comments
    assert Like.objects.count() == c.likes
    assert Review.objects.count() == c.reviews
    assert Product.objects.count() == c.products
    assert Order.objects.count() == c.orders
    assert Notification.objects.count() == c.notifications
    # One payment per order and per subscription, each for what its purpose says.
    assert Payment.objects.filter(purpose=PaymentPurpose.ORDER).count() == c.orders
    assert Payment.objects.filter(purpose=PaymentPurpose.SUBSCRIPTION).count() == c.subscriptions


def test_rows_are_related_as_the_pages_expect(generated):
    assert not UserPreferences.objects.filter(favorite_artists=[]).exists()
    # The post page with 200 comments that the benchmark opens.
    assert Post.objects.annotate(n=Count("comments")).filter(n__gte=200).exists()
    assert Comment.objects.filter(parent_comment__isnull=False, post__isnull=False).exists()
    assert Comment.objects.filter(review__isnull=False).exists()
    with connection.cursor() as cursor:
        # Order totals are the sum of their lines.
        cursor.execute(
            "SELECT count(*) FROM orders o WHERE total_amount <> "
            "(SELECT sum(subtotal) FROM order_items i WHERE i.order_id = o.order_id)"
        )
        assert cursor.fetchone()[0] == 0
        # A reply sits on its parent's post.
        cursor.execute(
            "SELECT count(*) FROM comments c JOIN comments p "
            "ON p.comment_id = c.parent_comment_id WHERE c.post_id IS DISTINCT FROM p.post_id"
        )
        assert cursor.fetchone()[0] == 0
    # The like counters, kept by triggers through the batched inserts, match the likes.
    for model in (Post, Comment, Review):
        counted = Count("likes", distinct=True)
        assert not model.objects.annotate(n=counted).exclude(likes_count=F("n")).exists()
    assert Post.objects.filter(likes_count__gt=0).exists()
    # So do the comment counters with the live comments.
    for model in (Post, Review):
        live = Count("comments", filter=Q(comments__deleted_at__isnull=True), distinct=True)
        assert not model.objects.annotate(n=live).exclude(comments_count=F("n")).exists()
    assert Post.objects.filter(comments_count__gt=0).exists()
    # The member counts that rank communities are refreshed with the data.
    assert CommunityMemberCount.objects.filter(member_count__gt=0).exists()


def test_every_generated_product_obeys_the_rules_of_the_product_form(generated):
    """Digital products have a file the form accepts, physical ones stock and shipping
    rates (issue 17, item 9); their items are in fulfilment, digital items are not."""
    products = list(Product.objects.select_related("artist"))
    assert [(p.name, problems) for p in products if (problems := form_problems(p))] == []
    assert {p.delivery for p in products} == {"physical", "digital"}
    assert not OrderItem.objects.filter(product__delivery="digital", status__isnull=False).exists()
    assert not OrderItem.objects.filter(product__delivery="physical", status__isnull=True).exists()


def test_a_generated_fan_signs_in_and_sees_a_feed(generated, client):
    fan = User.objects.filter(is_artist=False).order_by("username").first()
    assert client.login(username=fan.username, password=GENERATED_PASSWORD)
    response = client.get("/feed/")
    assert response.status_code == 200
    assert response.context["page"].items
    post = next(i.item for i in response.context["page"].items if i.kind == "post")
    assert post.content_text in response.content.decode()


def test_a_second_run_needs_append_and_if_empty_leaves_the_data_alone(generated):
    call_command("generate_data", scale=SCALE, if_empty=True, stdout=StringIO())
    assert User.objects.count() == generated.users
    with pytest.raises(CommandError, match="--append"):
        call_command("generate_data", scale=SCALE, stdout=StringIO())
    call_command("generate_data", scale=SCALE, append=True, stdout=StringIO())
    assert User.objects.filter(username__startswith="gen2_").count() == generated.users
