from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.models import (
    Community,
    CommunityModerator,
    CommunityRestriction,
    CommunitySubscription,
    ContentFlag,
    FlaggedKind,
    FlagReason,
    Forum,
    ForumPost,
    ForumPostReaction,
    ForumPostVote,
    ForumTopicRead,
    ForumType,
    LiveEvent,
    LiveEventMessage,
    LiveEventType,
    LiveEventVote,
    ModerationAction,
    ModerationActionType,
    Reaction,
    SubscriptionInterval,
    SubscriptionRenewal,
    SubscriptionStatus,
    SubscriptionTierChange,
    TierChangeKind,
)

PERIODS = {
    SubscriptionInterval.MONTHLY: timedelta(days=30),
    SubscriptionInterval.YEARLY: timedelta(days=365),
}


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    artist = factory.SubFactory(ArtistFactory)
    name = factory.Sequence(lambda n: f"Inner Circle {n}")
    description = factory.Faker("paragraph")
    subscription_fee = Decimal("4.99")
    subscription_interval = SubscriptionInterval.MONTHLY


class CommunitySubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunitySubscription

    class Params:
        # Joining: its first payment is still to be made.
        joining = factory.Trait(is_active=False, status=SubscriptionStatus.PENDING)

    user = factory.SubFactory(UserFactory)
    community = factory.SubFactory(CommunityFactory)
    end_date = factory.LazyAttribute(
        lambda o: timezone.now() + PERIODS[o.community.subscription_interval]
    )
    is_active = True
    auto_renew = True
    status = factory.LazyAttribute(
        lambda o: (
            SubscriptionStatus.ENDED
            if not o.is_active
            else SubscriptionStatus.CANCELLED
            if not o.auto_renew
            else SubscriptionStatus.GRACE
            if o.grace_until
            else SubscriptionStatus.ACTIVE
        )
    )
    grace_until = None
    price = factory.SelfAttribute("community.subscription_fee")
    billing_interval = factory.SelfAttribute("community.subscription_interval")


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"General chat {n}")
    description = factory.Faker("sentence")
    forum_type = ForumType.ALL_CHAT


class ForumPostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumPost

    forum = factory.SubFactory(ForumFactory)
    user = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=6)
    content = factory.Faker("paragraph")


class LiveEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveEvent

    community = factory.SubFactory(CommunityFactory)
    title = factory.Sequence(lambda n: f"Listening party #{n}")
    description = factory.Faker("paragraph")
    event_type = LiveEventType.QA
    start_time = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    end_time = factory.LazyAttribute(lambda o: o.start_time + timedelta(hours=1))


class LiveEventMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveEventMessage

    event = factory.SubFactory(LiveEventFactory)
    user = factory.SubFactory(UserFactory)
    seq = factory.Sequence(lambda n: n + 1)
    content = factory.Faker("sentence")


class LiveEventVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveEventVote

    message = factory.SubFactory(LiveEventMessageFactory)
    user = factory.SubFactory(UserFactory)


class SubscriptionRenewalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionRenewal

    subscription = factory.SubFactory(CommunitySubscriptionFactory)
    period_end = factory.SelfAttribute("subscription.end_date")


class SubscriptionTierChangeFactory(factory.django.DjangoModelFactory):
    """A downgrade waiting for the period's end (an upgrade waits for its payment)."""

    class Meta:
        model = SubscriptionTierChange

    subscription = factory.SubFactory(CommunitySubscriptionFactory)
    to_community = factory.SubFactory(
        CommunityFactory, artist=factory.SelfAttribute("..subscription.community.artist")
    )
    kind = TierChangeKind.DOWNGRADE
    amount = Decimal("0.00")
    price = factory.SelfAttribute("to_community.subscription_fee")
    billing_interval = factory.SelfAttribute("to_community.subscription_interval")


class CommunityModeratorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityModerator

    community = factory.SubFactory(CommunityFactory)
    user = factory.SubFactory(UserFactory)


class CommunityRestrictionFactory(factory.django.DjangoModelFactory):
    """A member muted for a day."""

    class Meta:
        model = CommunityRestriction

    class Params:
        banned = factory.Trait(muted_until=None, banned_at=factory.LazyFunction(timezone.now))

    community = factory.SubFactory(CommunityFactory)
    user = factory.SubFactory(UserFactory)
    muted_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))


class ContentFlagFactory(factory.django.DjangoModelFactory):
    """A member's flag of a forum post of the community."""

    class Meta:
        model = ContentFlag

    class Params:
        post = factory.SubFactory(ForumPostFactory)

    kind = FlaggedKind.FORUM_POST
    object_id = factory.SelfAttribute("post.pk")
    community = factory.SelfAttribute("post.forum.community")
    artist = factory.SelfAttribute("community.artist")
    flagged_by = factory.SubFactory(UserFactory)
    author = factory.SelfAttribute("post.user")
    reason = FlagReason.SPAM


class ModerationActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModerationAction

    community = factory.SubFactory(CommunityFactory)
    moderator = factory.SelfAttribute("community.artist.user")
    action = ModerationActionType.MUTE
    target = "a member"
    target_user = factory.SubFactory(UserFactory)
    reason = "Spam in the chat"


class ForumPostVoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumPostVote

    post = factory.SubFactory(ForumPostFactory)
    user = factory.SubFactory(UserFactory)


class ForumPostReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumPostReaction

    post = factory.SubFactory(ForumPostFactory)
    user = factory.SubFactory(UserFactory)
    emoji = Reaction.HEART


class ForumTopicReadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumTopicRead

    topic = factory.SubFactory(ForumPostFactory)
    user = factory.SubFactory(UserFactory)
    last_read_at = factory.LazyFunction(timezone.now)
