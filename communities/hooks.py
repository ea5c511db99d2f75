"""What other apps' events do to memberships: a subscription payment's outcome
(shop.payments.hooks; run in the transaction that moved the payment, with the payment
locked), and an account's deletion (accounts.signals), an artist's removal (artists.signals).
"""

from django.dispatch import receiver

from accounts.signals import account_deleted
from artists.signals import artist_removed
from communities import selectors, services
from communities.models import CommunitySubscription
from musicplatform.cache import invalidate_on_commit
from shop.models import PaymentPurpose
from shop.payments.hooks import PaymentOutcome, on_payment


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.COMPLETED)
def subscription_paid(*, payment, by=None) -> None:
    services.subscription_paid(payment=payment)


@on_payment(PaymentPurpose.SUBSCRIPTION, PaymentOutcome.REFUNDED)
def subscription_refunded(*, payment, by=None) -> None:
    services.subscription_refunded(payment=payment, by=by)


@receiver(account_deleted)
def memberships_of_deleted_account_end(*, user, **_) -> None:
    """Each membership ends now, refunded for its unused part."""
    services.subscriptions_end_refunding_unused(
        subscription_ids=CommunitySubscription.objects.filter(
            user=user, is_active=True
        ).values_list("pk", flat=True),
        by=user,
        reason=services.MEMBER_LEFT_REASON,
    )


@receiver(artist_removed)
def memberships_of_removed_artist_end(*, artist, by, **_) -> None:
    """Each membership of the artist's communities ends now, its member notified and
    refunded for the unused part; the communities' cached pages show it at once."""
    services.subscriptions_end_refunding_unused(
        subscription_ids=CommunitySubscription.objects.filter(
            community__artist=artist, is_active=True
        ).values_list("pk", flat=True),
        by=by,
        reason=services.ARTIST_LEFT_REASON.format(artist_name=artist.artist_name),
    )
    invalidate_on_commit(
        *(
            selectors.community_info_key(pk)
            for pk in artist.communities.values_list("pk", flat=True)
        )
    )
