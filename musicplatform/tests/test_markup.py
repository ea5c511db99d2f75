"""User text is Markdown rendered through one allow-list (musicplatform/markup.py), on
every page that shows it: markup and scripts written by users never reach the page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from catalogue.tests.factories import ReleaseFactory
from communities.models import ForumType, LiveEventType
from communities.tests.factories import (
    CommunityFactory,
    ForumFactory,
    ForumPostFactory,
    LiveEventFactory,
    LiveEventMessageFactory,
)
from content.tests.factories import CommentFactory, PostFactory, ReviewFactory
from musicplatform import fragments
from musicplatform.markup import render_markdown, render_markdown_inline
from shop.tests.factories import ProductFactory

HOSTILE = (
    "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
    '[click](javascript:alert(3)) <a href="https://evil.example" onclick="steal()">raw</a> '
    "[ok](https://example.com/ok)"
)
SAFE_LINK = '<a href="https://example.com/ok" rel="nofollow ugc noopener">ok</a>'


def _forum_post(text):
    post = ForumPostFactory(content=text)
    return reverse("communities:forum", args=[post.forum.community_id, post.forum_id])


def _chat_message(text):
    forum = ForumFactory(forum_type=ForumType.ALL_CHAT)
    ForumPostFactory(forum=forum, title=None, content=text)
    return reverse("communities:forum", args=[forum.community_id, forum.pk])


def _forum_description(text):
    forum = ForumFactory(description=text)
    return reverse("communities:forum", args=[forum.community_id, forum.pk])


def _community_description(text):
    return reverse("communities:detail", args=[CommunityFactory(description=text).pk])


def _event_description(text):
    event = LiveEventFactory(description=text)
    return reverse("communities:event", args=[event.community_id, event.pk])


def _event_chat_message(text):
    event = LiveEventFactory(event_type=LiveEventType.CHAT)
    LiveEventMessageFactory(event=event, content=text)
    return reverse("communities:event", args=[event.community_id, event.pk])


def _event_question(text):
    event = LiveEventFactory(event_type=LiveEventType.QA)
    LiveEventMessageFactory(event=event, content=text)
    return reverse("communities:event", args=[event.community_id, event.pk])


def _post(text):
    return reverse("content:post_detail", args=[PostFactory(content_text=text).pk])


def _comment(text):
    return reverse("content:post_detail", args=[CommentFactory(content=text).post_id])


def _review(text):
    return reverse("content:review_detail", args=[ReviewFactory(text_content=text).pk])


def _artist_bio(text):
    return ArtistFactory(bio=text).get_absolute_url()


def _profile_bio(text):
    user = UserFactory(bio=text)
    return reverse("accounts:profile", args=[user.username])


def _product_description(text):
    return reverse("shop:product", args=[ProductFactory(description=text).pk])


def _release_description(text):
    return ReleaseFactory(description=text, published_at=timezone.now()).get_absolute_url()


PAGES = [
    _forum_post,
    _chat_message,
    _forum_description,
    _community_description,
    _event_description,
    _event_chat_message,
    _event_question,
    _post,
    _comment,
    _review,
    _artist_bio,
    _profile_bio,
    _product_description,
    _release_description,
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.__name__.strip("_"))
def test_user_text_is_markdown_and_its_markup_and_scripts_are_inert(client, page):
    # Staff see every page, members-only content included.
    client.force_login(UserFactory(is_staff=True))
    response = client.get(page(HOSTILE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert SAFE_LINK in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert '<a href="https://evil.example"' not in html


def test_markdown_keeps_quotes_lists_and_code_and_drops_images_and_headings():
    html = render_markdown(
        "> said\n\n- one\n- two\n\n`x < y`\n\n![pic](https://e.example/p.png)\n\n# Big"
    )
    assert "<blockquote>\n<p>said</p>\n</blockquote>" in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<code>x &lt; y</code>" in html
    assert "<img" not in html
    assert "<h1>" not in html


def test_the_sanitiser_strips_what_the_renderer_would_let_through():
    # A link the renderer accepts but whose scheme is not on the allow-list.
    assert 'href="ftp:' not in render_markdown("[f](ftp://files.example/x)")
    # Chat is one line of phrasing content: no paragraphs or quotes inside it.
    assert "<blockquote>" not in render_markdown_inline("a\n\n> b")


def test_cached_fragments_are_keyed_by_the_markup_version(monkeypatch):
    # Shared HTML rendered under older rules is never served after they change.
    key = fragments.fragment_key("post-card", ("post-id", "updated"))
    monkeypatch.setattr(fragments, "MARKUP_VERSION", fragments.MARKUP_VERSION + 1)
    assert fragments.fragment_key("post-card", ("post-id", "updated")) != key
