"""The authorization matrix: every URL of the project, asked for by every kind of user.

The URL patterns come from the resolver, so a new view cannot be forgotten: a pattern
missing from EXPECTED (or an entry whose pattern is gone) fails
`test_every_url_pattern_has_declared_outcomes`. Each view is requested as each role
against objects owned by someone else (`buyer`, a member of the owner's community who
buys from the owner), and the answer must be the declared one. Protected objects carry
marker strings; no response to a role that may not see them contains them. A wrong
user's request changes no row, and guessed ids answer 404/403, never 500.

Not enumerated: `admin/` (Django's admin checks `is_staff` for every one of its views
itself, and musicplatform/tests/test_admin.py covers our admin pages) and allauth's own
`accounts/` patterns (login, signup, password reset and email management act only on the
signed-in user or on a secret token; their rate limits and answers are issue 10's web
security tests, not an ownership question). Our own `accounts` app is enumerated.
"""

import itertools
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory, UserPreferencesFactory, verified_user
from artists.crypto import encrypt_details
from artists.tests.factories import (
    ArtistFactory,
    ArtistPayoutMethodFactory,
    ArtistVerificationFactory,
)
from catalogue.models import Track, TrackStatus
from catalogue.services import release_publish
from catalogue.tests.factories import ReleaseFactory
from communities.models import ForumType, LiveEventStatus
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from content.models import PostAudience
from content.services import post_create
from content.tests.factories import CommentFactory, PostFactory, ReviewFactory, ShareLinkFactory
from content.tests.uploads import image_upload
from notifications.tests.factories import NotificationFactory
from payments.models import PaymentGateway, PaymentStatus, SavedPaymentMethod
from shop.models import OrderStatus, ShippingRate
from shop.services.downloads import download_links_issue
from shop.tests.factories import OrderFactory, OrderItemFactory, PaymentFactory, ProductFactory

SKIPPED_NAMESPACES = {"admin"}
SKIPPED_URLCONF_PREFIX = "allauth."

ROLES = ("anonymous", "fan", "member", "lapsed", "other_artist", "owner", "staff")
ANON, FAN, MEMBER, LAPSED, OTHER, OWNER, STAFF = ROLES


@dataclass(frozen=True)
class Outcome:
    status: int
    allowed: bool
    login: bool = False


OK = Outcome(200, allowed=True)
GO = Outcome(302, allowed=True)  # done, or sent to the next step
MOVED = Outcome(301, allowed=True)
LOGIN = Outcome(302, allowed=False, login=True)
PAYWALL = Outcome(403, allowed=False)
FORBIDDEN = Outcome(403, allowed=False)
NOT_FOUND = Outcome(404, allowed=False)
REFUSED = Outcome(302, allowed=False)  # sent back with an error message, nothing changed
INVALID = Outcome(400, allowed=False)


def every(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(ROLES, outcome)


def signed_in(outcome: Outcome, **others: Outcome) -> dict[str, Outcome]:
    return {**every(outcome), ANON: LOGIN, **others}


def owner_only(outcome: Outcome = OK, *, staff: Outcome = NOT_FOUND) -> dict[str, Outcome]:
    """Someone else's thing: it is not there for anyone but its owner (and maybe staff)."""
    return signed_in(NOT_FOUND, **{OWNER: outcome, STAFF: staff})


def buyer_only() -> dict[str, Outcome]:
    """The buyer's own thing: none of the roles is the buyer."""
    return signed_in(NOT_FOUND)


def members(
    outcome: Outcome = OK, *, anonymous: Outcome = PAYWALL, **others: Outcome
) -> dict[str, Outcome]:
    """Community content: members, the community's artist and staff; others meet the paywall."""
    return {
        ANON: anonymous,
        FAN: PAYWALL,
        MEMBER: outcome,
        LAPSED: PAYWALL,
        OTHER: PAYWALL,
        OWNER: outcome,
        STAFF: outcome,
        **others,
    }


ARTISTS_ONLY = signed_in(GO, **{OTHER: OK, OWNER: OK})  # others are sent to "become an artist"
COMMUNITY_MANAGERS = owner_only(OK, staff=OK)

# Per view: what each role gets. For POST-only views (POST_ONLY) it is the answer to a POST;
# for the others, to a GET.
EXPECTED: dict[str, dict[str, Outcome]] = {
    "home": every(OK),
    "healthz": every(OK),
    "healthz_live": every(OK),
    "healthz_ready": every(OK),
    "search": every(OK),
    # allauth's routes we do not use (accounts/leftover_urls.py)
    "leftover:confirm_email_by_key": every(NOT_FOUND),
    "leftover:login_by_code": every(NOT_FOUND),
    "leftover:google_token_login": every(NOT_FOUND),
    "leftover:old_social_prefix": every(NOT_FOUND),
    # a members-only picture without its signed link (communities/media.py)
    "communities:media": every(FORBIDDEN),
    # accounts
    "accounts:verify_email": every(INVALID),  # a wrong token: nothing to see, nothing to do
    "accounts:onboarding": signed_in(OK),
    "accounts:onboarding_artists": signed_in(OK),
    # The browser's time zone, for the signed-in user only; sent without one, refused.
    "accounts:time_zone_guess": signed_in(INVALID),
    "accounts:settings": signed_in(GO),
    "accounts:settings_profile": signed_in(OK),
    "accounts:settings_preferences": signed_in(OK),
    "accounts:spotify_import": signed_in(GO),
    "accounts:settings_export": signed_in(OK),
    "accounts:settings_delete": signed_in(OK),
    "accounts:profile": every(OK),
    # artists
    "artists:search": every(OK),
    "artists:become": signed_in(OK, **{OTHER: GO, OWNER: GO}),
    "artists:mine": signed_in(GO),
    "artists:verification_document": signed_in(NOT_FOUND, **{STAFF: OK}),
    "artists:detail_by_id": every(MOVED),
    "artists:detail": every(OK),
    "artists:edit": owner_only(staff=OK),
    "artists:verification": owner_only(staff=OK),
    "artists:payouts": owner_only(staff=OK),
    "artists:dashboard": owner_only(staff=OK),
    "artists:dashboard_csv": owner_only(staff=OK),
    # Staff may look at payout methods, but only the artist says where the money goes.
    "artists:payout_default": owner_only(GO, staff=FORBIDDEN),
    "artists:payout_delete": owner_only(GO, staff=FORBIDDEN),
    # ledger: earnings and statements (staff may look), Stripe Connect (only the artist)
    "ledger:earnings": owner_only(staff=OK),
    "ledger:statement_print": owner_only(staff=OK),
    "ledger:statement_csv": owner_only(staff=OK),
    "ledger:connect": owner_only(staff=OK),
    "ledger:connect_start": owner_only(GO, staff=FORBIDDEN),
    "ledger:stripe_webhook": every(INVALID),  # unsigned: refused whoever sends it
    # content
    "content:feed": signed_in(OK),
    "content:explore": every(OK),
    "content:artist_follow": signed_in(GO),
    "content:post_create": signed_in(FORBIDDEN, **{OTHER: OK, OWNER: OK}),
    # A members-only post: its readers get it whole, the others its teaser.
    "content:post_detail": every(OK),
    "content:post_teaser_picture": every(OK),
    # Its picture: for its readers only, and not there for anyone else.
    "content:post_media": members(
        OK, anonymous=NOT_FOUND, **dict.fromkeys((FAN, LAPSED, OTHER), NOT_FOUND)
    ),
    "content:post_edit": owner_only(),
    "content:post_delete": owner_only(),
    "content:post_comment": signed_in(GO),
    "content:share_create": signed_in(OK),
    "content:comment_replies": signed_in(OK),
    "content:comment_edit": buyer_only(),
    # The post's artist moderates the comments under it.
    "content:comment_delete": owner_only(),
    "content:like": signed_in(GO),
    "content:shared_post": every(OK),
    "content:review_create": signed_in(OK),
    "content:review_detail": every(OK),
    "content:review_edit": buyer_only(),
    "content:review_delete": buyer_only(),
    "content:review_comment": signed_in(GO),
    "content:reviewed_item": every(OK),
    "content:artist_reviews": every(OK),
    # communities
    "communities:list": every(OK),
    "communities:mine": signed_in(OK),
    "communities:create": ARTISTS_ONLY,
    "communities:detail": every(OK),
    "communities:edit": COMMUNITY_MANAGERS,
    "communities:dashboard": COMMUNITY_MANAGERS,
    "communities:subscribe": signed_in(GO),
    # One's own subscription; without one there is nothing to cancel or resume.
    "communities:cancel": signed_in(NOT_FOUND, **{MEMBER: GO, LAPSED: GO}),
    "communities:resume": signed_in(NOT_FOUND, **{MEMBER: GO, LAPSED: GO}),
    "communities:accept_price": signed_in(NOT_FOUND, **{MEMBER: GO, LAPSED: GO}),
    # tiers (the matrix's community is not one: every change is refused with a message)
    "communities:tiers": signed_in(NOT_FOUND, **{OTHER: GO, OWNER: GO}),
    "communities:tier_change": signed_in(REFUSED),
    "communities:tier_change_cancel": signed_in(NOT_FOUND, **{MEMBER: REFUSED, LAPSED: REFUSED}),
    "communities:leave": signed_in(NOT_FOUND, **{MEMBER: REFUSED, LAPSED: REFUSED}),
    "communities:forum_create": COMMUNITY_MANAGERS,
    "communities:forum": members(),
    "communities:forum_chat": members(),
    "communities:forum_search": members(anonymous=LOGIN),
    "communities:topic": members(),
    "communities:topic_vote": members(GO, anonymous=LOGIN),
    "communities:post_react": members(GO, anonymous=LOGIN),
    "communities:mention_suggestions": members(anonymous=LOGIN),
    # The buyer's forum post: only its author edits it; non-members meet the paywall first.
    "communities:post_edit": members(NOT_FOUND, anonymous=LOGIN),
    "communities:post_delete": members(GO, anonymous=LOGIN, **{MEMBER: REFUSED}),
    "communities:post_pin": members(GO, anonymous=LOGIN, **{MEMBER: REFUSED}),
    "communities:post_answer": members(GO, anonymous=LOGIN, **{MEMBER: REFUSED}),
    "communities:event_create": COMMUNITY_MANAGERS,
    "communities:event": members(),
    "communities:event_ics": members(),
    "communities:event_state": members(),
    "communities:event_status": owner_only(GO, staff=GO),
    "communities:event_messages": members(),
    "communities:question_upvote": members(GO, anonymous=LOGIN),
    "communities:question_answer": members(GO, anonymous=LOGIN, **{MEMBER: REFUSED}),
    # moderation (the roles moderator, muted and banned: communities/tests/test_moderation_authorization.py)
    # A forum post is flagged by those who can see it; to others it is not there.
    "communities:flag": signed_in(NOT_FOUND, **{MEMBER: OK, OWNER: OK, STAFF: OK}),
    "communities:moderation": COMMUNITY_MANAGERS,
    "communities:item_moderate": owner_only(GO, staff=GO),
    "communities:member_moderate": COMMUNITY_MANAGERS,
    "communities:moderator_name": owner_only(GO, staff=GO),
    "communities:moderator_remove": owner_only(GO, staff=GO),
    "communities:slow_mode": owner_only(GO, staff=GO),
    # shop
    "shop:list": every(OK),
    "shop:product": every(OK),
    "shop:manage": signed_in(OK),
    "shop:product_create": ARTISTS_ONLY,
    "shop:product_edit": owner_only(),
    "shop:featured_new": ARTISTS_ONLY,
    "shop:cart": every(OK),
    "shop:cart_add": every(GO),  # the cart is the session's own
    "shop:cart_update": every(GO),
    "shop:cart_remove": every(GO),
    "shop:checkout": signed_in(GO),  # an empty cart is sent back to the shop
    "shop:orders": signed_in(OK),
    "purchases": signed_in(OK),
    "shop:order": buyer_only(),
    "shop:order_pay": buyer_only(),
    "shop:order_cancel": buyer_only(),
    "shop:download_renew": buyer_only(),
    "shop:download": signed_in(FORBIDDEN),
    "shop:fulfilment": signed_in(OK),
    # The owner ships their own item of the buyer's order; to anyone else it is not there.
    "shop:fulfilment_item": owner_only(GO),
    "shop:shipping_rates": ARTISTS_ONLY,  # each artist sets their own rates
    "shop:shipping_rate_delete": owner_only(GO),
    # payments
    "payments:start": buyer_only(),
    "payments:detail": buyer_only(),
    "payments:test_checkout": buyer_only(),
    "payments:confirm": buyer_only(),
    "payments:test_confirm": buyer_only(),
    "payments:stripe_webhook": every(INVALID),  # unsigned: refused whoever sends it
    # catalogue (the owner's published release, included for members of their community)
    "catalogue:release": every(OK),
    "catalogue:buy": every(GO),  # the cart is the session's own
    "catalogue:download": signed_in(FORBIDDEN, **{MEMBER: OK, OWNER: OK}),
    "catalogue:wishlist": signed_in(GO),
    "catalogue:track_audio": every(OK),
    # The world's release sells no track alone: everyone is told so and sent back.
    "catalogue:track_buy": every(GO),
    "catalogue:track_download": signed_in(FORBIDDEN, **{MEMBER: OK, OWNER: OK}),
    "catalogue:embed": every(OK),
    "catalogue:purchase_download": signed_in(FORBIDDEN),  # the buyer's link
    "catalogue:collection_visibility": signed_in(GO),
    "catalogue:collection": every(FORBIDDEN),  # the buyer's collection is private
    "catalogue:manage": signed_in(OK),
    "catalogue:release_new": owner_only(),
    "catalogue:release_edit": owner_only(),
    # The matrix posts no audio file: the owner's upload is refused as incomplete.
    "catalogue:track_upload": owner_only(INVALID),
    "catalogue:publish": owner_only(GO),
    # The owner is told a ready track of a published release stays.
    "catalogue:track_delete": owner_only(GO),
    # billing: every signed-in payer has their own page; a card is its payer's only
    "billing:index": signed_in(OK),
    "billing:add": signed_in(OK),
    "billing:stripe_return": signed_in(GO),  # back to the billing page, nothing saved
    "billing:remove": buyer_only(),
    # notifications
    "notifications:list": signed_in(OK),
    "notifications:read_all": signed_in(GO),
    "notifications:email_preferences": signed_in(OK),
    "notifications:read": buyer_only(),
    "notifications:open": buyer_only(),
}

POST_ONLY = {
    "accounts:spotify_import",
    "accounts:time_zone_guess",
    "artists:payout_default",
    "artists:payout_delete",
    "content:artist_follow",
    "content:post_comment",
    "content:share_create",
    "content:like",
    "content:review_comment",
    "communities:subscribe",
    "communities:cancel",
    "communities:resume",
    "communities:accept_price",
    "communities:tiers",
    "communities:tier_change_cancel",
    "communities:leave",
    "communities:post_delete",
    "communities:post_pin",
    "communities:post_answer",
    "communities:topic_vote",
    "communities:post_react",
    "communities:event_status",
    "communities:question_upvote",
    "communities:question_answer",
    "communities:item_moderate",
    "communities:moderator_name",
    "communities:moderator_remove",
    "communities:slow_mode",
    "shop:cart_add",
    "shop:cart_update",
    "shop:cart_remove",
    "shop:order_pay",
    "shop:order_cancel",
    "shop:download_renew",
    "shop:fulfilment_item",
    "shop:shipping_rate_delete",
    "payments:start",
    "payments:stripe_webhook",
    "ledger:connect_start",
    "ledger:stripe_webhook",
    "catalogue:buy",
    "catalogue:track_buy",
    "catalogue:wishlist",
    "catalogue:collection_visibility",
    "catalogue:track_upload",
    "catalogue:publish",
    "catalogue:track_delete",
    "billing:remove",
    "notifications:read_all",
    "notifications:read",
}

# A plausible, valid submission for each view that takes one: a wrong user's POST must
# fail because of who sends it, not because the form was empty.
POST_DATA: dict[str, dict] = {
    "accounts:settings_profile": {"full_name": "Overwritten", "bio": "overwritten"},
    "artists:edit": {"artist_name": "Hijacked", "bio": "hijacked"},
    "artists:payouts": {
        "method_type": "paypal",
        "paypal_email": "thief@example.com",
        "email": "thief@example.com",
    },
    "content:post_edit": {"content_text": "hijacked"},
    "content:comment_edit": {"content": "hijacked"},
    "content:review_edit": {"title": "hijacked", "text_content": "hijacked", "rating": 1},
    "content:post_comment": {"content": "a comment"},
    "content:review_comment": {"content": "a comment"},
    "content:like": {"liked": "1"},
    "content:share_create": {"expires_in_days": "7"},
    "communities:edit": {
        "name": "Hijacked",
        "description": "hijacked",
        "subscription_fee": "0.50",
        "subscription_interval": "monthly",
    },
    "communities:forum_create": {"name": "Hijacked", "description": "x", "forum_type": "fan_art"},
    "communities:forum": {"title": "spam", "content": "spam"},
    "communities:post_edit": {"title": "hijacked", "content": "hijacked"},
    "communities:post_pin": {"pinned": "1"},
    "communities:post_answer": {"state": "answered"},
    "communities:topic": {"content": "spam"},
    "communities:topic_vote": {"voted": "1"},
    "communities:post_react": {"emoji": "👍"},
    "communities:event_status": {"status": LiveEventStatus.COMPLETED},
    "communities:event_messages": {"content": "spam"},
    "communities:flag": {"reason": "spam"},
    "communities:item_moderate": {"action": "hide", "reason": "hijacked"},
    "communities:member_moderate": {"do": "mute", "mute-hours": "24"},
    "communities:slow_mode": {"seconds": "60"},
    "shop:product_edit": {
        "name": "Hijacked",
        "description": "hijacked",
        "product_type": "merchandise",
        "delivery": "physical",
        "price": "1.00",
        "stock_quantity": "1",
        "is_active": "on",
    },
    "shop:cart_add": {"quantity": "1"},
    "shop:cart_update": {"quantity": "2"},
    "shop:fulfilment_item": {"status": "shipped", "carrier": "DHL", "tracking_number": "JD1"},
    "shop:shipping_rates": {"country": "GB", "amount": "4.00"},
    "payments:test_checkout": {"card_number": "4242424242424242"},
    "communities:accept_price": {"fee": "4.99", "interval": "monthly"},
    "catalogue:release_edit": {"title": "Hijacked", "release_type": "album", "price": "0"},
    "catalogue:track_upload": {"title": "Hijacked"},
    "billing:add": {"card_number": "4242424242424242"},
    "notifications:email_preferences": {"emailed_types": []},
}

# Tables a request may write whoever sends it: sessions (the test client's own).
UNWATCHED_TABLES = {"django_session"}


def url_patterns() -> dict[str, str]:
    """Every named pattern of the project: view name -> route, walking includes."""
    found: dict[str, str] = {}

    def walk(patterns, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                if pattern.namespace in SKIPPED_NAMESPACES or module.startswith(
                    SKIPPED_URLCONF_PREFIX
                ):
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed URL pattern {prefix}{pattern.pattern}"
                found[f"{namespace}{pattern.name}"] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


PATTERNS = url_patterns()


def test_every_url_pattern_has_declared_outcomes():
    assert sorted(set(PATTERNS) - set(EXPECTED)) == [], "views without declared outcomes"
    assert sorted(set(EXPECTED) - set(PATTERNS)) == [], "declared views that no longer exist"
    assert set(PATTERNS) >= POST_ONLY
    for name, row in EXPECTED.items():
        assert set(row) == set(ROLES), name


# The world --------------------------------------------------------------------------------


@dataclass
class Markers:
    """Strings put into protected objects, and the roles that may see each."""

    members_only: str
    buyer_order: str
    buyer_private: str
    payout: str
    verification: str

    def forbidden_to(self, role: str) -> list[str]:
        visible = {
            self.members_only: {MEMBER, OWNER, STAFF},
            self.buyer_order: {OWNER},  # the seller ships to the address
            self.buyer_private: set(),
            self.payout: set(),  # shown masked even to its owner
            self.verification: {STAFF},
        }
        return [marker for marker, roles in visible.items() if role not in roles]


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """Built once for the module in a transaction rolled back at its end; each test runs
    in a savepoint of its own inside it (the `db` fixture)."""
    # Who may act, not when: asking for the password again before payout changes is
    # musicplatform/tests/test_web_security.py's question.
    settings = override_settings(
        STRIPE_SECRET_KEY=None,
        STRIPE_WEBHOOK_SECRET="whsec_test_authorization",
        ACCOUNT_REAUTHENTICATION_REQUIRED=False,
    )
    with django_db_blocker.unblock(), settings, transaction.atomic():
        world = _build_world()
        # Signed in once for the module: the session rows live in the module's
        # transaction, and every request's own changes are rolled back.
        world["clients"] = {role: Client(raise_request_exception=False) for role in ROLES}
        for role, user in world["users"].items():
            world["clients"][role].force_login(user)
        yield world
        transaction.set_rollback(True)
    storages["private"].delete(world["document"])


@pytest.fixture
def world(module_world, db):
    return module_world


def _build_world() -> dict:
    markers = Markers(
        *(f"{kind}-{secrets.token_hex(8)}" for kind in ("mbr", "ord", "own", "pay", "ver"))
    )
    now = timezone.now()

    owner_artist = ArtistFactory(verified=True)
    other_artist = ArtistFactory()
    users = {
        FAN: verified_user(),
        MEMBER: verified_user(),
        LAPSED: verified_user(),
        OTHER: other_artist.user,
        OWNER: owner_artist.user,
        STAFF: UserFactory(staff=True),
    }
    buyer = verified_user()
    for role in (FAN, LAPSED):
        UserPreferencesFactory(user=users[role], favorite_artists=[owner_artist.pk])

    community = CommunityFactory(artist=owner_artist)
    CommunitySubscriptionFactory(community=community, user=users[MEMBER])
    CommunitySubscriptionFactory(community=community, user=buyer)
    CommunitySubscriptionFactory(
        community=community,
        user=users[LAPSED],
        end_date=now - timedelta(days=3),
        auto_renew=False,
    )
    suggestions = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    artist_forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    forum_post = ForumPostFactory(
        forum=suggestions, user=buyer, content=f"{markers.members_only} suggestion"
    )
    ForumPostFactory(forum=chat, user=buyer, title=None, content=f"{markers.members_only} chat")
    ForumPostFactory(
        forum=artist_forum, user=owner_artist.user, content=f"{markers.members_only} artist"
    )
    event = LiveEventFactory(community=community, status=LiveEventStatus.LIVE)
    question = LiveEventMessageFactory(
        event=event, user=buyer, content=f"{markers.members_only} question"
    )

    post = PostFactory(artist=owner_artist)
    members_post = post_create(
        artist=owner_artist,
        by=owner_artist.user,
        content_text=f"For members\n{markers.members_only} post",
        uploads=[image_upload()],
        audience=PostAudience.MEMBERS,
        communities=[community],
    )
    comment = CommentFactory(post=post, user=buyer)
    review = ReviewFactory(user=buyer, artist=owner_artist)
    share = ShareLinkFactory(post=post, created_by=buyer)

    merch = ProductFactory(artist=owner_artist)
    download = ProductFactory(artist=owner_artist, download=True)
    address = {"line1": f"{markers.buyer_order} Road", "city": "London", "country": "GB"}
    paid = OrderFactory(user=buyer, status=OrderStatus.PAID, shipping_address=address)
    merch_item = OrderItemFactory(order=paid, product=merch)
    digital_item = OrderItemFactory(order=paid, product=download)
    release = ReleaseFactory(artist=owner_artist, included_for_members=True, community=community)
    Track.objects.create(
        release=release,
        position=1,
        title="Opening",
        status=TrackStatus.READY,
        stream_mp3=storages["private"].save("catalogue/authz.mp3", ContentFile(b"ID3 audio")),
        preview_mp3=storages["private"].save("catalogue/authz-p.mp3", ContentFile(b"ID3 a")),
    )
    release_publish(release=release)
    release.refresh_from_db()
    release_item = OrderItemFactory(order=paid, product=release.product)
    download_links_issue(order=paid)
    digital_item.refresh_from_db()
    release_item.refresh_from_db()
    pending = OrderFactory(user=buyer, shipping_address=address)
    OrderItemFactory(order=pending, product=merch)
    payment = PaymentFactory(
        order=pending,
        gateway=PaymentGateway.TEST,
        payment_status=PaymentStatus.PENDING,
    )
    notification = NotificationFactory(user=buyer, message=f"{markers.buyer_private} for you")
    card = SavedPaymentMethod.objects.create(
        user=buyer, gateway=PaymentGateway.TEST, method_ref="testcard_buyer_4242", label="Visa"
    )

    payout = ArtistPayoutMethodFactory(
        artist=owner_artist,
        account_details=encrypt_details(
            {"iban": "DE89370400440532013000", "account_holder": f"{markers.payout} GbR"}
        ),
    )
    document = storages["private"].save(
        "verification/authz.pdf", ContentFile(f"%PDF-1.4 {markers.verification}".encode())
    )
    verification = ArtistVerificationFactory(
        artist=owner_artist, verification_document_urls=[document]
    )

    kwargs = {
        "accounts:verify_email": {
            "address_id": EmailAddress.objects.get(user=buyer).pk,
            "token": "not-the-emailed-token",
        },
        "accounts:profile": {"username": buyer.username},
        "artists:verification_document": {"verification_id": verification.pk, "index": 0},
        "artists:detail_by_id": {"artist_id": owner_artist.pk},
        "artists:detail": {"artist_id": owner_artist.pk, "slug": owner_artist.slug},
        "artists:edit": {"artist_id": owner_artist.pk},
        "artists:verification": {"artist_id": owner_artist.pk},
        "artists:payouts": {"artist_id": owner_artist.pk},
        "artists:dashboard": {"artist_id": owner_artist.pk},
        "artists:dashboard_csv": {"artist_id": owner_artist.pk},
        "artists:payout_default": {"artist_id": owner_artist.pk, "payout_id": payout.pk},
        "artists:payout_delete": {"artist_id": owner_artist.pk, "payout_id": payout.pk},
        "ledger:earnings": {"artist_id": owner_artist.pk},
        "ledger:statement_print": {"artist_id": owner_artist.pk},
        "ledger:statement_csv": {"artist_id": owner_artist.pk},
        "ledger:connect": {"artist_id": owner_artist.pk},
        "ledger:connect_start": {"artist_id": owner_artist.pk},
        "content:artist_follow": {"artist_id": owner_artist.pk},
        "content:post_detail": {"post_id": members_post.pk},
        "content:post_teaser_picture": {"post_id": members_post.pk},
        "content:post_media": {
            "post_id": members_post.pk,
            "name": members_post.media_urls[0].rsplit("/", 1)[1],
        },
        "content:post_edit": {"post_id": post.pk},
        "content:post_delete": {"post_id": post.pk},
        "content:post_comment": {"post_id": post.pk},
        "leftover:confirm_email_by_key": {"key": "MTI:1vQx7s:abcdef"},
        "communities:media": {"community_id": community.pk, "name": "0" * 32 + ".jpg"},
        "content:share_create": {"post_id": post.pk},
        "content:comment_replies": {"comment_id": comment.pk},
        "content:comment_edit": {"comment_id": comment.pk},
        "content:comment_delete": {"comment_id": comment.pk},
        "content:like": {"kind": "post", "target_id": post.pk},
        "content:shared_post": {"token": share.share_token},
        "content:review_detail": {"review_id": review.pk},
        "content:review_edit": {"review_id": review.pk},
        "content:review_delete": {"review_id": review.pk},
        "content:review_comment": {"review_id": review.pk},
        "content:reviewed_item": {
            "content_type": review.content_type,
            "content_id": review.content_id,
        },
        "content:artist_reviews": {"artist_id": owner_artist.pk},
        "shop:product": {"product_id": merch.pk},
        "shop:product_edit": {"product_id": merch.pk},
        "shop:cart_add": {"product_id": merch.pk},
        "shop:cart_update": {"product_id": merch.pk},
        "shop:cart_remove": {"product_id": merch.pk},
        "shop:order": {"order_id": paid.pk},
        "shop:order_pay": {"order_id": pending.pk},
        "shop:order_cancel": {"order_id": paid.pk},
        "shop:download_renew": {"order_id": paid.pk, "item_id": digital_item.pk},
        "shop:download": {"token": digital_item.download_url.rstrip("/").rsplit("/", 1)[-1]},
        "shop:fulfilment_item": {"item_id": merch_item.pk},
        "shop:shipping_rate_delete": {
            "rate_id": ShippingRate.objects.get(artist=owner_artist, country=None).pk
        },
        "payments:start": {"purpose": "order", "target_id": pending.pk},
        "payments:detail": {"payment_id": payment.pk},
        "payments:test_checkout": {"payment_id": payment.pk},
        "payments:confirm": {"payment_id": payment.pk},
        "payments:test_confirm": {"payment_id": payment.pk},
        "catalogue:release": {"release_id": release.pk},
        "catalogue:buy": {"release_id": release.pk},
        "catalogue:download": {"release_id": release.pk},
        "catalogue:wishlist": {"release_id": release.pk},
        "catalogue:track_audio": {"track_id": release.tracks.get().pk},
        "catalogue:track_buy": {"track_id": release.tracks.get().pk},
        "catalogue:track_download": {"track_id": release.tracks.get().pk},
        "catalogue:embed": {"release_id": release.pk},
        "catalogue:purchase_download": {
            "token": release_item.download_url.rstrip("/").rsplit("/", 1)[-1]
        },
        "catalogue:collection": {"user_id": buyer.pk},
        "catalogue:release_new": {"artist_id": owner_artist.pk},
        "catalogue:release_edit": {"release_id": release.pk},
        "catalogue:track_upload": {"release_id": release.pk},
        "catalogue:publish": {"release_id": release.pk},
        "catalogue:track_delete": {
            "release_id": release.pk,
            "track_id": release.tracks.get().pk,
        },
        "billing:remove": {"method_id": card.pk},
        "notifications:read": {"notification_id": notification.pk},
        "notifications:open": {"notification_id": notification.pk},
    }
    in_community = {"community_id": community.pk}
    for name, route in PATTERNS.items():
        if name.startswith("communities:") and "<uuid:community_id>" in route:
            kwargs.setdefault(name, dict(in_community))
    kwargs["communities:forum"].update(forum_id=suggestions.pk)
    kwargs["communities:forum_chat"].update(forum_id=chat.pk)
    for name in ("post_edit", "post_delete", "post_pin", "post_answer", "post_react"):
        kwargs[f"communities:{name}"].update(post_id=forum_post.pk)
    for name in ("topic", "topic_vote"):
        kwargs[f"communities:{name}"].update(topic_id=forum_post.pk)
    for name in ("event", "event_ics", "event_state", "event_status", "event_messages"):
        kwargs[f"communities:{name}"].update(event_id=event.pk)
    for name in ("question_upvote", "question_answer"):
        kwargs[f"communities:{name}"].update(event_id=event.pk, message_id=question.pk)
    kwargs["communities:flag"] = {"kind": "forum_post", "object_id": forum_post.pk}
    kwargs["communities:item_moderate"].update(kind="forum_post", object_id=forum_post.pk)
    for name in ("member_moderate", "moderator_remove"):
        kwargs[f"communities:{name}"].update(user_id=buyer.pk)
    kwargs["communities:slow_mode"].update(kind="forum", target_id=chat.pk)

    return {
        "users": users,
        "buyer": buyer,
        "kwargs": kwargs,
        "markers": markers,
        "document": document,
    }


def client_for(world, role: str) -> Client:
    return world["clients"][role]


def fingerprint() -> dict[str, tuple]:
    """Rows inserted, updated and deleted per table so far in this transaction
    (PostgreSQL's own counters): any write at all moves them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables"
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def changed_tables(before: dict[str, tuple]) -> list[str]:
    after = fingerprint()
    return sorted(
        table
        for table, counts in after.items()
        if counts != before.get(table, (0, 0, 0)) and table not in UNWATCHED_TABLES
    )


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def request_undone(client: Client, method: str, url: str, data=None):
    """One request in a transaction that is then rolled back: each request meets the
    same world. The cache is emptied afterwards so nothing cached inside survives."""
    with transaction.atomic():
        before = fingerprint()
        response = getattr(client, method)(url, data or {})
        changed = changed_tables(before)
        text = body(response)
        transaction.set_rollback(True)
    cache.clear()
    return response, text, changed


def check(failures: list, role: str, what: str, response, text: str, expected: Outcome, world):
    status = response.status_code
    if status != expected.status:
        failures.append(f"{role}: {what} answered {status}, expected {expected.status}")
    elif expected.login and not response["Location"].startswith(reverse("account_login")):
        failures.append(f"{role}: {what} redirected to {response['Location']}, not to login")
    leaked = [marker for marker in world["markers"].forbidden_to(role) if marker in text]
    if leaked:
        failures.append(f"{role}: {what} shows protected content {leaked}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_role_gets_the_declared_answer_and_nothing_more(world, name):
    url = reverse(name, kwargs=world["kwargs"].get(name))
    data = POST_DATA.get(name, {})
    failures: list[str] = []
    for role in ROLES:
        expected = EXPECTED[name][role]
        client = client_for(world, role)
        if name in POST_ONLY:
            response, _text, _ = request_undone(client, "get", url)
            if response.status_code != 405 and not (role == ANON and expected.login):
                failures.append(f"{role}: GET of a POST-only view answered {response.status_code}")
            response, text, changed = request_undone(client, "post", url, data)
            check(failures, role, f"POST {url}", response, text, expected, world)
        else:
            response, text, changed = request_undone(client, "get", url)
            check(failures, role, f"GET {url}", response, text, expected, world)
            if changed and not expected.allowed:
                failures.append(f"{role}: GET {url} changed {changed}")
            if not expected.allowed:
                response, text, changed = request_undone(client, "post", url, data)
                if response.status_code >= 500:
                    failures.append(f"{role}: POST {url} answered {response.status_code}")
                leaked = [m for m in world["markers"].forbidden_to(role) if m in text]
                if leaked:
                    failures.append(f"{role}: POST {url} shows protected content {leaked}")
        if changed and not expected.allowed:
            failures.append(f"{role}: POST {url} by a wrong user changed {changed}")
    assert failures == []


def test_protected_content_is_shown_to_those_who_may_see_it(world):
    """The markers are really on the pages, so their absence elsewhere means something."""
    markers = world["markers"]
    pages = {
        (MEMBER, "communities:topic", markers.members_only),
        (OWNER, "communities:forum_chat", markers.members_only),
        (STAFF, "communities:event", markers.members_only),
        (OWNER, "shop:fulfilment", markers.buyer_order),
        (STAFF, "artists:verification_document", markers.verification),
    }
    for role, name, marker in pages:
        url = reverse(name, kwargs=world["kwargs"].get(name))
        _response, text, _ = request_undone(client_for(world, role), "get", url)
        assert marker in text, (role, name)


def test_a_write_is_seen_and_undone(world):
    """The write detection works: the owner's removal of a payout method shows, and is
    rolled back for the next request."""
    name = "artists:payout_delete"
    url = reverse(name, kwargs=world["kwargs"][name])
    for _ in range(2):
        response, _text, changed = request_undone(client_for(world, OWNER), "post", url)
        assert response.status_code == 302
        assert "artist_payout_methods" in changed


# Ids that name nothing: 404 (or the paywall's 403), never a 500 ---------------------------

GUESSED_ID_OUTCOMES = {404, 403}
GUESSED_STRINGS = {"token", "username", "content_id", "key"}
# Named exceptions, with the reason their answer to an unknown id is not 404/403.
GUESSED_ID_EXCEPTIONS = {
    "accounts:verify_email": {400},  # an unknown link is answered "invalid link"
    "shop:cart_remove": {302},  # removing what is not in the cart leaves the cart as it is
    # a tier deleted after the member saw it is told so on the page they came from
    "communities:tier_change": {302},
}


def _guessable(key: str, value) -> bool:
    return isinstance(value, uuid.UUID | int) or key in GUESSED_STRINGS


def guessed(kwargs: dict, *, only_last: bool = False) -> dict:
    """The kwargs with their ids replaced by made-up ones (or only the innermost id, as
    when someone tries an id of another community under their own community's address)."""
    keys = [key for key, value in kwargs.items() if _guessable(key, value)]
    out = {}
    for key, value in kwargs.items():
        if only_last and key != keys[-1]:
            out[key] = value
        elif isinstance(value, uuid.UUID):
            out[key] = uuid.uuid4()
        elif isinstance(value, int):
            out[key] = secrets.randbelow(10**9) + 10**6
        elif key in GUESSED_STRINGS:
            out[key] = secrets.token_urlsafe(16)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(
    "name",
    sorted(name for name, route in PATTERNS.items() if "<" in route and name in EXPECTED),
)
def test_guessed_ids_are_not_found_never_an_error(world, name):
    kwargs = world["kwargs"][name]
    if not any(_guessable(key, value) for key, value in kwargs.items()):
        pytest.fail(f"{name} has no id to guess; teach guessed() its parameters")
    allowed = GUESSED_ID_EXCEPTIONS.get(name, GUESSED_ID_OUTCOMES)
    method = "post" if name in POST_ONLY else "get"
    failures = []
    several_ids = sum(_guessable(key, value) for key, value in kwargs.items()) > 1
    for role, only_last in itertools.product(ROLES, (False, True) if several_ids else (False,)):
        client = client_for(world, role)
        url = reverse(name, kwargs=guessed(kwargs, only_last=only_last))
        response, _text, changed = request_undone(client, method, url, POST_DATA.get(name))
        login = response.status_code == 302 and response["Location"].startswith(
            reverse("account_login")
        )
        if response.status_code not in allowed and not (role == ANON and login):
            failures.append(f"{role}: {method.upper()} {url} answered {response.status_code}")
        if changed:
            failures.append(f"{role}: {method.upper()} {url} changed {changed}")
    assert failures == []
