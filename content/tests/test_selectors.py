from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory, UserPreferencesFactory
from artists.tests.factories import ArtistFactory
from communities.models import ForumPost, ForumType
from communities.tests.factories import (
    CommunityFactory,
    CommunitySubscriptionFactory,
    ForumFactory,
    ForumPostFactory,
)
from content import selectors
from content.models import Post, PostAudience
from content.tests.factories import (
    CommentFactory,
    LikeFactory,
    PostCommunityFactory,
    PostFactory,
    ReviewFactory,
)
from shop.models import FeaturedItemType
from shop.tests.factories import FeaturedItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _follower_of(*artists):
    return UserPreferencesFactory(favorite_artists=[a.pk for a in artists]).user


def _aged(post: Post, minutes: int) -> Post:
    """created_at comes from the database clock; move it to order posts in a test."""
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    post.refresh_from_db()
    return post


# Feed


def test_the_feed_holds_followed_artists_posts_newest_first():
    followed, other = ArtistFactory(), ArtistFactory()
    old = _aged(PostFactory(artist=followed), 30)
    new = _aged(PostFactory(artist=followed), 5)
    PostFactory(artist=other)
    fan = _follower_of(followed)

    page = selectors.feed_page(user=fan)

    assert [entry.item for entry in page.items] == [new, old]


def test_the_feed_holds_posts_of_artists_whose_community_the_fan_joined():
    subscription = CommunitySubscriptionFactory()
    post = PostFactory(artist=subscription.community.artist)

    page = selectors.feed_page(user=subscription.user)

    assert [entry.item for entry in page.items] == [post]


def test_artist_forum_posts_reach_members_only():
    community = CommunityFactory()
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    announcement = ForumPostFactory(forum=forum, user=community.artist.user)
    ForumPostFactory(forum=forum)  # a fan's post in the artist forum stays in the forum
    ForumPostFactory(
        forum=ForumFactory(community=community, forum_type=ForumType.ALL_CHAT),
        user=community.artist.user,
    )
    member = CommunitySubscriptionFactory(community=community).user
    lapsed = CommunitySubscriptionFactory(community=community, is_active=False).user
    # Still `is_active` until the renewal task runs, but its paid period is over.
    expired = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=1)
    ).user
    follower = _follower_of(community.artist)

    assert [e.item for e in selectors.feed_page(user=member).items] == [announcement]
    assert selectors.feed_page(user=lapsed).items == []
    assert selectors.feed_page(user=expired).items == []
    assert selectors.feed_page(user=follower).items == []


def _prepared_feed_statements() -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%feed_keys%"],
        )
        return cursor.fetchall()


def test_the_feeds_prepared_statement_serves_every_viewer_with_its_own_values():
    """The feed's statement is prepared on the connection (musicplatform.db.prepared_rows);
    after its first runs PostgreSQL keeps a generic plan: each viewer and time must still
    be the request's own."""
    community = CommunityFactory()
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    announcement = ForumPostFactory(forum=forum, user=community.artist.user)
    post = PostFactory(artist=community.artist)
    member = CommunitySubscriptionFactory(community=community).user
    expired = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=1)
    ).user
    follower = _follower_of(community.artist)
    stranger = UserFactory()

    for _ in range(4):  # 16 runs: past the five custom plans PostgreSQL makes first
        assert {e.item for e in selectors.feed_page(user=member).items} == {announcement, post}
        assert selectors.feed_page(user=expired).items == []
        assert [e.item for e in selectors.feed_page(user=follower).items] == [post]
        assert selectors.feed_page(user=stranger).items == []

    # Prepared, and the later runs were served by the generic plan.
    assert any(generic for generic, _ in _prepared_feed_statements())


def test_the_feed_without_prepared_statements_reads_the_same(settings):
    post = PostFactory()
    fan = _follower_of(post.artist)
    prepared = [e.item for e in selectors.feed_page(user=fan).items]
    settings.DATABASE_PREPARED_STATEMENTS = False

    with CaptureQueriesContext(connection) as queries:
        assert [e.item for e in selectors.feed_page(user=fan).items] == prepared == [post]
    assert len(queries) == 1


def test_deleted_posts_never_reach_the_feed():
    post = PostFactory()
    Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now())

    assert selectors.feed_page(user=_follower_of(post.artist)).items == []


def test_the_feed_pages_by_keyset_without_gaps_or_repeats(monkeypatch):
    monkeypatch.setattr(selectors, "FEED_PAGE_SIZE", 3)
    community = CommunityFactory()
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    posts = [_aged(PostFactory(artist=community.artist), minutes) for minutes in range(1, 6)]
    forum_post = ForumPostFactory(forum=forum, user=community.artist.user)
    fan = CommunitySubscriptionFactory(community=community).user

    seen, before = [], None
    while True:
        page = selectors.feed_page(user=fan, before=before)
        seen += [entry.item.pk for entry in page.items]
        if page.next_cursor is None:
            break
        before = selectors.decode_cursor(page.next_cursor)

    assert seen == [forum_post.pk, *[p.pk for p in posts]]


def test_the_feed_interleaves_posts_and_artist_forum_posts_page_by_page(monkeypatch):
    """Posts and forum posts come from one statement: pages cut across both, in time order."""
    monkeypatch.setattr(selectors, "FEED_PAGE_SIZE", 2)
    community = CommunityFactory()
    forum = ForumFactory(community=community, forum_type=ForumType.ARTIST_FORUM)
    items = []
    for minutes in range(1, 7):
        if minutes % 2:
            items.append(_aged(PostFactory(artist=community.artist), minutes))
        else:
            forum_post = ForumPostFactory(forum=forum, user=community.artist.user)
            ForumPost.objects.filter(pk=forum_post.pk).update(
                created_at=timezone.now() - timedelta(minutes=minutes)
            )
            items.append(forum_post)
    fan = CommunitySubscriptionFactory(community=community).user

    pages, before = [], None
    while True:
        page = selectors.feed_page(user=fan, before=before)
        pages.append([(entry.kind, entry.item.pk) for entry in page.items])
        if page.next_cursor is None:
            break
        before = selectors.decode_cursor(page.next_cursor)

    expected = [("post" if isinstance(i, Post) else "forum_post", i.pk) for i in items]
    assert pages == [expected[0:2], expected[2:4], expected[4:6]]


def test_the_feed_interleaves_a_busy_and_a_quiet_artist_page_by_page(monkeypatch):
    """Each artist's newest posts are read separately; every page is still in time order."""
    monkeypatch.setattr(selectors, "FEED_PAGE_SIZE", 2)
    busy, quiet = ArtistFactory(), ArtistFactory()
    posts = [_aged(PostFactory(artist=busy), minutes) for minutes in (1, 2, 4, 6, 7)]
    posts[2:2] = [_aged(PostFactory(artist=quiet), 3)]
    posts[4:4] = [_aged(PostFactory(artist=quiet), 5)]
    PostFactory(artist=ArtistFactory())  # not followed
    fan = _follower_of(busy, quiet)

    pages, before = [], None
    while True:
        page = selectors.feed_page(user=fan, before=before)
        pages.append([entry.item.pk for entry in page.items])
        if page.next_cursor is None:
            break
        before = selectors.decode_cursor(page.next_cursor)

    expected = [post.pk for post in posts]
    assert pages == [expected[0:2], expected[2:4], expected[4:6], expected[6:7]]


def test_an_empty_feed_suggests_artists_not_yet_followed():
    followed = ArtistFactory()
    featured = ArtistFactory(featured=True)
    fan = _follower_of(followed)

    page = selectors.feed_page(user=fan)

    assert page.items == []
    assert featured in page.suggested_artists
    assert followed not in page.suggested_artists


def test_an_artist_is_not_suggested_to_follow_themselves():
    artist = ArtistFactory(featured=True)

    page = selectors.feed_page(user=artist.user)

    assert artist not in page.suggested_artists


def test_a_forged_cursor_is_rejected():
    with pytest.raises(ValueError):
        selectors.decode_cursor("bm90LWEtY3Vyc29y")


# Counts


def test_posts_carry_like_and_comment_counts_and_the_viewers_like():
    post = PostFactory()
    fan = UserFactory()
    LikeFactory(post=post, user=fan)
    LikeFactory(post=post)
    CommentFactory(post=post)
    CommentFactory(post=post, deleted_at=timezone.now())

    annotated = selectors.posts_for(fan).get(pk=post.pk)

    assert (annotated.like_count, annotated.comment_count, annotated.liked) == (2, 1, True)


# Comment threads


def _comment(minutes_ago: int, **fields):
    """created_at comes from the database clock; set it to order comments in a test."""
    return CommentFactory(created_at=timezone.now() - timedelta(minutes=minutes_ago), **fields)


def test_a_page_holds_the_newest_comments_and_its_cursor_leads_to_the_rest():
    post = PostFactory()
    comments = [_comment(minutes, post=post) for minutes in range(25)]  # newest first
    _comment(0, post=PostFactory())

    first = selectors.comment_page(viewer=None, post=post)
    second = selectors.comment_page(
        viewer=None, post=post, before=selectors.decode_cursor(first.next_cursor)
    )

    assert [node.comment for node in first.nodes] == comments[:20]
    assert [node.comment for node in second.nodes] == comments[20:]
    assert second.next_cursor is None


def test_replies_are_shown_three_per_comment_two_levels_deep_and_the_rest_counted():
    post = PostFactory()
    root = _comment(100, post=post)
    replies = [_comment(90 - n, post=post, parent_comment=root) for n in range(5)]
    answers = [_comment(50 - n, post=post, parent_comment=replies[-1]) for n in range(4)]
    deepest = _comment(10, post=post, parent_comment=answers[-1])

    (node,) = selectors.comment_page(viewer=None, post=post).nodes

    assert [child.comment for child in node.children] == replies[:1:-1]
    assert (node.comment.reply_count, node.hidden_replies) == (5, 2)
    assert selectors.decode_cursor(node.replies_cursor) == (replies[2].created_at, replies[2].pk)
    newest_reply = node.children[0]
    assert [child.comment for child in newest_reply.children] == answers[:0:-1]
    assert newest_reply.hidden_replies == 1
    # The third level is not read: its comment says how many replies wait behind a link.
    assert newest_reply.children[0].children == []
    assert newest_reply.children[0].hidden_replies == 1
    more = selectors.comment_page(viewer=None, parent=answers[-1])
    assert [n.comment for n in more.nodes] == [deepest]


def test_the_replies_page_continues_after_the_replies_shown():
    root = _comment(100)
    replies = [_comment(90 - n, post=root.post, parent_comment=root) for n in range(5)]
    (node,) = selectors.comment_page(viewer=None, post=root.post).nodes

    rest = selectors.comment_page(
        viewer=None, parent=root, before=selectors.decode_cursor(node.replies_cursor)
    )

    assert [n.comment for n in rest.nodes] == replies[1::-1]


def test_a_deleted_comment_with_replies_stays_as_a_placeholder_without_its_text():
    post = PostFactory()
    parent = CommentFactory(post=post, content="Secret", deleted_at=timezone.now())
    reply = CommentFactory(post=post, parent_comment=parent)
    CommentFactory(post=post, deleted_at=timezone.now())
    CommentFactory(post=post, parent_comment=parent, deleted_at=timezone.now())

    thread = selectors.comment_page(viewer=None, post=post).nodes

    assert len(thread) == 1
    assert thread[0].comment.content == ""
    assert [child.comment for child in thread[0].children] == [reply]
    assert thread[0].hidden_replies == 0


def test_comment_likes_are_counted_and_the_viewers_own_is_marked():
    comment = CommentFactory()
    reply = CommentFactory(post=comment.post, parent_comment=comment)
    fan = UserFactory()
    LikeFactory(on_comment=True, comment=reply, user=fan)
    LikeFactory(on_comment=True, comment=reply)

    (node,) = selectors.comment_page(viewer=fan, post=comment.post).nodes

    assert (node.comment.like_count, node.comment.liked) == (0, False)
    assert (node.children[0].comment.like_count, node.children[0].comment.liked) == (2, True)


# Reviews


def test_the_rating_summary_has_the_average_and_distribution():
    for rating in (5, 5, 4, 1):
        ReviewFactory(content_id="album-1", rating=rating)
    ReviewFactory(content_id="other", rating=1)

    item = selectors.reviewed_item(viewer=None, content_type="album", content_id="album-1")

    assert item["summary"].count == 4
    assert item["summary"].average == 3.8
    assert item["summary"].distribution == [
        (5, 2, 50),
        (4, 1, 25),
        (3, 0, 0),
        (2, 0, 0),
        (1, 1, 25),
    ]


# Explore


def test_explore_shows_featured_items_in_their_window_by_position():
    now = timezone.now()
    second = FeaturedItemFactory(position=2)
    first = FeaturedItemFactory(position=1)
    FeaturedItemFactory(end_date=now - timedelta(days=1))
    FeaturedItemFactory(start_date=now + timedelta(days=1))
    product = ProductFactory()
    FeaturedItemFactory(item_type=FeaturedItemType.PRODUCT, item_id=str(product.pk))
    review = ReviewFactory(content_type="song", content_name="Shine")
    FeaturedItemFactory(item_type=FeaturedItemType.SONG, item_id=review.content_id)

    featured = selectors.ExplorePage(viewer=AnonymousUser()).featured

    assert [str(a.pk) for a in featured["artists"]] == [first.item_id, second.item_id]
    assert featured["products"] == [product]
    assert featured["songs"][0]["content_name"] == "Shine"


def test_popular_posts_are_this_weeks_most_liked():
    quiet = PostFactory()
    loved = PostFactory()
    LikeFactory.create_batch(3, post=loved)
    LikeFactory(post=quiet)
    old = _aged(PostFactory(), 60 * 24 * 8)
    LikeFactory.create_batch(5, post=old)

    popular = selectors.ExplorePage(viewer=AnonymousUser()).popular_posts

    assert popular == [loved, quiet]


def test_explore_serves_featured_items_from_redis_until_one_changes(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    viewer = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        featured = FeaturedItemFactory()
    assert selectors.ExplorePage(viewer=viewer).featured["artists"]  # now cached

    with CaptureQueriesContext(connection) as warm:
        first = selectors.ExplorePage(viewer=viewer).featured
    with django_capture_on_commit_callbacks(execute=True):
        featured.delete()
    with CaptureQueriesContext(connection) as after_change:
        second = selectors.ExplorePage(viewer=viewer).featured

    assert len(warm) < len(after_change)
    assert first["artists"] and not second["artists"]


# Post cards, compiled once per process


def _card(post: Post) -> tuple:
    return (*post.card_vary, post.artist.artist_name, post.content_text, post.like_count)


def test_post_cards_are_posts_for_of_every_kind_of_viewer():
    community = CommunityFactory()
    artist = community.artist
    public = PostFactory(artist=artist)
    members_only = PostFactory(artist=artist, audience=PostAudience.MEMBERS)
    PostCommunityFactory(post=members_only, community=community)
    deleted = PostFactory(artist=artist, deleted_at=timezone.now())
    fan = UserFactory()
    LikeFactory(post=public, user=fan)
    LikeFactory(post=members_only)
    CommentFactory(post=public)
    member = CommunitySubscriptionFactory(community=community).user
    # Still `is_active`, but the paid period is over: the time must be this request's.
    lapsed = CommunitySubscriptionFactory(
        community=community, end_date=timezone.now() - timedelta(days=1)
    ).user
    viewers = {
        "signed out": AnonymousUser(),
        "fan": fan,
        "member": member,
        "lapsed member": lapsed,
        "artist": artist.user,
        "staff": UserFactory(is_staff=True),
    }
    ids = [public.pk, members_only.pk, deleted.pk]

    for kind, viewer in viewers.items():
        cards = selectors.post_cards(viewer=viewer, post_ids=ids)
        expected = selectors.posts_for(viewer).in_bulk(ids)
        assert {pk: _card(post) for pk, post in cards.items()} == {
            pk: _card(post) for pk, post in expected.items()
        }, kind
    readable = {
        kind: selectors.post_cards(viewer=viewer, post_ids=ids)[members_only.pk].readable
        for kind, viewer in viewers.items()
    }
    assert readable == {
        "signed out": False,
        "fan": False,
        "member": True,
        "lapsed member": False,
        "artist": True,
        "staff": True,
    }
    assert selectors.post_cards(viewer=fan, post_ids=ids)[public.pk].liked is True
    assert deleted.pk not in selectors.post_cards(viewer=fan, post_ids=ids)


def test_the_feed_varies_on_what_its_cards_show_without_making_the_posts():
    subscription = CommunitySubscriptionFactory()
    artist = subscription.community.artist
    liked = PostFactory(artist=artist)
    members_only = PostFactory(artist=artist, audience=PostAudience.MEMBERS)
    PostCommunityFactory(post=members_only, community=subscription.community)
    LikeFactory(post=liked, user=subscription.user)
    CommentFactory(post=liked)

    page = selectors.feed_page(user=subscription.user)
    varies = [entry.vary for entry in page.items]

    assert varies == [entry.item.card_vary for entry in page.items]
    assert {(vary[0], vary[5], vary[8]) for vary in varies} == {
        (liked.pk, True, True),
        (members_only.pk, False, True),
    }
