"""Staff can open every project model in the admin, and money stays out of their hands."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Genre,
    Language,
    LoginFailure,
    RateLimitEntry,
    User,
    UserPreferences,
    UserVerification,
)
from artists.models import Artist, ArtistPayoutMethod, ArtistVerification
from communities.models import (
    Community,
    CommunityModerator,
    CommunityRestriction,
    CommunitySubscription,
    ContentFlag,
    Forum,
    ForumPost,
    ForumPostReaction,
    ForumPostVote,
    ForumTopicRead,
    LiveEvent,
    LiveEventMessage,
    LiveEventVote,
    ModerationAction,
    SubscriptionRenewal,
    SubscriptionTierChange,
)
from content.models import Comment, Like, Post, PostCommunity, Review, ShareLink
from musicplatform.audit.models import StatusHistory
from notifications.models import Notification, NotificationEmailPreference
from payments.models import Payment, PaymentEvent, SavedPaymentMethod
from shop.models import (
    DownloadUse,
    FeaturedItem,
    Order,
    OrderItem,
    Product,
    Refund,
    SavedAddress,
    ShippingRate,
)

pytestmark = pytest.mark.django_db

PROJECT_APPS = [
    "accounts",
    "artists",
    "content",
    "communities",
    "shop",
    "payments",
    "notifications",
]
# Unmanaged models are views over the tables (community_member_counts): derived data that
# is refreshed, never edited.
MODELS = [
    model
    for label in PROJECT_APPS
    for model in apps.get_app_config(label).get_models()
    if model._meta.managed
]
# Rows that only services may create: money, the audit trail, and secrets the admin
# cannot produce (hashed tokens, encrypted payout details).
NOT_ADDABLE = {
    UserVerification,
    LoginFailure,
    RateLimitEntry,
    ArtistPayoutMethod,
    Order,
    OrderItem,
    Payment,
    PaymentEvent,
    SavedPaymentMethod,
    StatusHistory,
    Refund,
    DownloadUse,
    SubscriptionTierChange,
    # Moderation goes through its services: their checks, and the log (issue 22).
    ContentFlag,
    ModerationAction,
    CommunityModerator,
    CommunityRestriction,
}
CIPHERTEXT = "gAAAAAB-not-really-fernet-ciphertext"


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def build_rows(i: int) -> dict:
    """One row of every project model, related to each other, with its own unique values."""
    now = timezone.now()
    user = User.objects.create_user(
        username=f"fan{i}", email=f"fan{i}@example.com", full_name=f"Fan {i}", password="pw"
    )
    artist = Artist.objects.create(user=user, artist_name=f"Artist {i}")
    post = Post.objects.create(artist=artist, content_text=f"Post {i}")
    review = Review.objects.create(
        user=user,
        content_type="song",
        content_id=f"song-{i}",
        artist=artist,
        content_name=f"Song {i}",
        title=f"Review {i}",
        text_content="Good.",
        rating=5,
    )
    comment = Comment.objects.create(post=post, user=user, content=f"Comment {i}")
    reply = Comment.objects.create(
        parent_comment=comment, review=review, user=user, content=f"Reply {i}"
    )
    community = Community.objects.create(
        artist=artist, name=f"Community {i}", subscription_fee=Decimal("4.99")
    )
    forum = Forum.objects.create(community=community, name=f"Forum {i}", forum_type="all_chat")
    product = Product.objects.create(
        artist=artist,
        name=f"Product {i}",
        product_type="merchandise",
        delivery="physical",
        price=Decimal("20.00"),
    )
    order = Order.objects.create(
        user=user, total_amount=Decimal("20.00"), contact_email=f"fan{i}@example.com"
    )
    order_payment = Payment.objects.create(
        user=user,
        purpose="order",
        order=order,
        amount=Decimal("20.00"),
        gateway="test",
        payment_method="Visa •••• 4242",
    )
    order_item = OrderItem.objects.create(
        order=order,
        product=product,
        quantity=1,
        unit_price=Decimal("20.00"),
        subtotal=Decimal("20.00"),
    )
    refund = Refund.objects.create(
        order=order,
        payment=order_payment,
        amount=Decimal("1.00"),
        reason="Scratched",
        requested_by=user,
        request_key=uuid.uuid4(),
    )
    subscription = CommunitySubscription.objects.create(
        user=user,
        community=community,
        end_date=now + timedelta(days=30),
        payment=order_payment,
        price=community.subscription_fee,
        billing_interval=community.subscription_interval,
    )
    event = LiveEvent.objects.create(
        community=community, title=f"Q&A {i}", event_type="qa", start_time=now
    )
    question = LiveEventMessage.objects.create(event=event, user=user, seq=1, content=f"Q {i}")
    topic = ForumPost.objects.create(forum=forum, user=user, title=f"Topic {i}")
    # A like of a comment and of a review too, so every Like column is filled somewhere.
    Like.objects.create(user=user, comment=comment)
    Like.objects.create(user=user, review=review)
    return {
        User: user,
        UserVerification: UserVerification.objects.create(
            user=user,
            verification_token=f"hash-{i}",
            verification_type="email",
            expires_at=now + timedelta(days=1),
        ),
        UserPreferences: UserPreferences.objects.create(user=user),
        Genre: Genre.objects.create(name=f"Genre {i}"),
        Language: Language.objects.create(name=f"Language {i}"),
        Artist: artist,
        ArtistVerification: ArtistVerification.objects.create(artist=artist, verified_by=user),
        ArtistPayoutMethod: ArtistPayoutMethod.objects.create(
            artist=artist, method_type="paypal", account_details={"ciphertext": CIPHERTEXT}
        ),
        Post: post,
        Review: review,
        Comment: reply,
        Like: Like.objects.create(user=user, post=post),
        ShareLink: ShareLink.objects.create(post=post, created_by=user, share_token=f"tok-{i}"),
        PostCommunity: PostCommunity.objects.create(post=post, community=community),
        Community: community,
        CommunitySubscription: subscription,
        Forum: forum,
        ForumPost: topic,
        ForumPostVote: ForumPostVote.objects.create(post=topic, user=user),
        ForumPostReaction: ForumPostReaction.objects.create(post=topic, user=user, emoji="🔥"),
        ForumTopicRead: ForumTopicRead.objects.create(topic=topic, user=user, last_read_at=now),
        LiveEvent: event,
        LiveEventMessage: question,
        LiveEventVote: LiveEventVote.objects.create(message=question, user=user),
        ContentFlag: ContentFlag.objects.create(
            kind="forum_post",
            object_id=uuid.uuid4(),
            artist=artist,
            community=community,
            flagged_by=user,
            author=user,
            reason="spam",
        ),
        ModerationAction: ModerationAction.objects.create(
            community=community, moderator=user, action="hide", target=f"post {i}"
        ),
        CommunityModerator: CommunityModerator.objects.create(community=community, user=user),
        CommunityRestriction: CommunityRestriction.objects.create(
            community=community, user=user, muted_until=now
        ),
        SubscriptionRenewal: SubscriptionRenewal.objects.create(
            subscription=subscription, period_end=subscription.end_date
        ),
        SubscriptionTierChange: SubscriptionTierChange.objects.create(
            subscription=subscription,
            to_community=community,
            kind="downgrade",
            amount=Decimal("0.00"),
            price=community.subscription_fee,
            billing_interval=community.subscription_interval,
        ),
        Product: product,
        Order: order,
        OrderItem: order_item,
        Refund: refund,
        DownloadUse: DownloadUse.objects.create(order_item=order_item, user=user, ip_hash="0" * 64),
        Payment: Payment.objects.create(
            user=user,
            purpose="subscription",
            subscription=subscription,
            amount=Decimal("4.99"),
            gateway="test",
        ),
        PaymentEvent: PaymentEvent.objects.create(
            gateway="test",
            event_id=f"evt_test_{i}",
            event_type="payment_intent.succeeded",
            payment=order_payment,
            payload={},
        ),
        ShippingRate: ShippingRate.objects.create(artist=artist, amount=Decimal("5.00")),
        SavedAddress: SavedAddress.objects.create(
            user=user,
            name=f"Fan {i}",
            line1="1 Road",
            city="London",
            postal_code="N1",
            country="GB",
        ),
        SavedPaymentMethod: SavedPaymentMethod.objects.create(
            user=user, gateway="test", method_ref=f"testcard_{i}", label=f"Test card {i}"
        ),
        FeaturedItem: FeaturedItem.objects.create(
            item_type="artist",
            item_id=str(artist.pk),
            end_date=now + timedelta(days=7),
            payment=order_payment,
        ),
        Notification: Notification.objects.create(
            user=user, title=f"Hello {i}", message="Welcome.", notification_type="post"
        ),
        NotificationEmailPreference: NotificationEmailPreference.objects.create(
            user=user, notification_type="post", send_email=True
        ),
        StatusHistory: StatusHistory.objects.create(
            entity_type="order",
            entity_id=order.pk,
            old_status="pending",
            new_status="paid",
            changed_by=user,
        ),
        LoginFailure: LoginFailure.objects.create(
            ip_address=f"192.0.2.{i + 1}", login_key="0" * 64
        ),
        RateLimitEntry: RateLimitEntry.objects.create(
            cache_key=f":1:allauth:rl:signup:ip:192.0.2.{i + 1}",
            value="gASVBAAAAAAAAABdlC4=",
            expires=timezone.now() + timedelta(minutes=1),
        ),
    }


@pytest.fixture
def superuser():
    return User.objects.create_superuser(
        username="staff", email="staff@example.com", full_name="Staff Member", password="pw"
    )


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def rows():
    return build_rows(0)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_every_project_model_is_registered(model):
    assert admin.site.is_registered(model)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_changelist_and_search_open(staff_client, rows, model):
    assert staff_client.get(admin_url(model, "changelist")).status_code == 200
    assert staff_client.get(admin_url(model, "changelist"), {"q": "x"}).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_change_page_opens(staff_client, rows, model):
    assert staff_client.get(admin_url(model, "change", rows[model].pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_add_page_opens_unless_only_services_create_the_model(staff_client, model):
    expected = 403 if model in NOT_ADDABLE else 200

    assert staff_client.get(admin_url(model, "add")).status_code == expected


def test_changelist_query_counts_do_not_grow_with_rows(staff_client):
    def query_counts() -> dict:
        counts = {}
        for model in MODELS:
            with CaptureQueriesContext(connection) as queries:
                assert staff_client.get(admin_url(model, "changelist")).status_code == 200
            counts[model._meta.label] = len(queries)
        return counts

    build_rows(0)
    query_counts()  # warm the session and per-process caches
    with_one_row = query_counts()
    for i in range(1, 5):
        build_rows(i)

    assert query_counts() == with_one_row


AUTOCOMPLETE_FIELDS = [
    (model, field)
    for model in MODELS
    if admin.site.is_registered(model)
    for field in admin.site.get_model_admin(model).autocomplete_fields
]


@pytest.mark.parametrize(
    ("model", "field"),
    AUTOCOMPLETE_FIELDS,
    ids=[f"{model._meta.label}.{field}" for model, field in AUTOCOMPLETE_FIELDS],
)
def test_autocomplete_finds_the_related_rows(staff_client, rows, model, field):
    target = rows[model._meta.get_field(field).related_model]
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field,
        "term": "",
    }

    response = staff_client.get(reverse("admin:autocomplete"), params)

    assert response.status_code == 200
    assert str(target.pk) in {result["id"] for result in response.json()["results"]}


def test_staff_add_a_user_with_a_hashed_password(staff_client):
    response = staff_client.post(
        admin_url(User, "add"),
        {
            "username": "newfan",
            "email": "newfan@example.com",
            "full_name": "New Fan",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(username="newfan")
    assert (user.email, user.full_name) == ("newfan@example.com", "New Fan")
    assert user.check_password("a-long-unusual-passphrase")


def test_user_add_rejects_a_username_differing_only_in_case(staff_client, rows):
    response = staff_client.post(
        admin_url(User, "add"),
        {
            "username": "FAN0",
            "email": "other@example.com",
            "full_name": "Other",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def test_staff_edit_a_user_and_soft_delete_it(staff_client, rows):
    user = rows[User]

    response = staff_client.post(
        admin_url(User, "change", user.pk),
        {
            "username": user.username,
            "email": user.email,
            "full_name": "Renamed Fan",
            "deleted_at_0": "2030-01-02",
            "deleted_at_1": "03:04:05",
            "preferences-TOTAL_FORMS": "1",
            "preferences-INITIAL_FORMS": "1",
            "preferences-0-id": str(rows[UserPreferences].pk),
            "preferences-0-user": str(user.pk),
            "preferences-0-spotify_id": "spotify-fan",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Renamed Fan"
    assert not user.is_active
    assert user.preferences.spotify_id == "spotify-fan"


def test_payment_change_page_shows_the_amount_but_refuses_changes(staff_client, rows):
    payment = rows[Payment]
    url = admin_url(Payment, "change", payment.pk)

    page = staff_client.get(url)
    response = staff_client.post(
        url, {"amount": "0.01", "payment_status": "refunded", "currency": "EUR"}
    )

    assert page.status_code == 200
    assert "4.99" in page.text
    assert response.status_code == 403
    payment.refresh_from_db()
    assert (payment.amount, payment.payment_status, payment.currency) == (
        Decimal("4.99"),
        "pending",
        "USD",
    )


def test_order_contact_can_be_corrected_but_not_its_total_or_status(staff_client, rows):
    order = rows[Order]
    url = admin_url(Order, "change", order.pk)

    page = staff_client.get(url)
    response = staff_client.post(
        url,
        {
            "contact_email": "corrected@example.com",
            "contact_phone": "",
            "shipping_address": "",
            "total_amount": "0.01",
            "status": "delivered",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "1",
            "payments-TOTAL_FORMS": "1",
            "payments-INITIAL_FORMS": "1",
            "refunds-TOTAL_FORMS": "1",
            "refunds-INITIAL_FORMS": "1",
        },
    )

    assert page.status_code == 200
    # The order's items and payments are listed with their amounts.
    assert "Product 0" in page.text
    assert "20.00" in page.text
    assert "Visa •••• 4242" in page.text
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.contact_email == "corrected@example.com"
    assert (order.total_amount, order.status) == (Decimal("20.00"), "pending")


def test_community_page_lists_its_forums(staff_client, rows):
    page = staff_client.get(admin_url(Community, "change", rows[Community].pk))

    assert "Forum 0" in page.text


@pytest.mark.parametrize("view", ["changelist", "change"])
def test_payout_details_never_reach_the_page(staff_client, rows, view):
    args = (rows[ArtistPayoutMethod].pk,) if view == "change" else ()

    page = staff_client.get(admin_url(ArtistPayoutMethod, view, *args))

    assert page.status_code == 200
    assert CIPHERTEXT not in page.text
    assert "account_details" not in page.text


@pytest.mark.parametrize("model", [Payment, StatusHistory, Order, OrderItem])
def test_money_and_audit_rows_cannot_be_deleted(staff_client, rows, model):
    response = staff_client.post(admin_url(model, "delete", rows[model].pk), {"post": "yes"})

    assert response.status_code == 403
    assert model.objects.filter(pk=rows[model].pk).exists()


def test_site_header():
    assert admin.site.site_header == "Music Platform administration"
