import hashlib
import secrets
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from accounts import services
from accounts.models import (
    Genre,
    Language,
    LoginFailure,
    RateLimitEntry,
    User,
    UserPreferences,
    UserVerification,
    VerificationType,
)

# Every factory user's password: distinctive, so the suite's log scan
# (musicplatform/tests/log_secrets.py) can tell it from the word "password".
FACTORY_PASSWORD = "factory-pw-Qx7vT2mL"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    class Params:
        artist = factory.Trait(is_artist=True, is_verified=True)
        staff = factory.Trait(is_staff=True, is_verified=True)

    username = factory.Sequence(lambda n: f"fan{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(FACTORY_PASSWORD)
    full_name = factory.Faker("name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=16, maximum_age=70)
    city = factory.Faker("city")
    country = factory.Faker("random_element", elements=[name for _code, name in countries])
    bio = factory.Faker("sentence")


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """allauth's record of a user's address; login needs a verified one."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda o: o.user.email)
    verified = True
    primary = True


def verified_user(**kwargs) -> User:
    """A user who signed up and verified their email, as most tests need."""
    user = UserFactory(is_verified=True, **kwargs)
    EmailAddressFactory(user=user)
    return user


def sign_in_recently(client, user: User) -> None:
    """Sign in and enter the password again, as email and payout changes require
    (ACCOUNT_REAUTHENTICATION_REQUIRED)."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD})
    assert response.status_code == 302, "reauthentication failed"


class UserVerificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserVerification

    user = factory.SubFactory(UserFactory)
    # The table stores only a digest of the token that was emailed.
    verification_token = factory.LazyFunction(
        lambda: hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest()
    )
    verification_type = VerificationType.EMAIL
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))
    is_used = False


GENRE_NAMES = ["Rock", "Pop", "Jazz", "Hip-hop", "Electronic", "Folk", "Classical", "Afrobeat"]
LANGUAGE_NAMES = ["English", "Spanish", "French", "Portuguese", "Korean", "Japanese", "Yoruba"]


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre

    name = factory.Sequence(lambda n: f"{GENRE_NAMES[n % len(GENRE_NAMES)]} {n}")


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language

    name = factory.Sequence(lambda n: f"{LANGUAGE_NAMES[n % len(LANGUAGE_NAMES)]} {n}")


class UserPreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserPreferences

    user = factory.SubFactory(UserFactory)


class LoginFailureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoginFailure

    ip_address = "203.0.113.9"
    login_key = factory.Sequence(lambda n: services.login_key(f"fan{n}@example.com"))


class RateLimitEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateLimitEntry

    cache_key = factory.Sequence(lambda n: f":1:allauth:rl:signup:ip:203.0.113.{n % 250}:{n}")
    value = "gASVBAAAAAAAAABdlC4="
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=1))
