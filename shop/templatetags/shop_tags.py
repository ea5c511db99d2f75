from django import template

from shop.services.cart import cart_quantities

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    """Items in the visitor's cart, read from the session (no query)."""
    request = context.get("request")
    if request is None:
        return 0
    return sum(cart_quantities(session=request.session).values())
