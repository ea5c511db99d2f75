"""The moderation URLs asked for by each role issue 22 names: signed out, member, moderator,
muted, banned, the community's artist and staff (the project-wide matrix,
musicplatform/tests/test_authorization.py, has the other roles). A role that may not act
gets its answer and changes nothing."""

from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from communities.models import (
    CommunityModerator,
    CommunityRestriction,
    ContentFlag,
    ForumPost,
    ForumType,
    LiveEventStatus,
    LiveEventType,
    ModerationAction,
)
from communities.services.moderation import member_ban, member_mute, moderator_name
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "moderator", "muted", "banned", "artist", "staff")
OK, GO, LOGIN, NOT_FOUND, PAYWALL, INVALID = 200, 302, "login", 404, 403, 400


def outcomes(**by_role):
    return {"anonymous": LOGIN, **by_role}


MANAGERS = outcomes(
    member=NOT_FOUND, moderator=OK, muted=NOT_FOUND, banned=NOT_FOUND, artist=OK, staff=OK
)
MANAGERS_ACT = outcomes(
    member=NOT_FOUND, moderator=GO, muted=NOT_FOUND, banned=NOT_FOUND, artist=GO, staff=GO
)
# (view, method, data, answers, roles whose request may change rows)
MATRIX = {
    "flag": (
        "get",
        {},
        outcomes(member=OK, moderator=OK, muted=OK, banned=NOT_FOUND, artist=OK, staff=OK),
        set(),
    ),
    "flag ": (
        "post",
        {"reason": "spam"},
        outcomes(member=GO, moderator=GO, muted=GO, banned=NOT_FOUND, artist=GO, staff=GO),
        {"member", "moderator", "muted", "artist", "staff"},
    ),
    "moderation": ("get", {}, MANAGERS, set()),
    "item_moderate": (
        "post",
        {"action": "hide", "reason": "r"},
        MANAGERS_ACT,
        {"moderator", "artist", "staff"},
    ),
    "member_moderate": ("get", {}, MANAGERS, set()),
    "member_moderate ": (
        "post",
        {"do": "mute", "mute-hours": "24"},
        MANAGERS_ACT,
        {"moderator", "artist", "staff"},
    ),
    # Moderators may open the form's answer but only the artist (and staff) name anyone.
    "moderator_name": ("post", {"username": "target"}, MANAGERS_ACT, {"artist", "staff"}),
    "moderator_remove": ("post", {}, MANAGERS_ACT, {"artist", "staff"}),
    "slow_mode": ("post", {"seconds": "30"}, MANAGERS_ACT, {"moderator", "artist", "staff"}),
    # Writing in the community: the muted and banned are refused with a clear message.
    "forum": (
        "post",
        {"content": "hello"},
        {
            **outcomes(member=GO, moderator=GO, muted=INVALID, banned=PAYWALL, artist=GO, staff=GO),
            "anonymous": PAYWALL,
        },
        {"member", "moderator", "artist", "staff"},
    ),
    "subscribe": (
        "post",
        {},
        outcomes(member=GO, moderator=GO, muted=GO, banned=GO, artist=GO, staff=GO),
        {"staff"},  # the rest already belong, or are refused
    ),
}


@pytest.fixture
def world():
    community = CommunityFactory()
    artist = community.artist.user
    users = {
        "anonymous": None,
        "artist": artist,
        "staff": UserFactory(staff=True),
        **{
            role: CommunitySubscriptionFactory(community=community).user
            for role in ("member", "moderator", "muted", "banned")
        },
    }
    target = CommunitySubscriptionFactory(community=community).user
    target.username = "target"
    target.save(update_fields=["username"])
    victim = CommunitySubscriptionFactory(community=community).user
    with TestCase.captureOnCommitCallbacks(execute=True):
        moderator_name(community=community, by=artist, user=users["moderator"])
        moderator_name(community=community, by=artist, user=target)
        member_mute(community=community, by=artist, user=users["muted"], hours=24)
        member_ban(community=community, by=artist, user=users["banned"], reason="spam")
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    post = ForumPostFactory(forum=chat, user=victim, title=None)
    LiveEventFactory(
        community=community,
        event_type=LiveEventType.CHAT,
        status=LiveEventStatus.LIVE,
        start_time=timezone.now() - timedelta(minutes=5),
    )
    c = community.pk
    urls = {
        "flag": reverse("communities:flag", args=["forum_post", post.pk]),
        "moderation": reverse("communities:moderation", args=[c]),
        "item_moderate": reverse("communities:item_moderate", args=[c, "forum_post", post.pk]),
        "member_moderate": reverse("communities:member_moderate", args=[c, victim.pk]),
        "moderator_name": reverse("communities:moderator_name", args=[c]),
        "moderator_remove": reverse("communities:moderator_remove", args=[c, target.pk]),
        "slow_mode": reverse("communities:slow_mode", args=[c, "forum", chat.pk]),
        "forum": reverse("communities:forum", args=[c, chat.pk]),
        "subscribe": reverse("communities:subscribe", args=[c]),
    }
    return {"users": users, "urls": urls, "chat": chat, "post": post}


def snapshot(world) -> tuple:
    world["chat"].refresh_from_db()
    return (
        ContentFlag.objects.count(),
        ModerationAction.objects.count(),
        CommunityModerator.objects.count(),
        CommunityRestriction.objects.filter(muted_until__isnull=False).count(),
        ForumPost.objects.filter(hidden_at__isnull=False).count(),
        ForumPost.objects.count(),
        world["chat"].slow_mode_seconds,
    )


@pytest.mark.parametrize("view", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_its_answer_and_only_the_allowed_change_anything(client, world, view, role):
    method, data, answers, may_change = MATRIX[view]
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    before = snapshot(world)

    response = getattr(client, method)(world["urls"][view.strip()], data)

    expected = answers[role]
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected
    if role not in may_change:
        assert snapshot(world) == before


def test_the_muted_and_the_banned_are_told_why(client, world):
    client.force_login(world["users"]["muted"])
    muted = client.post(world["urls"]["forum"], {"content": "hello"}).content.decode()
    client.force_login(world["users"]["banned"])
    rejoin = client.post(world["urls"]["subscribe"], follow=True).content.decode()

    assert "You are muted in this community until" in muted
    assert "You were banned from this community and cannot join it again." in rejoin
