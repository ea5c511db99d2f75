from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import UserVerification
from accounts.tasks import verification_tokens_purge
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def token(user, *, kind, expires_in_days, used=False):
    return UserVerification.objects.create(
        user=user,
        verification_token=f"hash-{kind}-{expires_in_days}-{used}",
        verification_type=kind,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        is_used=used,
    )


def test_the_purge_removes_long_expired_tokens_and_keeps_live_and_recent_ones():
    user = UserFactory()
    live = token(user, kind="email", expires_in_days=1)
    recently_expired = token(user, kind="password_reset", expires_in_days=-1)
    long_expired = token(UserFactory(), kind="email", expires_in_days=-30)

    assert verification_tokens_purge() == 1
    assert verification_tokens_purge() == 0

    remaining = set(UserVerification.objects.values_list("pk", flat=True))
    assert remaining == {live.pk, recently_expired.pk}
    assert long_expired.pk not in remaining
