from django import template
from django_countries import countries

from shop import regions
from shop.services.cart import cart_quantities

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    """Items in the visitor's cart, read from the session (no query)."""
    request = context.get("request")
    if request is None:
        return 0
    return sum(cart_quantities(session=request.session).values())


@register.filter
def country_name(code: str) -> str:
    """ "United Kingdom" for "GB"; an unknown code (older orders) as it was written."""
    return countries.name(code) or code


@register.filter
def region_name(address: dict) -> str:
    """A shipping address's region by name where the country has a list."""
    return regions.region_name(address.get("country", ""), address.get("region", ""))
