"""What other apps' events do to memberships: an account's deletion (accounts.signals) and
an artist's removal (artists.signals). What a subscription payment's outcome does is the
purpose handler's part (communities/purposes.py)."""

from django.dispatch import receiver

from accounts.signals import account_deleted
from artists.signals import artist_removed
from communities import selectors
from communities.models import CommunitySubscription
from communities.services.renewals import (
    ARTIST_LEFT_REASON,
    MEMBER_LEFT_REASON,
    subscriptions_end_refunding_unused,
)
from musicplatform.cache import invalidate_on_commit


@receiver(account_deleted)
def memberships_of_deleted_account_end(*, user, **_) -> None:
    """Each membership ends now, refunded for its unused part."""
    subscriptions_end_refunding_unused(
        subscription_ids=CommunitySubscription.objects.filter(
            user=user, is_active=True
        ).values_list("pk", flat=True),
        by=user,
        reason=MEMBER_LEFT_REASON,
    )


@receiver(artist_removed)
def memberships_of_removed_artist_end(*, artist, by, **_) -> None:
    """Each membership of the artist's communities ends now, its member notified and
    refunded for the unused part; the communities' cached pages show it at once."""
    subscriptions_end_refunding_unused(
        subscription_ids=CommunitySubscription.objects.filter(
            community__artist=artist, is_active=True
        ).values_list("pk", flat=True),
        by=by,
        reason=ARTIST_LEFT_REASON.format(artist_name=artist.artist_name),
    )
    invalidate_on_commit(
        *(
            selectors.community_info_key(pk)
            for pk in artist.communities.values_list("pk", flat=True)
        )
    )
