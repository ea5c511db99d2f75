"""Querysets compiled once per process (musicplatform.db): their SQL run with each
request's values gives what the ORM would, and what cannot be compiled that way is refused."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F

from accounts.models import User
from accounts.tests.factories import UserFactory
from content import selectors
from content.tests.factories import PostFactory
from musicplatform.db import CompiledInstances, named_placeholders

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
