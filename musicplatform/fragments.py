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
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.crypto import salted_hmac
from django.utils.html import escape

from musicplatform.markup import MARKUP_VERSION
from musicplatform.routers import seconds_since_write

_SECRET = salted_hmac("musicplatform.fragments", "placeholders", algorithm="sha256")
CSRF_PLACEHOLDER = f"csrf-{_SECRET.hexdigest()[:24]}"
PATH_PLACEHOLDER = f"path-{_SECRET.hexdigest()[:24]}"
_USES_PLACEHOLDERS = "_fragment_placeholders"


def fragment_key(name: str, vary_on: tuple) -> str:
    # repr() of the values a fragment varies on (ids, times, counts, flags) is the same
    # in every process, unlike hash().
    digest = hashlib.blake2b(repr(vary_on).encode(), digest_size=16).hexdigest()
    return f"fragment:{name}:m{MARKUP_VERSION}:{digest}"


def render_fragment(
    *, request: HttpRequest, name: str, vary_on: tuple, render: Callable[[], str]
) -> str:
    """The fragment's HTML from the cache, or `render()` (with placeholders) stored there.

    HTML, not text: a template node's output goes into the page as it is.
    """
    # Times inside are written in the viewer's time zone (`{% when %}`).
    zone = getattr(request.user, "time_zone", "")
    key = fragment_key(name, (request.user.is_authenticated, zone, *vary_on))
    setattr(request, _USES_PLACEHOLDERS, True)
    if seconds_since_write(request) >= settings.FRAGMENT_CACHE_SECONDS:
        html = cache.get(key)
        if html is not None:
            return html
    html = str(render())
    cache.set(key, html, settings.FRAGMENT_CACHE_SECONDS)
    return html


def fill_placeholders(content: bytes, request: HttpRequest) -> bytes:
    return content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode()).replace(
        PATH_PLACEHOLDER.encode(), escape(request.get_full_path()).encode()
    )


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
