"""What the shop's payments (orders, featured placements) do when they complete, fail or
are refunded: the shop's handlers for the payment service (payments.purposes), registered
in ShopConfig.ready()."""

import math
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from musicplatform.tasks import enqueue_on_commit
from payments.events import CENT
from payments.models import Payment, PaymentStatus
from payments.purposes import Checkout
from payments.services import PaymentError
from payments.tasks import payment_refund_unwanted
from shop.models import FeaturedItem, FeaturedItemType, Order, OrderStatus, Product
from shop.selectors import order_payees


def _refund_later(payment: Payment) -> None:
    enqueue_on_commit(payment_refund_unwanted, str(payment.pk))


class OrderPayments:
    def payable_by(self, *, user, target_id) -> bool:
        return Order.objects.filter(pk=target_id, user_id=user.pk).exists()

    def checkout(self, *, user, target_id, amount: Decimal | None) -> Checkout:
        """A pending order of the payer's, still within its first hold: an order whose
        checkout extended its hold may not start another one, so the extension is bounded."""
        from shop.services.orders import order_hold_ends

        order = Order.objects.select_for_update(of=("self",)).get(pk=target_id)
        if order.user_id != user.pk:
            raise PaymentError("This order is not yours.")
        if order.status != OrderStatus.PENDING:
            raise PaymentError("This order is not waiting for payment.")
        now = timezone.now()
        first_hold_ends = order.created_at + timedelta(minutes=settings.SHOP_ORDER_HOLD_MINUTES)
        if now >= order_hold_ends(order) or now >= first_hold_ends:
            raise PaymentError(
                "The reservation of this order has ended; check out again from your cart."
            )
        return Checkout(
            amount=order.total_amount,
            target={"order_id": order.pk},
            customer_email=order.contact_email,
            payable_until=order_hold_ends(order),
        )

    def checkout_started(self, *, payment: Payment, target_id, expires_at) -> None:
        """The stock stays held as long as the gateway's checkout may still be paid."""
        from shop.services.orders import order_hold_ends

        order = Order.objects.select_for_update(of=("self",)).get(pk=payment.order_id)
        if expires_at is not None and expires_at > order_hold_ends(order):
            order.reserved_until = expires_at
            order.save(update_fields=["reserved_until"])

    def checkout_refused_url(self, *, target_id) -> str:
        return reverse("shop:order", args=[target_id])

    def payer_returned(self, *, request, payment: Payment) -> None:
        """The buyer's cart is kept until they see their order paid (a decline keeps it)."""
        from shop.services.cart import cart_clear_bought

        if payment.payment_status == PaymentStatus.COMPLETED:
            cart_clear_bought(session=request.session, order=payment.order)

    def retry_target_id(self, *, payment: Payment) -> UUID | None:
        """The same order, while it still waits for payment."""
        return payment.order_id if payment.order.status == OrderStatus.PENDING else None

    def saved_card_pays(self, *, user) -> list:
        return []

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


def featured_placement_price(*, featured_item: FeaturedItem) -> Decimal:
    days = max(
        1, math.ceil((featured_item.end_date - featured_item.start_date).total_seconds() / 86400)
    )
    return (Decimal(settings.FEATURED_PLACEMENT_DAILY_PRICE) * days).quantize(CENT)


def _featured_owner_id(item: FeaturedItem) -> UUID | None:
    """Who may pay for a placement: the artist behind it (albums and songs: staff only)."""
    from artists.models import Artist

    try:
        item_id = UUID(item.item_id)
    except ValueError:
        return None
    if item.item_type == FeaturedItemType.ARTIST:
        owners = Artist.objects.filter(pk=item_id).values_list("user_id", flat=True)
    elif item.item_type == FeaturedItemType.PRODUCT:
        owners = Product.objects.filter(pk=item_id).values_list("artist__user_id", flat=True)
    else:
        return None
    return owners.first()


class FeaturedPayments:
    def payable_by(self, *, user, target_id) -> bool:
        item = FeaturedItem.objects.filter(pk=target_id).first()
        return item is not None and (user.is_staff or _featured_owner_id(item) == user.pk)

    def checkout(self, *, user, target_id, amount: Decimal | None) -> Checkout:
        item = (
            FeaturedItem.objects.select_for_update(of=("self",))
            .select_related("payment")
            .get(pk=target_id)
        )
        if item.payment and item.payment.payment_status in {
            PaymentStatus.COMPLETED,
            PaymentStatus.REFUNDED,
        }:
            raise PaymentError("This placement is already paid for.")
        # The placement points at its payment (checkout_started), not the other way.
        return Checkout(amount=featured_placement_price(featured_item=item))

    def checkout_started(self, *, payment: Payment, target_id, expires_at) -> None:
        """The placement now waits for this payment (a payment it no longer points to is
        given back when it completes)."""
        # A save, not an update: post_save drops the explore page's cached featured section.
        item = FeaturedItem.objects.get(pk=target_id)
        item.payment = payment
        item.save(update_fields=["payment"])

    def checkout_refused_url(self, *, target_id) -> str:
        return reverse("home")

    def payer_returned(self, *, request, payment: Payment) -> None:
        """Nothing to tidy: the placement goes live by itself once paid."""

    def retry_target_id(self, *, payment: Payment) -> UUID | None:
        return (
            FeaturedItem.objects.filter(payment_id=payment.pk).values_list("pk", flat=True).first()
        )

    def saved_card_pays(self, *, user) -> list:
        return []

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
