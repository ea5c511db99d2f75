"""Issue 17, item 3: a deleted user shows as "former member" wherever a name is shown."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import FORMER_MEMBER
from accounts.tests.factories import UserFactory, verified_user
from communities.models import CommunitySubscription, ForumType, LiveEventStatus
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from content.tests.factories import CommentFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def former(db):
    """A fan whose account each test deletes once their content exists."""
    return UserFactory(username="leaving_fan")


def deleted(user):
    services.user_delete_account(user=user)
    user.refresh_from_db()
    return user


def assert_shows_former_member(page: str, user) -> None:
    assert FORMER_MEMBER in page
    assert user.username not in page  # the technical deleted-<hex> name
    assert "leaving_fan" not in page


def test_the_display_name_of_a_deleted_user_is_former_member_and_others_keep_theirs():
    stays = UserFactory(username="staying_fan")
    deactivated = UserFactory(username="paused_fan", deleted_at=timezone.now())
    gone = deleted(UserFactory(username="leaving_fan"))

    assert gone.username.startswith("deleted-")
    assert (gone.display_name, stays.display_name, deactivated.display_name) == (
        FORMER_MEMBER,
        "staying_fan",
        "paused_fan",
    )


def test_comments_and_replies_of_a_deleted_user_say_former_member(client, former):
    comment = CommentFactory(user=former, content="First!")
    CommentFactory(post=comment.post, parent_comment=comment, user=former, content="Again")
    deleted(former)
    client.force_login(verified_user())

    post_page = client.get(reverse("content:post_detail", args=[comment.post.pk])).text
    replies = client.get(reverse("content:comment_replies", args=[comment.pk])).text

    assert "First!" in post_page
    assert_shows_former_member(post_page, former)
    assert_shows_former_member(replies, former)


def test_reviews_of_a_deleted_user_say_former_member(client, former):
    review = ReviewFactory(user=former, title="A fine record")
    deleted(former)
    client.force_login(verified_user())

    review_page = client.get(reverse("content:review_detail", args=[review.pk])).text
    artist_page = client.get(review.artist.get_absolute_url()).text

    assert "A fine record" in review_page
    assert_shows_former_member(review_page, former)
    assert_shows_former_member(artist_page, former)


def test_forum_posts_chat_and_live_messages_of_a_deleted_user_say_former_member(client, former):
    community = CommunityFactory()
    artist = community.artist.user
    board = ForumFactory(community=community, forum_type=ForumType.SUGGESTIONS)
    chat = ForumFactory(community=community, forum_type=ForumType.ALL_CHAT)
    ForumPostFactory(forum=board, user=former, title="More vinyl please")
    ForumPostFactory(forum=chat, user=former, title=None, content="hello all")
    qa = LiveEventFactory(community=community, status=LiveEventStatus.LIVE)
    LiveEventMessageFactory(event=qa, user=former, content="When is the tour?")
    chat_event = LiveEventFactory(
        community=community, status=LiveEventStatus.LIVE, event_type="chat"
    )
    LiveEventMessageFactory(event=chat_event, user=former, content="so good")
    CommunitySubscriptionFactory(community=community, user=former)
    deleted(former)
    client.force_login(artist)

    pages = {
        "suggestions": reverse("communities:forum", args=[community.pk, board.pk]),
        "chat": reverse("communities:forum", args=[community.pk, chat.pk]),
        "q&a": reverse("communities:event", args=[community.pk, qa.pk]),
        "live chat": reverse("communities:event", args=[community.pk, chat_event.pk]),
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert_shows_former_member(response.text, former)


def test_the_artists_member_list_leaves_out_a_deleted_user_whose_row_was_left_active(
    client, former
):
    community = CommunityFactory()
    CommunitySubscriptionFactory(community=community, user=former)
    CommunitySubscriptionFactory(community=community, user=verified_user(username="staying"))
    # Deleting the account ends the membership; should a row be left active, a deleted user
    # is still no member (CommunitySubscription.objects.members()).
    services.user_delete_account(user=former)
    CommunitySubscription.objects.filter(user=former).update(is_active=True)
    client.force_login(community.artist.user)

    page = client.get(reverse("communities:dashboard", args=[community.pk])).text

    assert "staying" in page
    assert FORMER_MEMBER not in page
