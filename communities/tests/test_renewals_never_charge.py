"""Issue 17, acceptance: the renewal job, run with the clock past every end date, charges
no one who left: no deleted or deactivated member, no community of a removed or
suspended artist, whatever state their membership rows were left in."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import user_deactivate
from artists.models import Artist
from communities.models import CommunitySubscription
from communities.services.renewals import subscription_renew as renew_now
from communities.tasks import subscription_renew, subscriptions_renew_due
from communities.tests.conftest import due_subscription, save_card
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from payments.models import Payment


@pytest.mark.django_db
def test_the_renewal_job_past_every_end_date_charges_only_people_still_on_the_platform(
    frozen_clock,
):
    start = timezone.now()
    staying = CommunitySubscriptionFactory()
    deleted_member = CommunitySubscriptionFactory()
    deactivated_member = CommunitySubscriptionFactory()
    of_removed_artist = CommunitySubscriptionFactory()
    of_suspended_artist = CommunitySubscriptionFactory(
        community=CommunityFactory(subscription_interval="yearly")
    )
    everyone = [
        staying,
        deleted_member,
        deactivated_member,
        of_removed_artist,
        of_suspended_artist,
    ]
    for subscription in everyone:
        save_card(subscription.user)

    # Who left is written straight into their own rows, the way a half-finished deletion
    # or a staff edit could leave them: every membership still says active, renewing.
    User.objects.filter(pk=deleted_member.user_id).update(
        deleted_at=start, username=f"deleted-{deleted_member.user_id.hex}"
    )
    user_deactivate(user=deactivated_member.user)
    Artist.objects.filter(pk=of_removed_artist.community.artist_id).update(
        removed_at=start, removal_reason="The artist's account was deleted."
    )
    Artist.objects.filter(pk=of_suspended_artist.community.artist_id).update(
        removed_at=start, removal_reason="Suspended by staff."
    )
    assert CommunitySubscription.objects.filter(is_active=True, auto_renew=True).count() == 5

    frozen_clock.set(start + timedelta(days=400))
    renewed = subscriptions_renew_due.delay().get()
    # Each one asked directly, too: the per-subscription service checks again under lock.
    outcomes = {s.pk: subscription_renew.delay(str(s.pk)).get() for s in everyone}

    assert renewed == 1
    charged = set(Payment.objects.values_list("subscription_id", flat=True))
    assert charged == {staying.pk}
    assert outcomes == {
        staying.pk: "skipped",  # renewed by the job already; not due again for 30 days
        deleted_member.pk: "skipped",
        deactivated_member.pk: "skipped",
        of_removed_artist.pk: "skipped",
        of_suspended_artist.pk: "skipped",
    }


@pytest.mark.django_db(transaction=True)
def test_a_renewal_while_an_account_is_being_deleted_is_skipped_and_charges_nothing():
    subscription = due_subscription()
    save_card(subscription.user)
    locked, renewal_ran = threading.Event(), threading.Event()

    def deleting():
        try:
            with transaction.atomic():
                User.objects.select_for_update().get(pk=subscription.user_id)
                locked.set()
                renewal_ran.wait(timeout=10)
                User.objects.filter(pk=subscription.user_id).update(deleted_at=timezone.now())
        finally:
            connection.close()

    deletion = threading.Thread(target=deleting)
    deletion.start()
    assert locked.wait(timeout=10)
    during = renew_now(subscription_id=subscription.pk)
    renewal_ran.set()
    deletion.join()
    after = renew_now(subscription_id=subscription.pk)

    assert (during, after) == ("skipped", "skipped")
    assert not Payment.objects.filter(subscription=subscription).exists()
