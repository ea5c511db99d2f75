"""Requests no page of ours can answer are refused at the door with a 400 and a clear message."""

import unicodedata

from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string

# Far longer than any link of ours or form sent by GET (a search with every filter).
MAX_QUERY_STRING = 4096


def _has_control_character(value: str) -> bool:
    return any(unicodedata.category(character) in ("Cc", "Cs") for character in value)


def _problem(request) -> str | None:
    if _has_control_character(request.path):
        return "The address holds a control character (such as NUL or a line break)."
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        return f"The address is too long (over {MAX_QUERY_STRING:,} characters after the “?”)."
    for key, values in request.GET.lists():
        if _has_control_character(key) or any(_has_control_character(v) for v in values):
            return f"The value of “{key[:40]}” holds a control character (such as NUL)."
    return None


class RefuseUnusableAddressesMiddleware:
    """NUL and other control characters (and lone surrogates) have no place in a path or a
    query parameter; the database refuses NUL in text, so without this check any view that
    reads one would answer 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _problem(request)
        if problem is not None:
            page = render_to_string("400.html", {"problem": problem}, request=request)
            return HttpResponseBadRequest(page)
        return self.get_response(request)
