"""The shop's writes: products, the session cart, orders and their lifecycle, download
links and featured placements. Payments have their own app (payments/)."""


class ShopError(Exception):
    """A request we refuse; the message is meant for the person who made it."""
