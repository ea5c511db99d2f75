"""Rendered HTML shared between viewers: `{% fragment %}` and what fills it in per request.

Rendering, not SQL, is what the busiest pages spend their time on (docs/performance.md):
about a millisecond of CPU per post card or comment. A fragment caches the HTML of one
part of a page in Redis for `FRAGMENT_CACHE_SECONDS`, under its name and the values it
varies on (`musicplatform/templatetags/fragments.py`), so that one viewer's rendering
serves the next.

Two things inside a shared fragment differ for every request and so are never cached:
the CSRF token of its forms and the page's own address (the `next` of its forms). They
are rendered as placeholders, which `FragmentPlaceholderMiddleware` replaces in the
response. The placeholders are derived from SECRET_KEY, so no text a user writes can
contain them.

Everything else that depends on the viewer must be among the values a fragment varies
on (whether the viewer is signed in always is). What is cached may be up to
`FRAGMENT_CACHE_SECONDS` old for other viewers; a browser that wrote within that time
(`musicplatform.routers.seconds_since_write`) renders its fragments afresh and stores
them, so its own comment, like or edit shows at once, and after that to everyone.
"""

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from musicplatform.markup import MARKUP_VERSION
from musicplatform.routers import seconds_since_write

_SECRET = salted_hmac("musicplatform.fragments", "placeholders", algorithm="sha256")
CSRF_PLACEHOLDER = f"csrf-{_SECRET.hexdigest()[:24]}"
PATH_PLACEHOLDER = f"path-{_SECRET.hexdigest()[:24]}"
_USES_PLACEHOLDERS = "_fragment_placeholders"
_MASKED_CSRF = "_masked_csrf"
_READ_AHEAD = "_fragments_read_ahead"


def fragment_key(name: str, vary_on: tuple) -> str:
    # repr() of the values a fragment varies on (ids, times, counts, flags) is the same
    # in every process, unlike hash().
    digest = hashlib.blake2b(repr(vary_on).encode(), digest_size=16).hexdigest()
    return f"fragment:{name}:m{MARKUP_VERSION}:{digest}"


def _key_for(request: HttpRequest, name: str, vary_on: tuple) -> str:
    # Times inside are written in the viewer's time zone (`{% when %}`).
    zone = getattr(request.user, "time_zone", "")
    return fragment_key(name, (request.user.is_authenticated, zone, *vary_on))


def _reads_cache(request: HttpRequest) -> bool:
    """A browser that wrote within the fragments' lifetime renders them afresh (the module's
    docstring)."""
    return seconds_since_write(request) >= settings.FRAGMENT_CACHE_SECONDS


def read_fragments(request: HttpRequest, fragments: Iterable[tuple[str, tuple]]) -> set[str]:
    """Reads these fragments (name, the values it varies on: the template's own, which
    must be hashable) in one round trip to Redis, before the template renders them: a
    page holding several paid a GET each. Their `{% fragment %}`s then find their HTML
    here, or know it missing and render it, without reading Redis again; a fragment not
    named here reads it alone. Returns the names of those missing (to be rendered)."""
    keyed = {(name, vary_on): _key_for(request, name, vary_on) for name, vary_on in fragments}
    if not keyed:
        return set()
    found = cache.get_many(list(keyed.values())) if _reads_cache(request) else {}
    read = getattr(request, _READ_AHEAD, None)
    if read is None:
        read = {}
        setattr(request, _READ_AHEAD, read)
    # By name and values, which the template's node gives: its key is not made twice
    # (a page of comments' values are a few hundred).
    for named, key in keyed.items():
        read[named] = (key, found.get(key))
    return {name for (name, _), key in keyed.items() if key not in found}


def _read_ahead(request: HttpRequest, name: str, vary_on: tuple) -> tuple[str, str | None] | None:
    """(key, HTML or None) of a fragment `read_fragments` read, else None."""
    read = getattr(request, _READ_AHEAD, None)
    if read is None:
        return None
    try:
        return read.get((name, vary_on))
    except TypeError:  # a value that is no dictionary key (a list): not read ahead
        return None


def render_fragment(
    *, request: HttpRequest, name: str, vary_on: tuple, render: Callable[[], str]
) -> str:
    """The fragment's HTML from the cache (read ahead by `read_fragments`, or now), or
    `render()` (with placeholders) stored there.

    HTML, not text: a template node's output goes into the page as it is.
    """
    setattr(request, _USES_PLACEHOLDERS, True)
    read_ahead = _read_ahead(request, name, vary_on)
    if read_ahead is not None:
        key, html = read_ahead
    else:
        key = _key_for(request, name, vary_on)
        html = cache.get(key) if _reads_cache(request) else None
    if html is not None:
        return html
    html = str(render())
    cache.set(key, html, settings.FRAGMENT_CACHE_SECONDS)
    return html


def response_csrf_token(request: HttpRequest) -> str:
    """The CSRF token this response carries, masked once (the `csrf_token` of templates
    too, musicplatform.context_processors).

    Django masks the secret anew at each `get_token()` (against BREACH, which needs the
    same secret to read differently in each response), and the page's htmx headers and
    its placeholders each took one. Once per response is as safe. Masked again if the
    secret changes during the request (signing in rotates it).
    """
    masked = getattr(request, _MASKED_CSRF, None)
    secret = request.META.get("CSRF_COOKIE")
    if masked is not None and secret is not None and masked[0] == secret:
        return masked[1]
    token = _csrf_token(request)
    setattr(request, _MASKED_CSRF, (request.META["CSRF_COOKIE"], token))
    return token


# Django's `get_token()` draws its mask (and a new visitor's secret) one character at a
# time, 32 `SystemRandom` calls each: about 0.1 ms of CPU on every page with a form or
# htmx. Here both come from one `secrets.token_bytes()` call, with the same alphabet,
# length and uniform distribution, and the token is made as Django's
# `_mask_cipher_secret()` makes it, so that CsrfViewMiddleware unmasks and checks it.
_CSRF_CHAR_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes from this value up are dropped, so that `byte % 62` is uniform (248 = 4 * 62).
_CSRF_UNBIASED_BYTES = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def _random_csrf_indexes() -> list[int]:
    """32 positions in Django's CSRF alphabet, each uniform and from the system's CSPRNG."""
    indexes: list[int] = []
    while len(indexes) < CSRF_SECRET_LENGTH:
        indexes += [
            byte % len(CSRF_ALLOWED_CHARS)
            for byte in secrets.token_bytes(CSRF_SECRET_LENGTH + 8)
            if byte < _CSRF_UNBIASED_BYTES
        ]
    return indexes[:CSRF_SECRET_LENGTH]


def _csrf_token(request: HttpRequest) -> str:
    """`django.middleware.csrf.get_token()`, with the random draws above: the secret
    (new if the visitor has none) is flagged for CsrfViewMiddleware to set its cookie."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        secret = "".join(CSRF_ALLOWED_CHARS[index] for index in _random_csrf_indexes())
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_csrf_indexes()
    chars, count = CSRF_ALLOWED_CHARS, len(CSRF_ALLOWED_CHARS)
    cipher = (
        chars[(_CSRF_CHAR_INDEX[char] + step) % count]
        for char, step in zip(secret, mask, strict=True)
    )
    return "".join(chars[step] for step in mask) + "".join(cipher)


def fill_placeholders(content: bytes, request: HttpRequest) -> bytes:
    return content.replace(
        CSRF_PLACEHOLDER.encode(), response_csrf_token(request).encode()
    ).replace(PATH_PLACEHOLDER.encode(), escape(request.get_full_path()).encode())


class FragmentPlaceholderMiddleware:
    """Puts this request's CSRF token and address where the fragments hold placeholders.

    Listed after CsrfViewMiddleware, so that it runs first on the way out: taking the
    token here must still set the CSRF cookie of a visitor who has none.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _USES_PLACEHOLDERS, False) and not response.streaming:
            response.content = fill_placeholders(response.content, request)
        return response


# The site header (templates/base.html's `{% site_header %}`) ------------------------------
#
# Every HTML page renders it, and rendering it was about a millisecond of CPU: most of what
# an empty signed-in page costs beyond the bare view. A signed-in user's header is kept
# under the user's id, with the values it shows (name, roles, unread and cart counts…),
# and used only while they are still those values: a change shows at once, and one user's
# header can never be another's (the key is the user's, and the name is among the values).
# Its key is read in the session's own round trip (accounts.apps). Signed out, the header
# is the same for everyone with as many items in the cart: one entry per count.
#
# The link to the page's own section is marked (`aria-current`) per request: inside the
# cached HTML each section's link holds a placeholder, so one entry serves every page.

HEADER_CACHE_SECONDS = 15 * 60
_SECTION_PLACEHOLDER = f"here-{_SECRET.hexdigest()[24:48]}"
_SECTION_PLACEHOLDERS = re.compile(rf"{_SECTION_PLACEHOLDER}:([\w:.-]+);")
CURRENT_PAGE = ' aria-current="page"'


class _SectionsMarked:
    """The `here` (the page's view name) a cached header is rendered with: each section's
    link writes its placeholder instead of comparing (`{% aria_current %}`)."""


SECTIONS_MARKED = _SectionsMarked()


def section_placeholder(view_name: str) -> str:
    return f"{_SECTION_PLACEHOLDER}:{view_name};"


def user_header_key(user_id) -> str:
    return f"fragment:header:m{MARKUP_VERSION}:{user_id}"


# Signed out, the header differs only by the number of items in the cart (and the script
# prefix, and base.html's source): kept in the process, where reading it costs nothing,
# unlike a round trip to Redis (measured: more than rendering it). A few variants.
ANONYMOUS_HEADERS_KEPT = 32
_ANONYMOUS_HEADERS: dict[tuple, str] = {}


def render_site_header(
    *, request: HttpRequest, vary_on: tuple, render: Callable[[], str], here: str
) -> str:
    """The header's HTML for this request: cached (see above), or `render()` (with
    placeholders for the CSRF token and the sections) stored; then marked for `here`, and
    given this response's token here rather than by FragmentPlaceholderMiddleware, which
    pages answered by an outer middleware (a 400 for a NUL in the address) never reach."""
    user = request.user
    if user.is_authenticated:
        key = user_header_key(user.pk)
        read_along = getattr(request, "read_with_the_user", None)
        stored = read_along.get(key) if read_along is not None else cache.get(key)
        if stored is not None and stored[0] == vary_on:
            html = stored[1]
        else:
            html = str(render())
            cache.set(key, (vary_on, html), HEADER_CACHE_SECONDS)
    else:
        html = _ANONYMOUS_HEADERS.get(vary_on)
        if html is None:
            html = str(render())
            if len(_ANONYMOUS_HEADERS) >= ANONYMOUS_HEADERS_KEPT:
                _ANONYMOUS_HEADERS.clear()
            _ANONYMOUS_HEADERS[vary_on] = html
    html = _SECTION_PLACEHOLDERS.sub(
        lambda placeholder: CURRENT_PAGE if placeholder[1] == here else "", html
    )
    if CSRF_PLACEHOLDER in html:  # signed in: the log-out form
        html = html.replace(CSRF_PLACEHOLDER, response_csrf_token(request))
    return html
