"""Reads of the accounts domain; each runs a fixed number of queries."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import services
from accounts.models import (
    Genre,
    Language,
    LoginFailure,
    User,
    UserPreferences,
    VerificationType,
)
from artists.models import Artist
from musicplatform.cache import cached

ARTIST_SEARCH_LIMIT = 20
# Secrets and digests are not "data about the user" and must never leave the server.
EXPORT_EXCLUDED_FIELDS = {"password", "verification_token", "token", "token_secret"}
EXPORT_EXCLUDED_APPS = {"admin", "sessions"}


def user_has_onboarded(*, user: User) -> bool:
    return UserPreferences.objects.filter(user_id=user.pk).exists()


def email_verification_problem(*, email_address, raw_token: str) -> str | None:
    """None when the token can be used, else "invalid", "used" or "expired"."""
    if email_address is None or not email_address.user.is_active:
        return "invalid"
    try:
        services.verification_token_check(
            user=email_address.user,
            verification_type=VerificationType.EMAIL,
            raw_token=raw_token,
            bound_to=email_address.email,
        )
    except services.VerificationTokenError as exc:
        return exc.reason
    return None


def preferences_of(*, user: User) -> UserPreferences:
    return UserPreferences.objects.filter(user_id=user.pk).first() or UserPreferences(user=user)


def preferences_page(
    *, user: User, query: str = "", picked_artist_ids: Collection[uuid.UUID] = ()
) -> dict[str, Any]:
    """Everything the preferences form shows: choices, current values, artist search.

    `picked_artist_ids` are artists ticked on the page but not saved yet (from an earlier
    search): they stay among the choices so that a second search does not drop them.
    """
    preferences = preferences_of(user=user)
    shown = [*preferences.favorite_artists, *picked_artist_ids]
    favourites = list(Artist.objects.filter(pk__in=shown).order_by("artist_name"))
    results: list[Artist] = []
    query = query.strip()
    if query:
        results = list(
            Artist.objects.filter(artist_name__icontains=query)
            .exclude(pk__in=shown)
            .order_by("-featured", "artist_name")[:ARTIST_SEARCH_LIMIT]
        )
    return {
        "preferences": preferences,
        "favourites": favourites,
        "search_results": results,
        "artist_choices": favourites + results,
        "query": query,
        "spotify_linked": user.spotify_linked,
    }


PROFILE_CACHE_SECONDS = 10 * 60


def public_profile(*, username: str) -> dict[str, Any]:
    """A user's public page: one query for the user, the rest from Redis.

    The cache key carries `updated_at` of the user and of the preferences, which the
    database's trigger moves on every change, so an edit from anywhere shows at once
    without a single invalidation call to forget.
    """
    user = get_object_or_404(
        User.objects.filter(deleted_at__isnull=True).select_related("preferences"),
        username=username,
    )
    try:
        preferences = user.preferences
    except UserPreferences.DoesNotExist:
        preferences = None
    key = f"profile:{user.pk}:{user.updated_at.timestamp()}:{preferences.updated_at.timestamp() if preferences else 0}"
    return {
        "profile": user,
        **cached(key, lambda: _profile_tastes(preferences), timeout=PROFILE_CACHE_SECONDS),
    }


def _profile_tastes(preferences: UserPreferences | None) -> dict[str, list]:
    if preferences is None:
        return {"genres": [], "languages": [], "favourite_artists": []}
    return {
        "genres": list(Genre.objects.filter(pk__in=preferences.genres)),
        "languages": list(Language.objects.filter(pk__in=preferences.languages)),
        "favourite_artists": list(
            Artist.objects.filter(pk__in=preferences.favorite_artists).order_by("artist_name")
        ),
    }


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything the platform stores about `user`: their row and every row pointing at it.

    The relations are discovered from the models, so a table added later is exported
    too; one query per relation, whatever the amount of data.
    """
    account = {
        field.attname: getattr(user, field.attname)
        for field in User._meta.concrete_fields
        if field.attname not in EXPORT_EXCLUDED_FIELDS
    }
    account["has_password"] = user.has_usable_password()
    related: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        if model._meta.app_label in EXPORT_EXCLUDED_APPS:
            continue
        for field in model._meta.concrete_fields:
            if not (isinstance(field, models.ForeignKey) and field.remote_field.model is User):
                continue
            columns = [
                f.attname
                for f in model._meta.concrete_fields
                if f.attname not in EXPORT_EXCLUDED_FIELDS
            ]
            rows = list(model._default_manager.filter(**{field.name: user}).values(*columns))
            if rows:
                related[f"{model._meta.db_table}.{field.column}"] = rows
    return {
        "exported_at": timezone.now(),
        "account": account,
        "related": related,
    }


@dataclass(frozen=True)
class LoginFailures:
    pair: int
    pair_last: datetime | None
    from_ip: int
    ip_accounts: int
    for_login: int


def login_failures_since(*, ip_address: str, login: str, since: datetime) -> LoginFailures:
    """Failed sign-ins since `since`: for this login from this address (and the last one),
    from this address (and for how many logins), for this login from anywhere; one query."""
    from_ip = models.Q(ip_address=ip_address)
    for_login = models.Q(login_key=services.login_key(login))
    pair = from_ip & for_login
    counts = (
        LoginFailure.objects.filter(created_at__gt=since)
        .filter(from_ip | for_login)
        .aggregate(
            pair=models.Count("pk", filter=pair),
            pair_last=models.Max("created_at", filter=pair),
            from_ip=models.Count("pk", filter=from_ip),
            ip_accounts=models.Count("login_key", filter=from_ip, distinct=True),
            for_login=models.Count("pk", filter=for_login),
        )
    )
    return LoginFailures(**counts)


@dataclass(frozen=True)
class MembershipEnding:
    subscription: Any
    refund: Decimal


@dataclass(frozen=True)
class DeletionPreview:
    """Exactly what deleting the account will do (accounts.services.user_delete_account)."""

    memberships: list[MembershipEnding]
    cards: list[Any]
    pending_orders: list[Any]
    artists: list[Artist]


def account_deletion_preview(*, user: User) -> DeletionPreview:
    from communities.models import CommunitySubscription
    from communities.selectors import subscription_unused_refund
    from payments.models import SavedPaymentMethod
    from shop.models import Order, OrderStatus

    now = timezone.now()
    subscriptions = (
        CommunitySubscription.objects.filter(user=user, is_active=True)
        .select_related("community", "payment")
        .order_by("end_date", "pk")
    )
    return DeletionPreview(
        memberships=[
            MembershipEnding(
                subscription=subscription,
                refund=subscription_unused_refund(
                    subscription=subscription, payment=subscription.payment, now=now
                ),
            )
            for subscription in subscriptions
        ],
        cards=list(SavedPaymentMethod.objects.filter(user=user).order_by("created_at", "pk")),
        pending_orders=list(
            Order.objects.filter(user=user, status=OrderStatus.PENDING).order_by("created_at")
        ),
        artists=list(Artist.objects.filter(user=user, removed_at__isnull=True).order_by("pk")),
    )


# Follows ---------------------------------------------------------------------------------
# Who follows which artist is kept in each fan's preferences (`favorite_artists`).

# How long an artist's follower count is kept. Follows, unfollows and new preferences forget
# it at once; what else changes who follows (an account deleted, staff editing a fan's
# preferences in the admin) shows within this time.
FOLLOWER_COUNT_SECONDS = 300


@dataclass(frozen=True)
class FollowState:
    """What a Follow button shows: whether the viewer follows the artist, and how many do."""

    following: bool
    followers: int


class FollowStates(dict):
    """FollowState by artist id, for the buttons of one page."""

    @property
    def vary(self) -> tuple:
        """What the buttons show, for a shared fragment holding them."""
        return tuple(
            sorted((str(pk), state.following, state.followers) for pk, state in self.items())
        )


def follow_states(*, viewer, artist_ids) -> FollowStates:
    """Follower counts and the viewer's follows of these artists, in one query.

    Counting an artist's followers reads every fan who follows them (an index probe, then
    one row each): a cost that grows with the artist's audience, on every page with a
    Follow button. The counts are kept in Redis (`services.follower_count_key`) for
    `FOLLOWER_COUNT_SECONDS` and forgotten when a follow, an unfollow or a fan's new
    preferences change them (accounts.services.follower_counts_forget); only those missing
    are counted (and kept only when read from the primary). Whether the viewer follows is
    read from the viewer's own row every time.
    """
    ids = list(dict.fromkeys(artist_ids))
    if not ids:
        return FollowStates()
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    keys = {artist_id: services.follower_count_key(artist_id) for artist_id in ids}
    cached_counts = cache.get_many(list(keys.values()))
    missing = [artist_id for artist_id, key in keys.items() if key not in cached_counts]
    # Raw SQL passes no router by itself: a read, it goes where the ORM's reads go (the
    # replica when there is one, docs/scaling.md).
    alias = router.db_for_read(UserPreferences)
    with connections[alias].cursor() as cursor:
        cursor.execute(
            """
            SELECT shown.artist_id,
                   CASE WHEN shown.artist_id = ANY(%(missing)s::uuid[]) THEN (
                       SELECT count(*) FROM user_preferences AS followers
                       WHERE followers.favorite_artists @> ARRAY[shown.artist_id]
                   ) END,
                   EXISTS (
                       SELECT 1 FROM user_preferences AS own
                       WHERE own.user_id = %(viewer)s
                         AND own.favorite_artists @> ARRAY[shown.artist_id]
                   )
            FROM unnest(%(ids)s::uuid[]) AS shown (artist_id)
            """,
            {"missing": missing, "viewer": viewer_id, "ids": ids},
        )
        rows = cursor.fetchall()
    counted = {keys[artist_id]: count for artist_id, count, _ in rows if count is not None}
    # Only the primary's counts are kept: a lagging replica's would outlive, for the whole
    # timeout, the follow that had just forgotten them.
    if counted and alias == DEFAULT_DB_ALIAS:
        cache.set_many(counted, FOLLOWER_COUNT_SECONDS)
    counts = {**cached_counts, **counted}
    return FollowStates(
        {
            artist_id: FollowState(following=following, followers=counts[keys[artist_id]])
            for artist_id, _, following in rows
        }
    )
