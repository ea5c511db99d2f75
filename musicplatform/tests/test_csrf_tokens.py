"""The CSRF tokens our pages carry (`response_csrf_token`, musicplatform/fragments.py) are
masked by us, not by Django's `get_token()`: Django's own check must accept them, refuse
them with another browser's secret, and each response must read differently (BREACH)."""

from collections import Counter

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CsrfViewMiddleware,
    _check_token_format,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from musicplatform.fragments import response_csrf_token

SECRET = "abcdefghijABCDEFGHIJ0123456789xy"
OTHER_SECRET = "zyxwvutsrqZYXWVUTSRQ9876543210ab"


def view(request):
    return HttpResponse("done")


def post_with(token: str, *, cookie: str) -> int:
    """The status CsrfViewMiddleware answers a form sent with `token`, from a browser whose
    CSRF cookie holds `cookie`."""
    factory = RequestFactory()
    factory.cookies[settings.CSRF_COOKIE_NAME] = cookie
    request = factory.post("/", {"csrfmiddlewaretoken": token})
    request._dont_enforce_csrf_checks = False
    middleware = CsrfViewMiddleware(view)
    middleware.process_request(request)
    refused = middleware.process_view(request, view, (), {})
    return 200 if refused is None else refused.status_code


def token_for(secret: str) -> str:
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    return response_csrf_token(request)


def test_djangos_check_accepts_our_tokens_for_the_browsers_secret():
    for _ in range(50):
        token = token_for(SECRET)
        _check_token_format(token)
        assert _unmask_cipher_token(token) == SECRET
        assert post_with(token, cookie=SECRET) == 200


def test_djangos_check_refuses_our_token_made_for_another_secret():
    token = token_for(OTHER_SECRET)

    assert post_with(token, cookie=SECRET) == 403
    assert post_with(token, cookie=OTHER_SECRET) == 200


def test_a_visitor_without_a_secret_gets_a_new_one_that_the_cookie_will_carry():
    request = RequestFactory().get("/")
    token = response_csrf_token(request)
    secret = request.META["CSRF_COOKIE"]

    _check_token_format(secret)
    assert len(secret) == CSRF_SECRET_LENGTH
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert post_with(token, cookie=secret) == 200
    assert token_for(secret) != token  # the next response reads differently


def test_each_response_reads_differently_and_every_character_is_as_likely():
    tokens = [token_for(SECRET) for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)

    # Without dropping the bytes 248-255, `byte % 62` makes the first 8 characters a
    # quarter likelier than the others in the mask: 1 250 draws each against 1 000 here.
    counts = Counter(char for token in tokens for char in token[:CSRF_SECRET_LENGTH])
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    first_eight = sum(counts[char] for char in CSRF_ALLOWED_CHARS[:8]) / 8
    the_others = sum(counts[char] for char in CSRF_ALLOWED_CHARS[8:]) / 54
    assert abs(first_eight / the_others - 1) < 0.1
