"""Background work of the shop. Tasks take ids, call a service and are safe to run twice."""

from musicplatform.tasks import platform_task


@platform_task
def orders_release_abandoned() -> int:
    """Beat: cancel orders left unpaid past the hold, so their stock can be sold again."""
    from shop.services.orders import orders_release_abandoned as release

    return release()
