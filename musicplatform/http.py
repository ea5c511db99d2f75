"""Redirects and paths shared by every app's views."""

import uuid

from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

_ID_SLOT = str(uuid.UUID(int=0))


def redirect_back(request, fallback):
    """Back to the page a form was on (its `next`), when that page is one of ours; any
    other target (another host, `//host`, `/\\host`, `javascript:`) gets `fallback`, so a
    link can never make us an open redirect."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # A URL, never a view name: redirect() would try to reverse "a b" and fail with a 500.
        return HttpResponseRedirect(target)
    return redirect(fallback)


def id_path_pattern(view_name: str) -> str:
    """The path of a view taking one UUID, as a `str.format()` pattern ("/x/{}/read").

    For the links of every row of a list: one reverse() per page and a string format per
    row, where a reverse() or `{% url %}` per row cost more than the row's other HTML.
    """
    return reverse(view_name, args=[_ID_SLOT]).replace(_ID_SLOT, "{}")
