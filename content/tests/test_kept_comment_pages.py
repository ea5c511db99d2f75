"""What the post page's comments vary on is kept in Redis between changes
(content.selectors.post_comment_page): a viewer's next visit reads no thread rows, and
every change of what the comments show reaches a viewer whose page was already cached,
at their next visit. Each change is also made with the forgetting switched off (the
negative control): the viewer then still sees the page from before it, so each test
fails if its change stops forgetting."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import user_delete_account
from accounts.tests.factories import UserFactory
from content import services
from content.admin import LikeAdmin
from content.models import Comment, Like
from content.services import comment_create, comment_delete, comment_update, like_set
from content.tests.factories import PostFactory

# Each change its own transaction, as each request is: the forgetting is on commit.
pytestmark = pytest.mark.django_db(transaction=True)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def thread_reads(client, post) -> tuple[str, int]:
    """The page, and how many times it read the thread's rows."""
    with CaptureQueriesContext(connection) as queries:
        page = client.get(post.get_absolute_url()).text
    return page, sum("WITH RECURSIVE page" in query["sql"] for query in queries)


def like_count(page: str, comment: Comment) -> str:
    item = re.search(rf'<li class="comment" id="comment-{comment.pk}">.*?</li>', page, re.S)
    return re.search(r'<span class="like-count">(\d+)</span>', item.group()).group(1)


@pytest.fixture
def thread():
    post = PostFactory(content_text="Tour dates are out")
    author = UserFactory(username="ana_sings")
    first = comment_create(user=author, content="Front row please", post=post)
    second = comment_create(user=UserFactory(), content="See you in Lyon", post=post)
    viewer = browser(UserFactory())
    page, reads = thread_reads(viewer, post)  # renders, keeps and stores
    assert "Front row please" in page and reads == 1
    page, reads = thread_reads(viewer, post)
    assert "Front row please" in page and reads == 0  # kept: no rows read
    return {"post": post, "author": author, "first": first, "second": second, "viewer": viewer}


def new_comment(t):
    comment_create(user=UserFactory(), content="Just announced Berlin", post=t["post"])
    return "Just announced Berlin", None


def reply(t):
    comment_create(user=UserFactory(), content="Me too!", post=t["post"], parent=t["first"])
    return "Me too!", None


def edit(t):
    comment_update(comment=t["first"], by=t["author"], content="Balcony please")
    return "Balcony please", "Front row please"


def deletion_by_author(t):
    comment_delete(comment=t["first"], by=t["author"])
    return None, "Front row please"


def removal_by_the_posts_artist(t):
    comment_delete(comment=t["second"], by=t["post"].artist.user)
    return None, "See you in Lyon"


def removal_by_a_moderator(t):
    comment_delete(comment=t["second"], by=UserFactory(), as_moderator=True)
    return None, "See you in Lyon"


def save_from_anywhere(t):  # the admin, a shell
    t["first"].content = "Edited by staff"
    t["first"].save()
    return "Edited by staff", "Front row please"


def hard_deletion(t):
    Comment.objects.filter(pk=t["second"].pk).delete()
    return None, "See you in Lyon"


def rename(t):  # allauth, the admin
    t["author"].username = "ana_on_tour"
    t["author"].save()
    return "ana_on_tour", "ana_sings"


def account_deletion(t):
    user_delete_account(user=t["author"])
    return "former member", "ana_sings"


CHANGES = [
    new_comment,
    reply,
    edit,
    deletion_by_author,
    removal_by_the_posts_artist,
    removal_by_a_moderator,
    save_from_anywhere,
    hard_deletion,
    rename,
    account_deletion,
]


def forgetting_off(monkeypatch):
    """The negative control: the changes forget nothing."""
    monkeypatch.setattr(services, "_thread_keys_forget", lambda *keys: None)


@pytest.mark.parametrize("forgetting", [True, False], ids=["forgetting", "control"])
@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_the_comments_shows_at_the_next_visit(thread, change, forgetting, monkeypatch):
    if not forgetting:
        forgetting_off(monkeypatch)
    shown, gone = change(thread)
    page, reads = thread_reads(thread["viewer"], thread["post"])

    if forgetting:
        assert reads == 1
        assert shown is None or shown in page
        assert gone is None or gone not in page
    else:  # the page from before the change, kept
        assert reads == 0
        assert (shown is not None and shown not in page) or (gone is not None and gone in page)


@pytest.mark.parametrize("forgetting", [True, False], ids=["forgetting", "control"])
def test_a_like_and_an_unlike_of_a_comment_show_at_the_next_visit(thread, forgetting, monkeypatch):
    if not forgetting:
        forgetting_off(monkeypatch)
    fan, first, viewer, post = UserFactory(), thread["first"], thread["viewer"], thread["post"]

    like_set(user=fan, liked=True, comment=first)
    liked_page, _ = thread_reads(viewer, post)
    like_set(user=fan, liked=False, comment=first)
    unliked_page, _ = thread_reads(viewer, post)

    if forgetting:
        assert (like_count(liked_page, first), like_count(unliked_page, first)) == ("1", "0")
    else:
        assert (like_count(liked_page, first), like_count(unliked_page, first)) == ("0", "0")


@pytest.mark.parametrize("forgetting", [True, False], ids=["forgetting", "control"])
def test_likes_added_and_removed_in_the_admin_show_at_the_next_visit(
    thread, forgetting, monkeypatch
):
    if not forgetting:
        forgetting_off(monkeypatch)
    first, viewer, post = thread["first"], thread["viewer"], thread["post"]
    admin = LikeAdmin(Like, None)
    like = Like(user=UserFactory(), comment=first)

    admin.save_model(None, like, None, change=False)
    added, _ = thread_reads(viewer, post)
    admin.delete_queryset(None, Like.objects.filter(pk=like.pk))
    removed, _ = thread_reads(viewer, post)

    expected = ("1", "0") if forgetting else ("0", "0")
    assert (like_count(added, first), like_count(removed, first)) == expected


def test_each_viewer_keeps_their_own_likes_and_comments(thread):
    """What the page varies on differs by viewer (their like, their Edit link): kept per
    viewer, never one viewer's for another."""
    first, post = thread["first"], thread["post"]
    fan = UserFactory()
    like_set(user=fan, liked=True, comment=first)
    fan_browser, author_browser = browser(fan), browser(thread["author"])
    for visit in range(2):  # the second from what was kept
        (fan_page, fan_reads), (author_page, author_reads), (other_page, other_reads) = (
            thread_reads(fan_browser, post),
            thread_reads(author_browser, post),
            thread_reads(thread["viewer"], post),
        )

        assert [fan_reads, author_reads, other_reads] == [1 - visit] * 3
        assert 'aria-pressed="true"' in fan_page
        assert 'aria-pressed="true"' not in author_page + other_page
        assert "/edit/" in author_page
        assert "/edit/" not in fan_page + other_page


@pytest.mark.parametrize("forgetting", [True, False], ids=["forgetting", "control"])
def test_a_like_saved_from_anywhere_shows_at_the_next_visit(thread, forgetting, monkeypatch):
    if not forgetting:
        forgetting_off(monkeypatch)
    first = thread["first"]

    Like.objects.get_or_create(user=UserFactory(), comment=first)  # seed_demo, a shell
    page, _ = thread_reads(thread["viewer"], thread["post"])

    assert like_count(page, first) == ("1" if forgetting else "0")
