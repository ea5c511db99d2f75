"""Members-only pictures are private (docs/security.md, section 9): stored in the private
storage, served only with a fresh signed link and only to those who may see the
community's content."""

import re

import pytest
from django.core.files.storage import default_storage, storages
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from communities.models import ForumType
from communities.services.forums import forum_post_create
from communities.tests.factories import CommunitySubscriptionFactory, ForumFactory
from content.tests.uploads import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def fan_art():
    member = CommunitySubscriptionFactory()
    community = member.community
    forum = ForumFactory(community=community, forum_type=ForumType.FAN_ART)
    post = forum_post_create(
        forum=forum,
        community=community,
        by=member.user,
        title="My drawing",
        images=[image_upload()],
    )
    return member, forum, post


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def picture_link(client: Client, forum) -> str:
    page = client.get(
        reverse(
            "communities:forum", kwargs={"community_id": forum.community_id, "forum_id": forum.pk}
        )
    ).content.decode()
    return re.search(r'<img src="([^"]+/media/[^"]+)"', page)[1].replace("&amp;", "&")


def test_fan_art_is_stored_privately_and_shown_to_members(fan_art):
    member, forum, post = fan_art
    (url,) = post.media_urls
    stored = "communities/{}/{}".format(forum.community_id, url.rsplit("/", 1)[1])
    assert storages["private"].exists(stored)
    assert not default_storage.exists(stored)

    client = signed_in(member.user)
    answer = client.get(picture_link(client, forum))

    assert answer.status_code == 200
    assert answer["Content-Type"] in ("image/jpeg", "image/png")
    assert answer["Cache-Control"].startswith("private")


def test_a_non_member_with_a_members_signed_link_gets_nothing(fan_art):
    member, forum, _post = fan_art
    member_client = signed_in(member.user)
    link = picture_link(member_client, forum)

    assert signed_in(UserFactory()).get(link).status_code == 404
    assert Client().get(link).status_code == 404
    # Negative control: the same link works for the member.
    assert member_client.get(link).status_code == 200


@pytest.mark.parametrize("tamper", ["expired", "none", "forged"])
def test_an_expired_or_missing_signature_is_refused(fan_art, settings, tamper):
    member, forum, _post = fan_art
    client = signed_in(member.user)
    link = picture_link(client, forum)
    if tamper == "expired":
        settings.PRIVATE_MEDIA_URL_AGE = -1
    elif tamper == "none":
        link = link.split("?")[0]
    else:
        link = link[:-4] + "AAAA"

    answer = client.get(link)

    assert answer.status_code == 403
    assert "expired or is not valid" in answer.content.decode()


def test_the_web_server_can_serve_the_file(fan_art, settings):
    member, forum, _post = fan_art
    settings.PRIVATE_MEDIA_ACCEL_PREFIX = "/internal-private/"
    client = signed_in(member.user)

    answer = client.get(picture_link(client, forum))

    assert answer.status_code == 200
    assert answer["X-Accel-Redirect"].startswith(
        f"/internal-private/communities/{forum.community_id}/"
    )
