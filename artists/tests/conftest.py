import pytest

from accounts.tests.factories import UserFactory, sign_in_recently
from artists.tests.factories import ArtistFactory


@pytest.fixture
def artist(db):
    return ArtistFactory(profile_picture_url=None, cover_photo_url=None)


@pytest.fixture
def owner_client(client, artist):
    sign_in_recently(client, artist.user)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    sign_in_recently(client, staff_user)
    return client


@pytest.fixture
def other_client(client, db):
    sign_in_recently(client, UserFactory())
    return client
