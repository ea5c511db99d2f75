from django.http import HttpRequest


def current_path(request: HttpRequest) -> dict:
    """The page's own address, for the `next` of its forms.

    Templates read `current_path` rather than `request.get_full_path`, so that inside a
    shared fragment it can be a placeholder (musicplatform/fragments.py).
    """
    return {"current_path": request.get_full_path}


def payments_test_mode(request: HttpRequest) -> dict:
    """Whether payments go through the built-in test gateway (no real money moves), which
    every page then says in a banner: on a staging site, nobody mistakes it for a shop."""
    from payments.gateways import active_gateway_name
    from payments.models import PaymentGateway

    return {"payments_test_mode": active_gateway_name() == PaymentGateway.TEST}
