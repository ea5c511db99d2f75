"""Querysets compiled once per process (musicplatform.db): their SQL run with each
request's values gives what the ORM would, and what cannot be compiled that way is refused."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalogue.tests.factories import ReleaseFactory
from content import selectors
from content.tests.factories import PostFactory
from musicplatform.db import (
    CompiledInstances,
    CompiledQuery,
    named_placeholders,
    some_id,
    some_text,
    stand_in_viewer,
)
from musicplatform.search import readable_forum_posts

pytestmark = pytest.mark.django_db


def test_a_literal_percent_sign_survives_the_change_to_named_placeholders():
    # A LIKE against another column: the compiled SQL holds literal percent signs ('%%').
    UserFactory(username="ann", email="ann.fan@example.com")
    UserFactory(username="bob", email="someone@example.com")
    matching = (
        User.objects.filter(email__startswith=F("username"))
        .exclude(username="carl")
        .values("username")
    )
    compiled_sql, compiled_params = matching.query.sql_with_params()
    assert "%%" in compiled_sql
    sql, params = named_placeholders(compiled_sql, compiled_params, prefix="inner")

    with connection.cursor() as cursor:
        # The statement it goes into has named placeholders of its own.
        cursor.execute(
            f"SELECT * FROM ({sql}) AS inner_rows WHERE username <> %(skipped)s",  # noqa: S608 - compiled by the ORM
            {**params, "skipped": "nobody"},
        )
        rows = cursor.fetchall()

    assert params == {"inner_0": "carl"}
    assert rows == [("ann",)]


def test_a_value_of_the_request_compiled_into_the_query_is_refused():
    post = PostFactory()
    # Without the stand-in for the time, readable_by() would compile the first request's
    # moment in, and a membership that ends later would still open members-only posts.
    frozen = CompiledInstances(lambda *, viewer, now: selectors.posts_for(viewer))

    with pytest.raises(ImproperlyConfigured, match="holds a value of the request"):
        frozen.in_bulk([post.pk], viewer=UserFactory())


def test_a_like_pattern_is_filled_with_the_request_text_its_wildcards_escaped():
    UserFactory(username="a_b")
    UserFactory(username="axb")
    containing = CompiledQuery(
        lambda *, text: User.objects.filter(username__icontains=text),
        {"text": some_text()},
        required=("text",),
    )

    found = containing.rows(text="A_B")

    # "_" is LIKE's any-character: unescaped, "axb" would be found as well.
    assert [row.instance.username for row in found] == ["a_b"]


def test_a_search_finds_a_title_with_like_wildcards_literally(client):
    ReleaseFactory(title="100% Pure", published_at=timezone.now())
    ReleaseFactory(title="1000 Pure", published_at=timezone.now())

    response = client.get(reverse("search"), {"q": "100%"})

    groups = {group.kind.slug: group for group in response.context["groups"] or []}
    assert [result.title for result in groups["releases"].results] == ["100% Pure"]


def test_a_time_of_the_request_compiled_into_a_search_rule_is_refused():
    # Without the stand-in for the time, the forum topics' access rule would compile the
    # first search's moment in, and a membership that ends later would still open them.
    frozen = CompiledQuery(
        lambda *, viewer_id: readable_forum_posts(
            stand_in_viewer(viewer_id=viewer_id, signed_in=True)
        ),
        {"viewer_id": some_id()},
    )

    with pytest.raises(ImproperlyConfigured, match="holds a value of the request"):
        frozen.rows(viewer_id=UserFactory().pk)


def test_the_values_picked_from_a_row_are_those_read_by_name():
    post = PostFactory()
    cards = CompiledInstances(lambda *, viewer, now: selectors.posts_for(viewer, now=now))
    row = cards.rows([post.pk], viewer=post.artist.user)[post.pk]
    names = ("updated_at", "pk", "artist.artist_name", "mine")

    assert row.pick(names) == tuple(row[name] for name in names)
    assert row.pick(names) == (post.updated_at, post.pk, post.artist.artist_name, True)
    assert row.pick(("mine",)) == (True,)
