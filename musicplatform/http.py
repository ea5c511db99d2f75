"""Redirects shared by every app's views."""

from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


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
