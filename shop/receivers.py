"""What other apps' events do to the shop."""

from django.dispatch import receiver

from accounts.signals import account_deleted
from artists.signals import artist_removed
from musicplatform.tasks import enqueue_on_commit
from payments.tasks import saved_payment_method_detach
from shop.models import Order, OrderStatus, SavedAddress
from shop.services.orders import order_cancel
from shop.services.products import products_withdraw


@receiver(account_deleted)
def shop_of_deleted_account_close(*, user, **_) -> None:
    """Its pending orders are cancelled (stock released), its saved cards detached at the
    gateway and forgotten, its addresses forgotten (orders keep their own copy)."""
    SavedAddress.objects.filter(user=user).delete()
    for method_id in user.saved_payment_methods.values_list("pk", flat=True):
        enqueue_on_commit(saved_payment_method_detach, str(method_id))
    for order in Order.objects.filter(user=user, status=OrderStatus.PENDING).order_by("pk"):
        order_cancel(order=order, by=user)


@receiver(artist_removed)
def shop_of_removed_artist_close(*, artist, by, **_) -> None:
    """Their products stop selling; an order still waiting for payment would sell what is
    withdrawn: cancelled, its stock released (the buyer is told, and can order the rest)."""
    products_withdraw(artist=artist)
    for order in (
        Order.objects.filter(status=OrderStatus.PENDING, items__product__artist=artist)
        .distinct()
        .order_by("pk")
    ):
        order_cancel(order=order, by=by)
