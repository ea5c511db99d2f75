"""The cart lives in the session, so it works signed out; Django keeps the session's data
when the visitor logs in, so the cart survives the login.

It holds product ids and quantities, and prices are read fresh from the products. The one
exception is a price the buyer chose above a product's price ("name your price": the
catalogue's releases, `catalogue.services.release_cart_add`): it is kept beside the
quantities and is only ever a floor-checked offer, so a product whose price rose above it
is charged its price (`unit_price`).
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings

from shop.models import Order, OrderStatus, Product
from shop.services import ShopError

CART_SESSION_KEY = "shop_cart"
CART_PRICES_SESSION_KEY = "shop_cart_prices"
# The checkout's idempotency key (orders.checkout_key), kept with the cart: a repeated
# "Complete checkout" of the same cart finds the order it placed. The cart stays until its
# order is paid, so that a declined card loses nothing; a changed cart is a new checkout.
CHECKOUT_KEY = "shop_checkout_key"


def cart_quantities(*, session) -> dict[str, int]:
    raw = session.get(CART_SESSION_KEY) or {}
    return {str(key): int(value) for key, value in raw.items()}


def cart_chosen_prices(*, session) -> dict[str, Decimal]:
    """The unit prices the buyer chose, by product id (name your price)."""
    prices = {}
    for key, value in (session.get(CART_PRICES_SESSION_KEY) or {}).items():
        try:
            prices[str(key)] = Decimal(value)
        except (InvalidOperation, TypeError):
            continue
    return prices


def unit_price(*, product: Product, chosen_prices: dict[str, Decimal]) -> Decimal:
    """What one of `product` costs this buyer: its price, or more if they chose to pay more."""
    chosen = chosen_prices.get(str(product.pk))
    return max(product.price, chosen) if chosen is not None else product.price


def _save(session, quantities: dict[str, int]) -> None:
    session[CART_SESSION_KEY] = quantities
    session.pop(CHECKOUT_KEY, None)
    session.modified = True


def _check_quantity(*, product: Product, quantity: int) -> None:
    if not product.is_active:
        raise ShopError(f"“{product.name}” is no longer available.")
    if quantity < 1:
        raise ShopError("Choose a quantity of at least 1.")
    if quantity > settings.SHOP_MAX_QUANTITY:
        raise ShopError(f"At most {settings.SHOP_MAX_QUANTITY} of one product per order.")
    if product.stock_quantity is not None and quantity > product.stock_quantity:
        if product.stock_quantity == 0:
            raise ShopError(f"“{product.name}” is sold out.")
        raise ShopError(f"Only {product.stock_quantity} of “{product.name}” left.")


def cart_add(
    *, session, product: Product, quantity: int, chosen_price: Decimal | None = None
) -> int:
    """Add `quantity` to what the cart has of `product`; the new quantity.

    `chosen_price` (at least the product's price) replaces the price the buyer pays for it.
    """
    if chosen_price is not None and chosen_price < product.price:
        raise ShopError(f"Pay at least {product.price} for “{product.name}”.")
    quantities = cart_quantities(session=session)
    new_quantity = quantities.get(str(product.pk), 0) + quantity
    if quantity < 1:
        raise ShopError("Choose a quantity of at least 1.")
    _check_quantity(product=product, quantity=new_quantity)
    quantities[str(product.pk)] = new_quantity
    _save(session, quantities)
    if chosen_price is not None:
        prices = session.get(CART_PRICES_SESSION_KEY) or {}
        prices[str(product.pk)] = str(chosen_price)
        session[CART_PRICES_SESSION_KEY] = prices
    return new_quantity


def cart_set(*, session, product: Product, quantity: int) -> None:
    quantities = cart_quantities(session=session)
    if str(product.pk) not in quantities:
        raise ShopError("This product is not in your cart.")
    _check_quantity(product=product, quantity=quantity)
    quantities[str(product.pk)] = quantity
    _save(session, quantities)


def cart_remove(*, session, product_id) -> None:
    quantities = cart_quantities(session=session)
    if quantities.pop(str(product_id), None) is not None:
        _save(session, quantities)
    prices = session.get(CART_PRICES_SESSION_KEY) or {}
    if prices.pop(str(product_id), None) is not None:
        session[CART_PRICES_SESSION_KEY] = prices


def cart_clear(*, session) -> None:
    session.pop(CART_SESSION_KEY, None)
    session.pop(CART_PRICES_SESSION_KEY, None)
    session.pop(CHECKOUT_KEY, None)


def cart_clear_bought(*, session, order: Order) -> None:
    """Empty the cart once the order it was checked out as is paid; until then (a declined
    card, a payment under way) the buyer keeps it."""
    paid = order.status not in {OrderStatus.PENDING, OrderStatus.CANCELLED}
    if paid and session.get(CHECKOUT_KEY) == str(order.checkout_key):
        cart_clear(session=session)
