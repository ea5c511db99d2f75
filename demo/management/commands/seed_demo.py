"""`manage.py seed_demo`: a small, connected data set to click through in development.

Every row is looked up by a natural key (a username, an artist's, community's or product's
name, a title) before it is created, so a second run adds nothing. `devservices serve`
runs it with `--if-empty`, which leaves a database that already has users alone.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Genre, Language, User, UserPreferences
from artists.models import (
    Artist,
    ArtistVerification,
    ArtistVerificationStatus,
    ThirdPartyPlatform,
    VerificationStatus,
)
from catalogue.demo import seed_releases
from catalogue.models import Release
from communities.models import (
    Community,
    CommunitySubscription,
    Forum,
    ForumPost,
    ForumType,
    LiveEvent,
    LiveEventStatus,
    LiveEventType,
    SubscriptionInterval,
    SuggestionState,
)
from content.models import Comment, Like, MediaType, Post, Review, ReviewedContentType
from demo.pictures import draw_picture, initials, store_picture
from ledger.services import ledger_payments_record_bulk
from musicplatform.audit.models import StatusHistory
from musicplatform.db import search_config_for
from notifications.models import Notification
from payments.models import Payment, PaymentPurpose, PaymentStatus
from shop.demo_files import demo_download
from shop.models import (
    FeaturedItem,
    FeaturedItemType,
    Order,
    OrderItem,
    OrderItemStatus,
    OrderStatus,
    Product,
    ProductDelivery,
    ProductType,
    ShippingRate,
)

PHYSICAL, DIGITAL = ProductDelivery.PHYSICAL, ProductDelivery.DIGITAL
TEST_GATEWAY = "test"
# How the demo's payments were paid: the test gateway's card that pays.
TEST_CARD = "Visa •••• 4242"
# An order has no natural key; a fixed id lets a second run find the one the first made.
DEMO_ORDER_ID = uuid.uuid5(uuid.NAMESPACE_URL, "musicplatform:seed_demo:order")


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    email: str
    password: str
    full_name: str
    note: str = ""

    def line(self) -> str:
        return (
            f"  {self.role + ':':<7} {self.email} / {self.password}"
            f"   (username {self.username}{self.note})"
        )


FAN = DemoLogin("fan", "demo_fan", "fan@example.com", "demo-fan-password", "Demo Fan")
ARTIST = DemoLogin(
    "artist", "demo_artist", "artist@example.com", "demo-artist-password", "Luna Vega"
)
STAFF = DemoLogin(
    "staff",
    "demo_staff",
    "staff@example.com",
    "demo-staff-password",
    "Demo Staff",
    ", is_staff and is_superuser",
)
DEMO_LOGINS = (FAN, ARTIST, STAFF)

GENRES = [
    "Pop",
    "Rock",
    "Hip-Hop",
    "R&B",
    "Jazz",
    "Electronic",
    "Classical",
    "Country",
    "Latin",
    "K-Pop",
]
LANGUAGES = ["English", "Spanish", "Korean", "French", "Portuguese", "Japanese"]


@dataclass(frozen=True)
class DemoArtist:
    name: str
    username: str
    email: str
    status: str
    bio: str
    # (community name, fee, interval)
    communities: tuple[tuple[str, Decimal, str], ...]
    posts: tuple[str, ...]


ARTISTS = (
    DemoArtist(
        "Luna Vega",
        ARTIST.username,
        ARTIST.email,
        VerificationStatus.VERIFIED,
        "Dream-pop singer from Valencia writing songs about night drives and long distances.",
        (
            ("Luna's Inner Orbit", Decimal("4.99"), SubscriptionInterval.MONTHLY),
            ("Luna Vega Collectors Club", Decimal("49.99"), SubscriptionInterval.YEARLY),
        ),
        (
            'New single "Night Drive" is out on Friday. Thank you for waiting with me!',
            "Rehearsals for the autumn tour start next week: what should open the show?",
        ),
    ),
    DemoArtist(
        "Midnight Static",
        "midnight_static",
        "midnight.static@example.com",
        VerificationStatus.VERIFIED,
        "Four-piece synth-rock band from Manchester, loud since 2014.",
        (("Static Society", Decimal("3.99"), SubscriptionInterval.MONTHLY),),
        ("Back in the studio. Album number three is taking shape.",),
    ),
    DemoArtist(
        "Kai Moreno",
        "kai_moreno",
        "kai.moreno@example.com",
        VerificationStatus.VERIFIED,
        "Producer and DJ mixing Latin rhythms with house music.",
        (("Kai's Studio Sessions", Decimal("5.99"), SubscriptionInterval.MONTHLY),),
        ("Live set from last night's show is up for the community. Turn it up.",),
    ),
    DemoArtist(
        "The Paper Lanterns",
        "paper_lanterns",
        "paper.lanterns@example.com",
        VerificationStatus.PENDING,
        "Indie-folk duo recording in a converted barn.",
        (("Lantern Light", Decimal("2.99"), SubscriptionInterval.MONTHLY),),
        ("Our first EP is mixed! Cover art reveal soon.",),
    ),
)

FORUMS = (
    (ForumType.ARTIST_FORUM, "Artist forum", "Notes and announcements from the artist."),
    (ForumType.ALL_CHAT, "All chat", "Talk about anything with other members."),
    (ForumType.FAN_ART, "Fan art", "Drawings, edits and photos the music inspired."),
    (ForumType.SUGGESTIONS, "Suggestions", "Ideas for setlists, merch and this community."),
)

FAN_SUBSCRIPTIONS = ("Luna's Inner Orbit", "Static Society")

# (artist name, product name, type, delivery, price, stock: None for unlimited downloads).
# Like the product form: digital products get a file (made by code), physical ones a stock
# and their artist shipping rates.
PRODUCTS = (
    ("Luna Vega", "Night Drive (digital album)", ProductType.MUSIC_DOWNLOAD, DIGITAL, "9.99", None),
    ("Luna Vega", "Night Drive signed vinyl", ProductType.EXCLUSIVE_RELEASE, PHYSICAL, "34.99", 50),
    ("Luna Vega", "Inner Orbit tour T-shirt", ProductType.MERCHANDISE, PHYSICAL, "24.99", 20),
    (
        "Midnight Static",
        "Static Noise (digital album)",
        ProductType.MUSIC_DOWNLOAD,
        DIGITAL,
        "8.99",
        None,
    ),
    (
        "Midnight Static",
        "Static Noise stems",
        ProductType.EXCLUSIVE_RELEASE,
        DIGITAL,
        "14.99",
        None,
    ),
    ("Kai Moreno", "Studio Sessions cap", ProductType.MERCHANDISE, PHYSICAL, "19.99", 20),
)
# (artist name, country or None for the rest of the world, shipping per order)
SHIPPING_RATES = (
    ("Luna Vega", "PT", "4.50"),
    ("Luna Vega", None, "12.00"),
    ("Kai Moreno", "US", "5.00"),
    ("Kai Moreno", None, "8.00"),
)
# (product name, quantity)
FAN_ORDER = (("Night Drive (digital album)", 1), ("Inner Orbit tour T-shirt", 2))

# (reviewer, content type, Spotify-style id, content name, artist name, title, text, rating)
REVIEWS = (
    (
        FAN.username,
        ReviewedContentType.ALBUM,
        "4aawyAB9vmqN3uQ7FjRGTy",
        "Night Drive",
        "Luna Vega",
        "Best headphones album of the year",
        'Every track sounds like city lights passing by. "Slow Motion" is the highlight.',
        5,
    ),
    (
        FAN.username,
        ReviewedContentType.SONG,
        "3n3Ppam7vgaVa1iaRUc9Lp",
        "Wires",
        "Midnight Static",
        "Great chorus, thin mix",
        "The hook stays with you for days, though the guitars are buried.",
        3,
    ),
    (
        "nova_listener",
        ReviewedContentType.SONG,
        "7ouMYWpwJ422jRcDASZB7P",
        "Calor",
        "Kai Moreno",
        "Summer in four minutes",
        "Perfect for the first warm evening of the year.",
        4,
    ),
)


@dataclass(frozen=True)
class Accounts:
    fan: User
    staff: User
    # A second fan, so that forums, comments and likes are not one person's monologue.
    regular: User


class Command(BaseCommand):
    help = "Fill the database with demo users, artists, communities, posts and orders."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any user exists (how `devservices serve` calls it).",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("Users exist already; demo data left as it is.")
            return
        with transaction.atomic():
            _seed(timezone.now())
        self._print_summary()

    def _print_summary(self) -> None:
        counted = {
            "users": User,
            "artists": Artist,
            "communities": Community,
            "forums": Forum,
            "forum posts": ForumPost,
            "live events": LiveEvent,
            "subscriptions": CommunitySubscription,
            "posts": Post,
            "comments": Comment,
            "likes": Like,
            "reviews": Review,
            "products": Product,
            "releases": Release,
            "orders": Order,
            "payments": Payment,
            "featured items": FeaturedItem,
            "notifications": Notification,
        }
        counts = ", ".join(f"{name}: {model.objects.count()}" for name, model in counted.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {counts}."))
        self.stdout.write("Demo logins:")
        for login in DEMO_LOGINS:
            self.stdout.write(login.line())


def _seed(now: datetime) -> None:
    genres, languages = _seed_taxonomy()
    accounts = _seed_accounts()
    artists = _seed_artists(accounts, now)
    _seed_preferences(accounts.fan, genres, languages, artists)
    communities = _seed_communities(artists, now)
    _seed_subscriptions(accounts, communities, now)
    _seed_forum_posts(accounts, communities)
    # The demo's posts and reviews are written in English, and say so (search stems them).
    posts = _seed_posts(artists, accounts, languages["English"])
    _seed_reviews(artists, accounts, languages["English"])
    products = _seed_products(artists)
    order = _seed_order(accounts.fan, products, now)
    _seed_featured(artists["Luna Vega"], products["Night Drive signed vinyl"], now)
    _seed_notifications(accounts.fan, posts[0], communities[0], order)
    _seed_status_history(accounts, artists["Luna Vega"], order)
    seed_releases(artists=artists, communities=communities, genres=genres)
    _seed_pictures(accounts, artists, posts)
    # The demo's payments in the books, so artists' Earnings pages have something to show
    # (booked once: running seed_demo again adds nothing).
    ledger_payments_record_bulk(
        payments=Payment.objects.filter(payment_status=PaymentStatus.COMPLETED)
    )


def _seed_taxonomy() -> tuple[dict[str, Genre], dict[str, Language]]:
    genres = {name: Genre.objects.get_or_create(name=name)[0] for name in GENRES}
    languages = {name: Language.objects.get_or_create(name=name)[0] for name in LANGUAGES}
    return genres, languages


def _user(username: str, email: str, full_name: str, **fields) -> User:
    """A user who can sign in with mandatory email verification, once given a password."""
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "email": email,
            "full_name": full_name,
            "is_verified": True,
            # Only the printed logins get a password that works (see _login_user).
            "password": make_password(None),
            **fields,
        },
    )
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def _login_user(login: DemoLogin, **fields) -> User:
    user = _user(login.username, login.email, login.full_name, **fields)
    # The printed credentials must work even when someone changed the password since.
    if not user.password or not user.check_password(login.password):
        user.set_password(login.password)
        user.save(update_fields=["password"])
    return user


def _seed_accounts() -> Accounts:
    fan = _login_user(FAN, city="Lisbon", country="Portugal")
    staff = _login_user(STAFF, is_staff=True, is_superuser=True)
    _login_user(ARTIST, is_artist=True)
    regular = _user("nova_listener", "nova@example.com", "Nova Listener", country="Canada")
    return Accounts(fan=fan, staff=staff, regular=regular)


def _seed_artists(accounts: Accounts, now: datetime) -> dict[str, Artist]:
    artists = {}
    for demo in ARTISTS:
        verified = demo.status == VerificationStatus.VERIFIED
        owner = _user(demo.username, demo.email, demo.name, is_artist=True)
        artist, _ = Artist.objects.get_or_create(
            artist_name=demo.name,
            user=owner,
            defaults={
                "bio": demo.bio,
                "verification_status": demo.status,
                "third_party_platform": ThirdPartyPlatform.MANUAL,
                "featured": demo.name == "Luna Vega",
            },
        )
        ArtistVerification.objects.get_or_create(
            artist=artist,
            defaults={
                "status": ArtistVerificationStatus.APPROVED
                if verified
                else ArtistVerificationStatus.PENDING,
                "verified_by": accounts.staff if verified else None,
                "verification_date": now if verified else None,
            },
        )
        artists[demo.name] = artist
    return artists


def _seed_preferences(
    fan: User,
    genres: dict[str, Genre],
    languages: dict[str, Language],
    artists: dict[str, Artist],
) -> None:
    UserPreferences.objects.get_or_create(
        user=fan,
        defaults={
            "genres": [genres[name].pk for name in ("Pop", "Electronic", "Latin")],
            "languages": [languages[name].pk for name in ("English", "Spanish")],
            "favorite_artists": [artists[name].pk for name in ("Luna Vega", "Midnight Static")],
        },
    )


def _seed_communities(artists: dict[str, Artist], now: datetime) -> list[Community]:
    communities = []
    for demo in ARTISTS:
        artist = artists[demo.name]
        for name, fee, interval in demo.communities:
            community, _ = Community.objects.get_or_create(
                artist=artist,
                name=name,
                defaults={
                    "description": f"{artist.artist_name}'s members-only corner.",
                    "subscription_fee": fee,
                    "subscription_interval": interval,
                },
            )
            for forum_type, forum_name, description in FORUMS:
                Forum.objects.get_or_create(
                    community=community,
                    name=forum_name,
                    defaults={"forum_type": forum_type, "description": description},
                )
            LiveEvent.objects.get_or_create(
                community=community,
                title=f"Live Q&A with {artist.artist_name}",
                defaults={
                    "description": "Bring your questions about the new music.",
                    "event_type": LiveEventType.QA,
                    "start_time": now + timedelta(days=7),
                    "end_time": now + timedelta(days=7, hours=1),
                    "status": LiveEventStatus.SCHEDULED,
                },
            )
            communities.append(community)
    return communities


def _seed_subscriptions(accounts: Accounts, communities: list[Community], now: datetime) -> None:
    for community in communities:
        _subscribe(accounts.regular, community, now)
        if community.name in FAN_SUBSCRIPTIONS:
            _subscribe(accounts.fan, community, now)


def _subscribe(user: User, community: Community, now: datetime) -> None:
    """An active subscription paid by a completed payment that points back at it."""
    days = 365 if community.subscription_interval == SubscriptionInterval.YEARLY else 30
    subscription, _ = CommunitySubscription.objects.get_or_create(
        user=user,
        community=community,
        defaults={
            "start_date": now,
            "end_date": now + timedelta(days=days),
            "is_active": True,
            "price": community.subscription_fee,
            "billing_interval": community.subscription_interval,
        },
    )
    if subscription.payment_id is None:
        subscription.payment = Payment.objects.create(
            user=user,
            purpose=PaymentPurpose.SUBSCRIPTION,
            subscription=subscription,
            amount=community.subscription_fee,
            gateway=TEST_GATEWAY,
            payment_method=TEST_CARD,
            payment_status=PaymentStatus.COMPLETED,
            payment_date=now,
        )
        subscription.save(update_fields=["payment"])


def _seed_forum_posts(accounts: Accounts, communities: list[Community]) -> None:
    for community in communities:
        forums = {forum.forum_type: forum for forum in community.forums.all()}
        artist_user = community.artist.user
        _forum_post(
            forums[ForumType.ARTIST_FORUM],
            artist_user,
            f"Welcome to {community.name}",
            "Read this first: be kind, no spoilers of unreleased songs, have fun.",
            is_pinned=True,
        )
        _forum_post(
            forums[ForumType.ALL_CHAT],
            accounts.regular,
            "Which song got you into the music?",
            "Mine was the first single, on repeat for a whole summer.",
        )
        _forum_post(
            forums[ForumType.FAN_ART],
            accounts.regular,
            "Sketch from the last show",
            "Pencil and a lot of patience. Photo coming once I scan it.",
        )
        _forum_post(
            forums[ForumType.SUGGESTIONS],
            accounts.regular,
            "An acoustic set at the next live event?",
            "Stripped-down versions of the singles would be amazing.",
            is_answered=True,
            suggestion_state=SuggestionState.ANSWERED,
        )
        if community.name in FAN_SUBSCRIPTIONS:
            _forum_post(
                forums[ForumType.ALL_CHAT],
                accounts.fan,
                "Hello from Lisbon",
                "Just joined. Anyone going to the tour date in Porto?",
            )


def _forum_post(forum: Forum, user: User, title: str, content: str, **flags) -> ForumPost:
    return ForumPost.objects.get_or_create(
        forum=forum,
        user=user,
        title=title,
        defaults={"content": content, "media_type": MediaType.NONE, **flags},
    )[0]


def _seed_posts(artists: dict[str, Artist], accounts: Accounts, language: Language) -> list[Post]:
    """Artists' posts, with a comment thread and likes on the first one."""
    posts = [
        Post.objects.get_or_create(
            artist=artists[demo.name],
            content_text=text,
            defaults={
                "media_type": MediaType.NONE,
                "language": language,
                "search_config": search_config_for(language),
            },
        )[0]
        for demo in ARTISTS
        for text in demo.posts
    ]
    first = posts[0]
    question = _comment(first, accounts.fan, "Counting the hours! Will it be on vinyl too?")
    _comment(first, first.artist.user, "Yes, signed copies in the shop.", parent=question)
    _comment(first, accounts.regular, "The teaser sounded incredible.")
    for post in posts:
        Like.objects.get_or_create(user=accounts.regular, post=post)
    Like.objects.get_or_create(user=accounts.fan, post=first)
    Like.objects.get_or_create(user=accounts.regular, comment=question)
    return posts


def _comment(post: Post, user: User, content: str, parent: Comment | None = None) -> Comment:
    # A reply keeps its post too, so that a post's comments are one query away.
    return Comment.objects.get_or_create(
        post=post, parent_comment=parent, user=user, content=content
    )[0]


def _seed_reviews(artists: dict[str, Artist], accounts: Accounts, language: Language) -> None:
    reviewers = {user.username: user for user in (accounts.fan, accounts.regular)}
    reviews = []
    for demo in REVIEWS:
        username, content_type, content_id, content_name, artist_name, title, text, rating = demo
        review, _ = Review.objects.get_or_create(
            user=reviewers[username],
            content_type=content_type,
            content_id=content_id,
            defaults={
                "content_name": content_name,
                "artist": artists[artist_name],
                "artist_name": artist_name,
                "title": title,
                "text_content": text,
                "rating": rating,
                "language": language,
                "search_config": search_config_for(language),
            },
        )
        reviews.append(review)
    Like.objects.get_or_create(user=accounts.regular, review=reviews[0])
    Comment.objects.get_or_create(
        review=reviews[0], user=accounts.regular, content="Agreed, Slow Motion is perfect."
    )


def _seed_products(artists: dict[str, Artist]) -> dict[str, Product]:
    for artist_name, country, amount in SHIPPING_RATES:
        ShippingRate.objects.get_or_create(
            artist=artists[artist_name], country=country, defaults={"amount": Decimal(amount)}
        )
    products = {}
    for artist_name, name, product_type, delivery, price, stock in PRODUCTS:
        products[name], created = Product.objects.get_or_create(
            artist=artists[artist_name],
            name=name,
            defaults={
                "description": f"Official {artist_name} release.",
                "product_type": product_type,
                "delivery": delivery,
                "price": Decimal(price),
                "stock_quantity": stock,
            },
        )
        if created and delivery == DIGITAL:
            download = demo_download(name)
            products[name].digital_file.save(download.name, download, save=True)
    return products


def _seed_order(fan: User, products: dict[str, Product], now: datetime) -> Order:
    """A paid order whose items keep the price paid, whatever the product costs later."""
    lines = [(products[name], quantity) for name, quantity in FAN_ORDER]
    # Shipped to Portugal: Luna Vega's rate for PT.
    shipping = Decimal("4.50")
    total = sum((product.price * quantity for product, quantity in lines), shipping)
    order, _ = Order.objects.get_or_create(
        id=DEMO_ORDER_ID,
        defaults={
            "user": fan,
            "total_amount": total,
            "shipping_amount": shipping,
            "status": OrderStatus.PAID,
            "contact_email": fan.email,
            "shipping_address": {
                "name": "Demo Fan",
                "line1": "Rua das Flores 12",
                "city": "Lisbon",
                "postal_code": "1200-195",
                "country": "PT",
            },
        },
    )
    for product, quantity in lines:
        OrderItem.objects.get_or_create(
            order=order,
            product=product,
            defaults={
                "quantity": quantity,
                "unit_price": product.price,
                "subtotal": product.price * quantity,
                "status": OrderItemStatus.TO_SHIP if product.delivery == PHYSICAL else None,
            },
        )
    Payment.objects.get_or_create(
        order=order,
        defaults={
            "user": fan,
            "purpose": PaymentPurpose.ORDER,
            "amount": order.total_amount,
            "gateway": TEST_GATEWAY,
            "payment_method": TEST_CARD,
            "payment_status": PaymentStatus.COMPLETED,
            "payment_date": now,
        },
    )
    return order


def _seed_featured(artist: Artist, product: Product, now: datetime) -> None:
    for position, (item_type, item_id) in enumerate(
        ((FeaturedItemType.ARTIST, artist.pk), (FeaturedItemType.PRODUCT, product.pk)), start=1
    ):
        FeaturedItem.objects.get_or_create(
            item_type=item_type,
            item_id=str(item_id),
            defaults={
                "start_date": now,
                "end_date": now + timedelta(days=14),
                "position": position,
            },
        )


def _seed_notifications(fan: User, post: Post, community: Community, order: Order) -> None:
    event = community.live_events.first()
    # (title, message, type, resource type, resource id, read)
    notifications = (
        (
            f"{post.artist.artist_name} posted",
            post.content_text,
            "post",
            "post",
            post.pk,
            False,
        ),
        (
            "Live Q&A scheduled",
            f"{event.title} starts next week in {community.name}.",
            "live_event",
            "live_event",
            event.pk,
            False,
        ),
        (
            "New reply to your comment",
            f"{post.artist.artist_name} answered your question.",
            "comment",
            "post",
            post.pk,
            True,
        ),
        ("Order paid", "Thank you! Your order is confirmed.", "order", "order", order.pk, True),
    )
    for title, message, kind, resource_type, resource_id, is_read in notifications:
        Notification.objects.get_or_create(
            user=fan,
            title=title,
            defaults={
                "message": message,
                "notification_type": kind,
                "related_resource_type": resource_type,
                "related_resource_id": resource_id,
                "is_read": is_read,
            },
        )


def _seed_status_history(accounts: Accounts, artist: Artist, order: Order) -> None:
    StatusHistory.objects.get_or_create(
        entity_type="order",
        entity_id=order.pk,
        old_status=OrderStatus.PENDING,
        new_status=OrderStatus.PAID,
        defaults={"changed_by": accounts.fan},
    )
    StatusHistory.objects.get_or_create(
        entity_type="artist",
        entity_id=artist.pk,
        old_status=VerificationStatus.PENDING,
        new_status=VerificationStatus.VERIFIED,
        defaults={"changed_by": accounts.staff},
    )


def _seed_pictures(accounts: Accounts, artists: dict[str, Artist], posts: list[Post]) -> None:
    """Avatars, artist covers, product photos (the releases' products too) and a picture on
    each artist's first post, drawn by code (demo.pictures); what already has a
    picture keeps it."""
    people = [accounts.fan, accounts.staff, accounts.regular]
    people += [artist.user for artist in artists.values()]
    for user in people:
        if not user.profile_picture_url:
            # The naming accounts.services gives uploads: <key>-512.jpg beside <key>-128.jpg.
            for side in (128, 512):
                url = store_picture(
                    f"profiles/demo-{user.username}-{side}.jpg",
                    draw_picture(user.username, (side, side), label=initials(user.full_name)),
                )
            User.objects.filter(pk=user.pk).update(profile_picture_url=url)
    for artist in artists.values():
        if not artist.profile_picture_url:
            artist.profile_picture_url = store_picture(
                f"artists/{artist.pk}/picture-demo.jpg",
                draw_picture(artist.artist_name, (400, 400), label=initials(artist.artist_name)),
            )
            artist.cover_photo_url = store_picture(
                f"artists/{artist.pk}/cover-demo.jpg",
                draw_picture(f"{artist.artist_name} cover", (1200, 400)),
            )
            artist.save(update_fields=["profile_picture_url", "cover_photo_url"])
    for product in Product.objects.filter(artist__in=artists.values()):
        if not product.image_urls:
            product.image_urls = [
                store_picture(
                    f"products/demo-{product.pk}.jpg",
                    draw_picture(product.name, (600, 600), label=initials(product.name)),
                )
            ]
            product.save(update_fields=["image_urls"])
    first_posts = {post.artist_id: post for post in reversed(posts)}
    for post in first_posts.values():
        if post.media_type == MediaType.NONE:
            post.media_type = MediaType.IMAGE
            post.media_urls = [
                store_picture(
                    f"posts/{post.artist_id}/demo-{post.pk}.jpg",
                    draw_picture(post.content_text, (960, 540)),
                )
            ]
            post.save(update_fields=["media_type", "media_urls"])
