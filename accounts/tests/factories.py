import hashlib
import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import (
    Genre,
    Language,
    User,
    UserPreferences,
    UserVerification,
    VerificationType,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    class Params:
        artist = factory.Trait(is_artist=True, is_verified=True)
        staff = factory.Trait(is_staff=True, is_verified=True)

    username = factory.Sequence(lambda n: f"fan{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("password")
    full_name = factory.Faker("name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=16, maximum_age=70)
    city = factory.Faker("city")
    country = factory.Faker("country")
    bio = factory.Faker("sentence")


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
