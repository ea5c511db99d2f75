import pytest

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory


@pytest.fixture
def artist(db):
    return ArtistFactory(profile_picture_url=None, cover_photo_url=None)


@pytest.fixture
def owner_client(client, artist):
    client.force_login(artist.user)
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(staff=True)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def other_client(client, db):
    client.force_login(UserFactory())
    return client
