"""Post audiences (issue 22 item 1): public posts for everyone, members-only posts for the
members of the chosen communities; everyone else sees a teaser."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.models import CommunitySubscription
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content import services
from content.models import Comment, Like, PostAudience
from content.tests.factories import CommentFactory, ShareLinkFactory
from content.tests.uploads import image_upload

pytestmark = pytest.mark.django_db

SECRET = "The secret setlist: Moonlight, Harbour, Ember."
FIRST_LINE = "Tonight: a soundcheck for the Inner Circle."


@pytest.fixture
def community():
    return CommunityFactory(name="Inner Circle")


@pytest.fixture
def member(community):
    return CommunitySubscriptionFactory(community=community).user


@pytest.fixture
def members_post(community):
    artist = community.artist
    return services.post_create(
        artist=artist,
        by=artist.user,
        content_text=f"{FIRST_LINE}\n{SECRET}",
        uploads=[image_upload(size=(800, 450))],
        audience=PostAudience.MEMBERS,
        communities=[community],
    )


def _served(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_signed_out_visitor_reads_a_public_post_and_its_comments(client):
    artist = ArtistFactory()
    post = services.post_create(
        artist=artist, by=artist.user, content_text="Out on Friday!", uploads=[image_upload()]
    )
    CommentFactory(post=post, content="Cannot wait")

    page = client.get(post.get_absolute_url())

    assert page.status_code == 200
    assert "Out on Friday!" in page.text
    assert "Cannot wait" in page.text
    assert client.get(post.media_urls[0]).status_code == 200


def test_others_see_the_teaser_of_a_members_only_post(client, members_post, community):
    outsider = UserFactory()
    for viewer in (None, outsider):
        if viewer:
            client.force_login(viewer)
        page = client.get(members_post.get_absolute_url())

        assert page.status_code == 200
        assert FIRST_LINE in page.text
        assert SECRET not in page.text
        assert "Join Inner Circle to read" in page.text
        assert f'href="{community.get_absolute_url()}"' in page.text
        assert members_post.media_urls[0] not in page.text
        assert reverse("content:post_teaser_picture", args=[members_post.pk]) in page.text


def test_members_the_artist_and_staff_read_a_members_only_post(client, members_post, member):
    for reader in (member, members_post.artist.user, UserFactory(is_staff=True)):
        client.force_login(reader)
        page = client.get(members_post.get_absolute_url())

        assert SECRET in page.text
        assert members_post.media_urls[0] in page.text
        assert _served(client.get(members_post.media_urls[0]))


def test_a_lapsed_member_or_a_member_of_another_community_sees_the_teaser(
    client, members_post, community
):
    lapsed = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=1)
    ).user
    other_community = CommunityFactory(artist=community.artist, name="Street Team")
    elsewhere = CommunitySubscriptionFactory(community=other_community).user
    for viewer in (lapsed, elsewhere):
        client.force_login(viewer)

        page = client.get(members_post.get_absolute_url())

        assert SECRET not in page.text
        assert "Join Inner Circle to read" in page.text


def test_a_member_whose_paid_period_runs_out_sees_the_teaser_at_the_next_visit(
    client, members_post, community
):
    subscription = CommunitySubscriptionFactory(community=community)
    client.force_login(subscription.user)
    assert SECRET in client.get(members_post.get_absolute_url()).text
    assert SECRET in client.get(reverse("content:feed")).text

    # Time passes: nothing is written but the moment the paid period is over.
    CommunitySubscription.objects.filter(pk=subscription.pk).update(
        end_date=timezone.now() - timedelta(seconds=1)
    )

    page = client.get(members_post.get_absolute_url())
    assert SECRET not in page.text
    assert "Join Inner Circle to read" in page.text
    assert SECRET not in client.get(reverse("content:feed")).text


def test_a_post_for_two_communities_is_read_by_the_members_of_either(client, community):
    street_team = CommunityFactory(artist=community.artist, name="Street Team")
    post = services.post_create(
        artist=community.artist,
        by=community.artist.user,
        content_text=SECRET,
        uploads=[],
        audience=PostAudience.MEMBERS,
        communities=[community, street_team],
    )
    client.force_login(CommunitySubscriptionFactory(community=street_team).user)

    assert SECRET in client.get(post.get_absolute_url()).text


def test_the_media_of_a_members_only_post_are_served_to_its_readers_only(
    client, members_post, member
):
    media_url = members_post.media_urls[0]

    assert client.get(media_url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(media_url).status_code == 404
    client.force_login(member)
    assert client.get(media_url).status_code == 200


def test_the_teaser_picture_is_a_blur_anyone_may_see(client, members_post):
    response = client.get(reverse("content:post_teaser_picture", args=[members_post.pk]))

    assert response.status_code == 200
    with Image.open(io.BytesIO(_served(response))) as teaser:
        # Made from 12 pixels a side (scaled up and blurred): nothing of the picture's
        # detail is in the file.
        assert teaser.size == (96, 56)


def test_outsiders_cannot_comment_on_or_like_a_members_only_post(client, members_post, member):
    comment = CommentFactory(post=members_post, user=member)
    client.force_login(UserFactory())

    commented = client.post(
        reverse("content:post_comment", args=[members_post.pk]), {"content": "Let me in"}
    )
    client.post(reverse("content:like", args=["post", members_post.pk]), {"liked": "1"})
    client.post(reverse("content:like", args=["comment", comment.pk]), {"liked": "1"})
    replies = client.get(reverse("content:comment_replies", args=[comment.pk]))

    assert commented.status_code == 400
    assert "Only the members who can read this post can join in on it." in commented.text
    assert not Comment.objects.filter(content="Let me in").exists()
    assert not Like.objects.exists()
    assert replies.status_code == 404


def test_members_comment_on_a_members_only_post(client, members_post, member):
    client.force_login(member)

    client.post(reverse("content:post_comment", args=[members_post.pk]), {"content": "Wow"})

    assert Comment.objects.filter(post=members_post, user=member, content="Wow").exists()


def test_search_finds_a_members_only_post_for_its_readers_only(client, members_post, member):
    query = {"q": "setlist Moonlight"}

    assert members_post.get_absolute_url() not in client.get("/search/", query).text
    client.force_login(UserFactory())
    assert members_post.get_absolute_url() not in client.get("/search/", query).text
    client.force_login(member)
    assert members_post.get_absolute_url() in client.get("/search/", query).text


def test_a_share_link_of_a_members_only_post_shows_only_its_teaser(client, members_post):
    link = ShareLinkFactory(post=members_post)

    shared = client.get(reverse("content:shared_post", args=[link.share_token]), follow=True)

    assert SECRET not in shared.text
    assert 'property="og:description"' not in shared.text
    assert "Join Inner Circle to read" in shared.text


def test_public_lists_show_members_only_posts_as_teasers_or_not_at_all(client, members_post):
    artist_page = client.get(members_post.artist.get_absolute_url())
    home = client.get("/")
    explore = client.get(reverse("content:explore"))

    assert FIRST_LINE in artist_page.text
    assert "Members only" in artist_page.text
    for page in (artist_page, home, explore):
        assert SECRET not in page.text


def test_a_follower_who_is_not_a_member_gets_the_teaser_in_the_feed(client, members_post, member):
    follower = UserFactory()
    services.artist_follow(user=follower, artist=members_post.artist)
    client.force_login(follower)

    feed = client.get(reverse("content:feed"))

    assert FIRST_LINE in feed.text
    assert SECRET not in feed.text
    assert "How to read it" in feed.text
    client.force_login(member)
    services.artist_follow(user=member, artist=members_post.artist)
    assert SECRET in client.get(reverse("content:feed")).text


def test_an_artist_publishes_for_members_through_the_form(client, community, member):
    client.force_login(community.artist.user)

    response = client.post(
        reverse("content:post_create"),
        {
            "artist": community.artist.pk,
            "content_text": f"{FIRST_LINE}\n{SECRET}",
            "audience": "members",
            "communities": [community.pk],
        },
    )

    post = community.artist.posts.get()
    assert response.status_code == 302
    assert post.audience == PostAudience.MEMBERS
    assert list(post.communities.all()) == [community]
    client.force_login(UserFactory())
    assert SECRET not in client.get(post.get_absolute_url()).text


def test_a_members_only_post_needs_communities_of_its_own_artist(client, community):
    artist = community.artist
    client.force_login(artist.user)

    without = client.post(
        reverse("content:post_create"),
        {"artist": artist.pk, "content_text": SECRET, "audience": "members"},
    )

    assert without.status_code == 400
    assert "Choose the communities whose members can read the post." in without.text
    with pytest.raises(ValidationError, match="your own communities"):
        services.post_create(
            artist=artist,
            by=artist.user,
            content_text=SECRET,
            uploads=[],
            audience=PostAudience.MEMBERS,
            communities=[CommunityFactory()],
        )
    assert not artist.posts.exists()


def test_making_a_public_post_members_only_closes_it_at_once(
    client, community, django_capture_on_commit_callbacks
):
    artist = community.artist
    text = f"{FIRST_LINE}\n{SECRET}"
    post = services.post_create(artist=artist, by=artist.user, content_text=text, uploads=[])
    assert SECRET in client.get("/").text

    client.force_login(artist.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("content:post_edit", args=[post.pk]),
            {"content_text": text, "audience": "members", "communities": [community.pk]},
        )
    client.logout()

    assert SECRET not in client.get(post.get_absolute_url()).text
    assert SECRET not in client.get("/").text
    assert SECRET not in client.get(reverse("content:explore")).text


@pytest.mark.parametrize("communities", [1, 5])
def test_the_teaser_page_runs_the_same_queries_however_many_communities(
    client, django_assert_num_queries, communities
):
    artist = ArtistFactory()
    chosen = [CommunityFactory(artist=artist) for _ in range(communities)]
    post = services.post_create(
        artist=artist,
        by=artist.user,
        content_text=f"{FIRST_LINE}\n{SECRET}",
        uploads=[],
        audience=PostAudience.MEMBERS,
        communities=chosen,
    )

    # the post with the viewer's access, its communities, the Follow button's count
    with django_assert_num_queries(3):
        page = client.get(post.get_absolute_url())

    assert page.text.count("to read</a>") == communities
