"""What the shop's payments (orders, featured placements) do when they complete, fail or
are refunded: the shop's handlers for the payment service (payments.purposes), registered
in ShopConfig.ready()."""

from django.urls import reverse

from musicplatform.tasks import enqueue_on_commit
from payments.models import Payment, PaymentStatus
from payments.tasks import payment_refund_unwanted
from shop.models import FeaturedItem, Order, OrderStatus
from shop.selectors import order_payees


def _refund_later(payment: Payment) -> None:
    enqueue_on_commit(payment_refund_unwanted, str(payment.pk))


class OrderPayments:
    def completed(self, *, payment: Payment, by) -> None:
        """pending → paid. An order that something else already paid gets this money back."""
        from shop.services.orders import order_mark_paid

        # Locked before its status is read: of two payments completing at once, the
        # second sees the order paid and gives its money back.
        order = Order.objects.select_for_update(of=("self",)).get(pk=payment.order_id)
        if order.status == OrderStatus.PENDING:
            order_mark_paid(order=order, by=payment.user)
            return
        already_paid = (
            Payment.objects.filter(order_id=order.pk, payment_status=PaymentStatus.COMPLETED)
            .exclude(pk=payment.pk)
            .exists()
        )
        if already_paid or order.status == OrderStatus.CANCELLED:
            _refund_later(payment)

    def failed(self, *, payment: Payment, by) -> None:
        """The order stays pending with its stock held: the buyer may pay again until the
        hold ends (shop.services.orders.orders_release_abandoned)."""

    def refunded(self, *, payment: Payment, by) -> None:
        """A paid order refunded in full is cancelled and its stock returned, in the name
        of whoever refunded it (None: the gateway reported a refund made elsewhere)."""
        from shop.services.orders import order_cancel_refunded

        if payment.payment_status == PaymentStatus.REFUNDED:
            order_cancel_refunded(order_id=payment.order_id, payment_id=payment.pk, by=by)

    def description(self, *, payment: Payment) -> str:
        return f"Order {payment.order_id}"

    def url(self, *, payment: Payment) -> str:
        return reverse("shop:order", args=[payment.order_id])

    def payees(self, *, payments) -> dict:
        return order_payees(payments=payments)


class FeaturedPayments:
    def completed(self, *, payment: Payment, by) -> None:
        """A placement is live once its payment completed; a payment it no longer points
        to (the payer started another one and both went through) is given back."""
        if not FeaturedItem.objects.filter(payment_id=payment.pk).exists():
            _refund_later(payment)

    def failed(self, *, payment: Payment, by) -> None:
        """The placement stays unpaid, so never live, until a payment for it completes."""

    def refunded(self, *, payment: Payment, by) -> None:
        """A refunded placement leaves the explore page by itself: only paid ones show."""

    def description(self, *, payment: Payment) -> str:
        item_type = (
            FeaturedItem.objects.filter(payment_id=payment.pk)
            .values_list("item_type", flat=True)
            .first()
        )
        return f"Featured {item_type} placement" if item_type else "Featured placement"

    def url(self, *, payment: Payment) -> str:
        # A placement has no page of its own; its payer learns of it in notifications.
        return reverse("notifications:list")

    def payees(self, *, payments) -> dict:
        """An artist paying for a placement pays the platform: no artist earns from it."""
        return {payment.pk: [] for payment in payments}
