from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from musicplatform.fragments import response_csrf_token


def current_path(request: HttpRequest) -> dict:
    """The page's own address, for the `next` of its forms.

    Templates read `current_path` rather than `request.get_full_path`, so that inside a
    shared fragment it can be a placeholder (musicplatform/fragments.py).
    """
    return {"current_path": request.get_full_path}


def csrf_token(request: HttpRequest) -> dict:
    """Django's own `csrf_token` (always applied first, and replaced by this), masked once
    per response rather than once per template rendering it (musicplatform/fragments.py)."""
    return {"csrf_token": SimpleLazyObject(lambda: response_csrf_token(request))}


def payments_test_mode(request: HttpRequest) -> dict:
    """Whether payments go through the built-in test gateway (no real money moves), which
    every page then says in a banner: on a staging site, nobody mistakes it for a shop."""
    from payments.gateways import active_gateway_name
    from payments.models import PaymentGateway

    return {"payments_test_mode": active_gateway_name() == PaymentGateway.TEST}
