"""Arbitrary form data, sent to every view that takes a POST: never a 500, never a partial write.

The views come from the URL resolver through the authorization matrix
(musicplatform/tests/test_authorization.py), and its world of objects is reused: every
view is posted to by a user allowed to use it, with the real field names of its form
(plus the names it reads from request.POST itself and made-up ones) carrying hypothesis'
values: unicode, NUL bytes, huge strings, odd numbers, dates, uuids, lists, files of
random bytes. Missing fields are the optional keys left out. A view whose POST is not
405 must be listed in POST_FIELDS, so a new one cannot be forgotten.

Each example runs in a savepoint rolled back afterwards, so the function-scoped `world`
fixture is the same for every example: the health check about it is suppressed for that
reason. Whatever is refused (a 4xx, a form shown again with errors, an error message)
must leave every table as it was (musicplatform/tests/db_snapshot.py).
"""

import json
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import quote

import pytest
from django.contrib.messages import ERROR
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms import BaseForm
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.forms import ArtistSearchForm, DeleteAccountForm, PreferencesForm, ProfileForm
from accounts.tests.factories import UserFactory
from artists.forms import ArtistProfileForm, PayoutMethodForm, VerificationRequestForm
from catalogue import forms as catalogue_forms
from communities import forms as community_forms
from content.forms import (
    CommentEditForm,
    CommentForm,
    LikeForm,
    PostEditForm,
    PostForm,
    ReviewFieldsForm,
    ReviewForm,
    ShareLinkForm,
)
from musicplatform.forms import SearchForm
from musicplatform.tests import test_authorization as authorization
from musicplatform.tests.db_snapshot import Snapshot, changed_tables, snapshot
from musicplatform.tests.test_authorization import (
    EXPECTED,
    FAN,
    MEMBER,
    OTHER,
    OWNER,
    PATTERNS,
    STAFF,
)
from notifications.forms import EmailPreferencesForm, NotificationListForm
from payments.forms import TestCardForm, TestCardSaveForm
from payments.tests import stripe_stub
from shop.forms import (
    CheckoutForm,
    FeaturedPlacementForm,
    FulfilmentForm,
    ProductFilterForm,
    ProductForm,
    QuantityForm,
    ShippingRateForm,
)
from shop.tests.factories import OrderFactory, PaymentFactory

# The matrix's world of objects and signed-in clients, built once for this module too.
module_world = authorization.module_world
world = authorization.world

BUYER = "buyer"
# Roles tried in this order: the first one the matrix lets use the view posts to it.
ROLE_PREFERENCE = (OWNER, MEMBER, STAFF, OTHER)


def _fields(form_class) -> tuple[str, ...]:
    return tuple(form_class.base_fields)


# Every view that takes a POST, with the names it reads: its form's fields and what it
# reads from request.POST itself. `next` is where several views send the user back.
POST_FIELDS: dict[str, tuple[str, ...]] = {
    # allauth's routes we do not use answer 404 to anything (accounts/leftover_urls.py).
    "leftover:confirm_email_by_key": (),
    "leftover:login_by_code": (),
    "leftover:google_token_login": (),
    "leftover:old_social_prefix": (),
    "accounts:verify_email": (),
    "accounts:onboarding": (*_fields(PreferencesForm), "skip"),
    "accounts:settings_profile": (*_fields(ProfileForm), "remove_picture"),
    "accounts:settings_preferences": (*_fields(PreferencesForm), "skip"),
    "accounts:spotify_import": (),
    "accounts:settings_delete": _fields(DeleteAccountForm),
    "accounts:time_zone_guess": ("time_zone",),
    "artists:become": _fields(ArtistProfileForm),
    "artists:edit": _fields(ArtistProfileForm),
    "artists:verification": _fields(VerificationRequestForm),
    "artists:payouts": _fields(PayoutMethodForm),
    "artists:payout_default": (),
    "artists:payout_delete": (),
    "ledger:connect_start": (),
    # Stripe's signature is checked before anything is read: every fuzzed body is refused.
    "ledger:stripe_webhook": (),
    "content:artist_follow": ("action", "next"),
    "content:post_create": _fields(PostForm),
    "content:post_edit": _fields(PostEditForm),
    "content:post_delete": (),
    "content:post_comment": _fields(CommentForm),
    "content:share_create": _fields(ShareLinkForm),
    "content:comment_edit": _fields(CommentEditForm),
    "content:comment_delete": (),
    "content:like": (*_fields(LikeForm), "next"),
    "content:review_create": _fields(ReviewForm),
    "content:review_edit": _fields(ReviewFieldsForm),
    "content:review_delete": (),
    "content:review_comment": _fields(CommentForm),
    "communities:create": _fields(community_forms.CommunityForm),
    "communities:edit": _fields(community_forms.CommunityForm),
    "communities:subscribe": (),
    "communities:cancel": ("next",),
    "communities:resume": ("next",),
    "communities:accept_price": (*_fields(community_forms.AcceptPriceForm), "next"),
    # The ranks' names carry the communities' ids (rank_<id>): random names never match.
    "communities:tiers": ("next", "rank_1"),
    "communities:tier_change": _fields(community_forms.TierChangeForm),
    "communities:tier_change_cancel": (),
    "communities:leave": (),
    "communities:forum_create": _fields(community_forms.ForumForm),
    "communities:forum": _fields(community_forms.ForumPostForm),
    "communities:post_edit": _fields(community_forms.ForumPostEditForm),
    "communities:post_delete": (),
    "communities:post_pin": ("pinned",),
    "communities:post_answer": (*_fields(community_forms.SuggestionStateForm), "next"),
    "communities:topic": _fields(community_forms.ReplyForm),
    "communities:topic_vote": (*_fields(community_forms.VoteForm), "next"),
    "communities:post_react": (*_fields(community_forms.ReactionForm), "next"),
    "communities:event_create": _fields(community_forms.LiveEventForm),
    "communities:event_status": _fields(community_forms.LiveEventStatusForm),
    "communities:event_messages": _fields(community_forms.ChatMessageForm),
    "communities:question_upvote": (),
    "communities:question_answer": ("next",),
    "communities:flag": (*_fields(community_forms.FlagForm), "next"),
    "communities:item_moderate": (*_fields(community_forms.ItemModerationForm), "next"),
    "communities:member_moderate": (
        "do",
        *(f"mute-{name}" for name in _fields(community_forms.MuteForm)),
        *(f"ban-{name}" for name in _fields(community_forms.BanForm)),
        "next",
    ),
    "communities:moderator_name": _fields(community_forms.ModeratorForm),
    "communities:moderator_remove": (),
    "communities:slow_mode": (*_fields(community_forms.SlowModeForm), "next"),
    "shop:product_create": _fields(ProductForm),
    "shop:product_edit": _fields(ProductForm),
    "shop:featured_new": _fields(FeaturedPlacementForm),
    "shop:cart_add": _fields(QuantityForm),
    "shop:cart_update": _fields(QuantityForm),
    "shop:cart_remove": (),
    "shop:checkout": _fields(CheckoutForm),
    "shop:order_pay": (),
    "shop:order_cancel": (),
    "shop:download_renew": (),
    "shop:fulfilment_item": _fields(FulfilmentForm),
    "shop:shipping_rates": _fields(ShippingRateForm),
    "shop:shipping_rate_delete": (),
    "payments:start": (),
    "payments:test_checkout": _fields(TestCardForm),
    "payments:confirm": (),
    "payments:test_confirm": (),
    # Its body is Stripe's signed JSON; form data of any kind is refused as unsigned.
    "payments:stripe_webhook": (),
    "catalogue:buy": _fields(catalogue_forms.BuyForm),
    "catalogue:track_buy": (),
    "catalogue:wishlist": ("remove",),
    "catalogue:collection_visibility": _fields(catalogue_forms.CollectionVisibilityForm),
    "catalogue:release_new": _fields(catalogue_forms.ReleaseForm),
    "catalogue:release_edit": _fields(catalogue_forms.ReleaseForm),
    "catalogue:track_upload": _fields(catalogue_forms.TrackForm),
    "catalogue:publish": (),
    "catalogue:track_delete": (),
    "billing:add": _fields(TestCardSaveForm),
    "billing:remove": (),
    "notifications:read_all": (),
    "notifications:read": (),
    "notifications:email_preferences": _fields(EmailPreferencesForm),
}

# Views the matrix lets a role use but whose form needs another user to be exercised.
ROLE_OVERRIDES = {
    # The owner already has an artist profile and is sent to edit it.
    "artists:become": FAN,
    # A fan with something in the cart (see `posting`): an empty cart is sent back.
    "shop:checkout": FAN,
}


def role_for(name: str) -> str:
    if name in ROLE_OVERRIDES:
        return ROLE_OVERRIDES[name]
    allowed = [role for role in ROLE_PREFERENCE if EXPECTED[name][role].allowed]
    # Nobody in the matrix but the buyer may use the buyer's own things.
    return allowed[0] if allowed else BUYER


# Values ------------------------------------------------------------------------------------

NASTY = (
    "\x00",
    "a\x00b",
    "",
    " ",
    "-1",
    "-0",
    "0",
    "1",
    "on",
    "NaN",
    "-Infinity",
    "inf",
    "1e400",
    "-1e-400",
    "9" * 40,
    "-" + "9" * 40,
    "2147483648",
    "-9223372036854775809",
    "0.001",
    "99999999.999",
    "1,50",
    "1.2.3",
    "0x1F",
    "١٢٣",
    "²",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59:59",
    "2026-13-40T25:61",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "https://evil.example/",
    "//evil.example",
    "javascript:alert(1)",
    "\u202etxt.exe",
    "𝄞 ♫ ñ 中文 🎸",
    "x" * 100_000,
)

scalar = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals().map(str),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.uuids().map(str),
)
value = st.one_of(scalar, st.lists(scalar, min_size=1, max_size=3))
random_file = st.builds(
    lambda data, name: SimpleUploadedFile(name or "file", data),
    st.binary(max_size=2048),
    st.sampled_from(["a.jpg", "a.png", "a.mp3", "a.pdf", "a.zip", "a.svg", "", "a\x00.jpg"]),
)
# Keys a browser never sends, including ones the multipart encoding cannot hold.
random_key = st.text(min_size=1, max_size=30)


def form_data(names: tuple[str, ...], *, valid: dict | None = None, files: bool = True):
    """The view's own names, each present or not, with any value or file; plus strangers.

    Half the time the rest of the submission is a valid one, so that one odd value gets
    past the form's other checks and reaches the service and the database."""
    known = (
        st.one_of(value, random_file, st.lists(random_file, min_size=1, max_size=2))
        if files
        else value
    )
    return st.tuples(
        st.sampled_from([{}, valid or {}]),
        st.fixed_dictionaries({}, optional=dict.fromkeys(names, known)),
        st.dictionaries(random_key, value, max_size=3),
    ).map(lambda parts: {**parts[2], **parts[0], **parts[1]})


def valid_submission(name: str, world) -> dict:
    """A submission the view accepts from its user: the matrix's, or one made here."""
    today = timezone.localdate()
    artist_id = world["kwargs"]["artists:edit"]["artist_id"]
    product = {**authorization.POST_DATA["shop:product_edit"], "name": "Poster"}
    made_here = {
        "artists:become": {"artist_name": "A new band"},
        "content:post_create": {"artist": artist_id, "content_text": "New song out"},
        "content:review_create": {
            "content_type": "album",
            "content_id": "spotify-album-1",
            "content_name": "Night Drive",
            "artist_name": "The Somebodies",
            "title": "Great",
            "text_content": "Loved it.",
            "rating": "5",
        },
        "communities:create": authorization.POST_DATA["communities:edit"],
        "communities:event_create": {
            "title": "Ask me anything",
            "event_type": "qa",
            "start_time": f"{today + timedelta(days=3)}T18:00",
        },
        "shop:product_create": product,
        "shop:featured_new": {
            "target": f"artist:{artist_id}",
            "start_date": str(today + timedelta(days=1)),
            "end_date": str(today + timedelta(days=7)),
        },
        "shop:checkout": {
            "contact_email": "fan@example.com",
            "checkout_key": str(uuid.uuid4()),
            "name": "Pat Doe",
            "line1": "1 High Street",
            "city": "London",
            "postal_code": "N1 1AA",
            "country": "GB",
        },
    }
    # A copy: callers put their own values (files) in it, which must not leak into the
    # matrix's shared data for the tests after them.
    return dict(made_here.get(name) or authorization.POST_DATA.get(name, {}))


# The world -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def posting(module_world, django_db_blocker):
    """The matrix's clients, plus the buyer's, and a fan with merchandise in the cart."""
    clients = dict(module_world["clients"])
    with django_db_blocker.unblock():
        clients[BUYER] = Client(raise_request_exception=False)
        clients[BUYER].force_login(module_world["buyer"])
        product = module_world["kwargs"]["shop:cart_add"]
        response = clients[FAN].post(reverse("shop:cart_add", kwargs=product), {"quantity": 1})
        assert response.status_code == 302
    return clients


def page_forms(response) -> list[BaseForm]:
    """The forms the response's templates were rendered with."""
    context = response.context
    if context is None:
        return []
    contexts = context if isinstance(context, ContextList) else [context]
    return [
        item
        for layer in contexts
        for item in layer.flatten().values()
        if isinstance(item, BaseForm)
    ]


def refused(response) -> bool:
    """The request was turned down: an error status, an error message, a form with errors."""
    if response.status_code >= 400:
        return True
    if any(message.level >= ERROR for message in getattr(response.wsgi_request, "_messages", [])):
        return True
    return any(form.is_bound and form.errors for form in page_forms(response))


@pytest.fixture
def before(world):
    """The database as every example finds it: each one's writes are rolled back."""
    return snapshot()


@dataclass
class Answer:
    response: HttpResponse
    # The traceback of a 500.
    problem: str | None
    # The tables a refused request changed.
    changed: list[str]

    @property
    def status(self) -> int:
        return self.response.status_code


def submit_undone(
    client: Client, url: str, data: dict, *, before: Snapshot, method: str = "post"
) -> Answer:
    """The request in a savepoint rolled back afterwards. The client keeps its cookies: a
    request that signs the user out (deleting the account) does not sign out the next one."""
    cookies = SimpleCookie(client.cookies)
    try:
        with transaction.atomic():
            response = getattr(client, method)(url, data)
            if response.status_code >= 500:
                exc_info = getattr(response, "exc_info", None)
                problem = "".join(traceback.format_exception(*exc_info)) if exc_info else ""
                transaction.set_rollback(True)
                return Answer(response, problem, [])
            changed = changed_tables(before, snapshot()) if refused(response) else []
            transaction.set_rollback(True)
            return Answer(response, None, changed)
    finally:
        client.cookies = cookies
        cache.clear()


@pytest.mark.parametrize("name", sorted(POST_FIELDS))
# As many examples as the profile says (conftest.py): 25 in `make test`.
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_form_data_is_refused_or_accepted_never_an_error(
    world, posting, before, name, data
):
    url = reverse(name, kwargs=world["kwargs"].get(name))
    valid = valid_submission(name, world)
    submitted = data.draw(form_data(POST_FIELDS[name], valid=valid), label="form data")
    answer = submit_undone(posting[role_for(name)], url, submitted, before=before)
    assert answer.problem is None, f"POST {url} answered {answer.status}:\n{answer.problem}"
    assert answer.changed == [], (
        f"POST {url} was refused ({answer.status}) but changed {answer.changed}"
    )


# Query strings: the views that read request.GET, with the names they read.
GET_FIELDS: dict[str, tuple[str, ...]] = {
    "search": (*_fields(SearchForm), "page"),
    "artists:search": (*_fields(SearchForm), "page"),
    "accounts:onboarding": _fields(ArtistSearchForm),
    "accounts:settings_preferences": _fields(ArtistSearchForm),
    "accounts:settings_export": ("download",),
    "billing:add": ("replaces",),
    "billing:stripe_return": ("session_id",),
    "content:feed": ("before",),
    # The review form takes its initial values from the query string.
    "content:review_create": _fields(ReviewForm),
    "communities:list": ("page",),
    "communities:dashboard": ("page",),
    "communities:forum": (
        *_fields(community_forms.SuggestionFilterForm),
        *_fields(community_forms.TopicCursorForm),
    ),
    "communities:topic": (*_fields(community_forms.TopicCursorForm), "quote", "reply"),
    "communities:mention_suggestions": _fields(community_forms.MentionForm),
    "communities:forum_search": (*_fields(community_forms.ForumSearchForm), "page"),
    "communities:forum_chat": _fields(community_forms.TimeCursorForm),
    "communities:event_messages": _fields(community_forms.SeqCursorForm),
    "shop:list": (*_fields(ProductFilterForm), "page"),
    "shop:manage": ("artist",),
    "shop:shipping_rates": ("artist",),
    "shop:orders": ("page",),
    "purchases": ("page",),
    "shop:fulfilment": ("page",),
    "notifications:list": _fields(NotificationListForm),
}


@pytest.mark.parametrize("name", sorted(GET_FIELDS))
# Half the profile's examples: a query string feeds one small form and writes nothing.
@settings(
    max_examples=settings.default.max_examples // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_arbitrary_query_string_is_never_an_error(world, posting, before, name, data):
    url = reverse(name, kwargs=world["kwargs"].get(name))
    query = data.draw(form_data(GET_FIELDS[name], files=False), label="query")
    answer = submit_undone(posting[role_for(name)], url, query, before=before, method="get")
    assert answer.problem is None, f"GET {url} answered {answer.status}:\n{answer.problem}"


def test_every_view_that_takes_a_post_is_fuzzed(world, posting, before):
    """A view missing from POST_FIELDS must answer 405 to a POST: it takes none."""
    assert sorted(set(POST_FIELDS) - set(PATTERNS)) == [], "fuzzed views that no longer exist"
    unlisted = []
    for name in sorted(set(PATTERNS) - set(POST_FIELDS)):
        url = reverse(name, kwargs=world["kwargs"].get(name))
        status = submit_undone(posting[STAFF], url, {}, before=before).status
        if status != 405:
            unlisted.append(f"{name} answered {status}")
    assert unlisted == [], "views that take a POST but are not in POST_FIELDS"


def test_the_snapshot_sees_a_change_of_content(db):
    """Not only of row counts: an UPDATE shows."""
    user = UserFactory()
    before = snapshot()
    type(user).objects.filter(pk=user.pk).update(full_name=f"changed {uuid.uuid4()}")
    assert "users" in changed_tables(before, snapshot())


# Regressions: the bugs the tests above found, one test per kind ------------------------------


@pytest.mark.parametrize("target", ["a b", "a\x00b", "settings"])
def test_a_next_that_is_not_a_url_is_a_redirect_not_an_error(world, posting, before, target):
    """`next` was given to redirect(), which takes a bare word for a view name to reverse."""
    name = "communities:cancel"
    url = reverse(name, kwargs=world["kwargs"][name])
    answer = submit_undone(posting[role_for(name)], url, {"next": target}, before=before)
    assert answer.problem is None, answer.problem
    assert answer.status == 302


@pytest.mark.parametrize(
    ("name", "field", "far"),
    [
        ("shop:featured_new", "end_date", "9999-12-31"),
        ("communities:event_create", "start_time", "9999-12-31T23:59"),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_refused_with_a_message(
    world, posting, before, name, field, far
):
    """The day after the last day of a placement was computed past the year 9999."""
    url = reverse(name, kwargs=world["kwargs"].get(name))
    data = {**valid_submission(name, world), field: far}
    answer = submit_undone(posting[role_for(name)], url, data, before=before)
    assert answer.problem is None, answer.problem
    assert answer.status == 400
    assert "Choose a date before 2100." in answer.response.content.decode()
    assert answer.changed == []


def test_a_form_shown_again_with_errors_counts_as_refused(world, posting, before):
    """The no-write check applies to a 200 that shows the form's errors, and not to a success."""
    url = reverse("artists:edit", kwargs=world["kwargs"]["artists:edit"])
    client = posting[role_for("artists:edit")]
    shown_again = submit_undone(client, url, {"artist_name": ""}, before=before)
    assert shown_again.status == 200
    assert refused(shown_again.response)
    saved = submit_undone(client, url, {"artist_name": "Renamed"}, before=before)
    assert saved.status == 302
    assert not refused(saved.response)


# Path parameters and query strings of every URL pattern ------------------------------------

# Values for a path parameter: what hypothesis makes, the nasty ones, ids with slashes,
# numbers beyond any column, and real ids of other kinds.
path_value = st.one_of(
    st.sampled_from(NASTY),
    st.text(min_size=1, max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.uuids().map(lambda value: f"{value}/{value}"),
    st.builds(lambda a, b: f"{a}/{b}", st.text(min_size=1, max_size=10), st.text(max_size=10)),
)


def _kwargs_of(name: str, world) -> dict:
    return dict(world["kwargs"].get(name) or {})


def url_with(name: str, world, kwarg: str, raw: str) -> str:
    """The pattern's URL for the world's objects, with `kwarg`'s segment replaced by `raw`
    (percent-encoded as a browser would, slashes kept: ids with slashes)."""
    kwargs = _kwargs_of(name, world)
    url = reverse(name, kwargs=kwargs)
    segment = quote(str(kwargs[kwarg]), safe="")
    return url.replace(segment, quote(raw, safe="/"), 1)


WITH_PARAMETERS = sorted(name for name in PATTERNS if "<" in PATTERNS[name])


@pytest.mark.parametrize("name", WITH_PARAMETERS)
@settings(
    max_examples=settings.default.max_examples // 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_arbitrary_path_parameter_is_never_an_error(world, posting, before, name, data):
    kwarg = data.draw(st.sampled_from(sorted(_kwargs_of(name, world))), label="parameter")
    url = url_with(name, world, kwarg, data.draw(path_value, label="value"))
    client = posting[role_for(name)]
    for method in ("get", "post"):
        answer = submit_undone(client, url, {}, before=before, method=method)
        assert answer.problem is None, f"{method.upper()} {url} answered 500:\n{answer.problem}"
        assert answer.changed == [], f"{method.upper()} {url} changed {answer.changed}"


@pytest.mark.parametrize("name", sorted(PATTERNS))
@settings(
    max_examples=max(settings.default.max_examples // 5, 2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_arbitrary_query_string_on_any_page_is_never_an_error(
    world, posting, before, name, data
):
    """Every pattern, not only the views that read a query: names they read or not, nasty
    values, cursors and timestamps out of range."""
    url = reverse(name, kwargs=world["kwargs"].get(name))
    names = (*GET_FIELDS.get(name, ()), "page", "before", "after", "since", "next", "q")
    query = data.draw(form_data(names, files=False), label="query")
    answer = submit_undone(posting[role_for(name)], url, query, before=before, method="get")
    assert answer.problem is None, f"GET {url} answered {answer.status}:\n{answer.problem}"


@pytest.mark.parametrize(
    ("where", "value"),
    [("path", "a\x00b"), ("path", "a\nb"), ("query", "a\x00b"), ("query", "\x1b[2J")],
)
def test_a_control_character_in_the_address_is_a_400_with_a_message(
    world, posting, before, where, value
):
    name = "shop:product"
    if where == "path":
        url, query = url_with(name, world, "product_id", value), {}
    else:
        url, query = reverse(name, kwargs=world["kwargs"][name]), {"page": value}
    answer = submit_undone(posting[FAN], url, query, before=before, method="get")
    assert answer.status == 400
    assert "control character" in answer.response.content.decode()


def test_an_address_with_a_huge_query_is_a_400_with_a_message(world, posting, before):
    answer = submit_undone(
        posting[FAN], reverse("shop:list"), {"q": "x" * 10_000}, before=before, method="get"
    )
    assert answer.status == 400
    assert "too long" in answer.response.content.decode()


# Webhook payloads: genuinely signed, oddly shaped ------------------------------------------

json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(NASTY[:30]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)
EVENT_TYPES = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.confirmed",
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.expired",
    "charge.succeeded",
    "charge.refunded",
)


def _reshaped(draw_data, shape: dict, *, label: str) -> dict:
    """`shape` with some keys deleted and some values replaced by any JSON."""
    shaped = dict(shape)
    for key in draw_data.draw(st.lists(st.sampled_from(sorted(shape)), max_size=3), label=label):
        if draw_data.draw(st.booleans(), label=f"delete {key}"):
            shaped.pop(key, None)
        else:
            shaped[key] = draw_data.draw(json_value, label=key)
    return shaped


@pytest.mark.django_db
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_signed_webhook_of_any_shape_is_answered_never_an_error(data):
    with (
        override_settings(
            STRIPE_SECRET_KEY="sk_test_suite", STRIPE_WEBHOOK_SECRET=stripe_stub.WEBHOOK_SECRET
        ),
        transaction.atomic(),
    ):
        payment = PaymentFactory(
            order=OrderFactory(), stripe_payment_id=None, payment_method="stripe"
        )
        event_type = data.draw(st.sampled_from(EVENT_TYPES) | st.text(max_size=30), label="type")
        objects = {
            "payment_intent": stripe_stub.payment_intent(payment, pi_id="pi_3Fuzz"),
            "checkout": stripe_stub.checkout_session(payment, pi_id="pi_3Fuzz"),
            "charge": stripe_stub.charge(payment, pi_id="pi_3Fuzz", amount_refunded=100),
        }
        # How the customer paid (charge.succeeded): a card, odd or not, seen by `_paid_with`.
        objects["charge"]["payment_method_details"] = _reshaped(
            data, {"card": {"brand": "visa", "last4": "4242", "wallet": None}}, label="details"
        )
        shape = objects.get(event_type.split(".")[0], objects["payment_intent"])
        obj = _reshaped(data, shape, label="object")
        if obj.get("metadata") is not None and isinstance(obj["metadata"], dict):
            obj["metadata"] = _reshaped(data, obj["metadata"], label="metadata")
        event = _reshaped(data, stripe_stub.event(event_type, obj), label="event")
        body = json.dumps(event)
        response = Client(raise_request_exception=False).post(
            "/payments/webhooks/stripe/",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": stripe_stub.sign(body)},
        )
        transaction.set_rollback(True)
    assert response.status_code < 500, (response.status_code, body)
    if response.status_code >= 400:
        assert response.content, "a refusal says why"
