from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User, UserVerification, VerificationType
from accounts.tests.factories import UserFactory, UserVerificationFactory

pytestmark = pytest.mark.django_db


def _token(user: User, verification_type: str, *, is_used: bool = False) -> UserVerification:
    return UserVerification.objects.create(
        user=user,
        verification_token="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        verification_type=verification_type,
        expires_at=timezone.now() + timedelta(hours=24),
        is_used=is_used,
    )


def test_a_second_unused_token_of_the_same_type_for_a_user_is_rejected():
    token = UserVerificationFactory(verification_type=VerificationType.EMAIL)

    with pytest.raises(IntegrityError, match="unique_active_token"), transaction.atomic():
        _token(token.user, VerificationType.EMAIL)

    assert token.user.verifications.count() == 1


def test_a_new_unused_token_is_accepted_beside_a_used_one_of_the_same_type():
    user = UserFactory()
    _token(user, VerificationType.EMAIL, is_used=True)

    _token(user, VerificationType.EMAIL)

    assert user.verifications.filter(verification_type=VerificationType.EMAIL).count() == 2


def test_several_used_tokens_of_the_same_type_are_accepted():
    user = UserFactory()
    _token(user, VerificationType.PASSWORD_RESET, is_used=True)

    _token(user, VerificationType.PASSWORD_RESET, is_used=True)

    assert user.verifications.count() == 2


def test_an_unused_token_of_another_type_is_accepted():
    token = UserVerificationFactory(verification_type=VerificationType.EMAIL)

    _token(token.user, VerificationType.PASSWORD_RESET)

    assert token.user.verifications.filter(is_used=False).count() == 2
