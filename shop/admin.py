from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from shop.models import (
    FeaturedItem,
    Order,
    OrderItem,
    Payment,
    PaymentEvent,
    PaymentStatus,
    Product,
    SavedPaymentMethod,
)
from shop.payments.forms import RefundForm
from shop.payments.services import PaymentError, payment_refund
from shop.services.featured import STAFF_PLACEMENT_DAYS, featured_products_curate


class ReadOnlyMixin:
    """Money moves only through the shop's services, never by a staff member's hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "artist",
        "product_type",
        "price",
        "stock_quantity",
        "is_active",
        "created_at",
    )
    list_filter = ("product_type", "is_active", "created_at")
    list_select_related = ("artist",)
    search_fields = ("name", "artist__artist_name")
    ordering = ("name",)
    autocomplete_fields = ("artist",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
    actions = ("feature",)

    @admin.action(
        description=f"Feature on the explore page for {STAFF_PLACEMENT_DAYS} days",
        permissions=["change"],
    )
    def feature(self, request, queryset):
        created = featured_products_curate(product_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{len(created)} product(s) featured for {STAFF_PLACEMENT_DAYS} days; "
            "those already featured were left as they are.",
            messages.SUCCESS,
        )


class OrderItemInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderItem
    fields = (
        "product",
        "quantity",
        "unit_price",
        "subtotal",
        "download_expires_at",
        "download_links_issued",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class PaymentInline(ReadOnlyMixin, admin.TabularInline):
    model = Payment
    fields = ("amount", "currency", "gateway", "payment_method", "payment_status", "payment_date")
    show_change_link = True


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "contact_email", "total_amount", "status", "created_at")
    list_filter = ("status", "created_at")
    list_select_related = ("user",)
    search_fields = ("id__exact", "contact_email", "user__username", "user__email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    # Staff may correct how to reach the buyer; the buyer, the total and the status are
    # the checkout's and the payment services' to set.
    fields = (
        "id",
        "user",
        "total_amount",
        "status",
        "contact_email",
        "contact_phone",
        "shipping_address",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("id", "user", "total_amount", "status", "created_at", "updated_at")
    inlines = (OrderItemInline, PaymentInline)
    actions = ("cancel_orders",)

    @admin.action(
        description="Cancel (refund through the gateway when paid)", permissions=["change"]
    )
    def cancel_orders(self, request, queryset):
        from shop.services import ShopError
        from shop.services.orders import order_cancel

        done = 0
        for order in queryset.order_by("pk"):
            try:
                order_cancel(order=order, by=request.user)
            except ShopError as error:
                self.message_user(request, f"{order.pk}: {error}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"Cancellation requested for {done} order(s).")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderItem)
class OrderItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("order", "product", "quantity", "unit_price", "subtotal", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("order", "product")
    search_fields = ("order__id__exact", "product__name", "order__contact_email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "purpose",
        "amount",
        "refunded_amount",
        "currency",
        "gateway",
        "payment_method",
        "payment_status",
        "order",
        "subscription",
        "payment_date",
    )
    list_filter = ("payment_status", "purpose", "currency", "gateway", "payment_date")
    list_select_related = ("user", "order", "subscription")
    search_fields = (
        "id__exact",
        "stripe_payment_id",
        "user__username",
        "user__email",
        "order__contact_email",
    )
    ordering = ("-payment_date",)
    date_hierarchy = "payment_date"
    readonly_fields = ("id", "refund_link")
    actions = ("refund_in_full",)

    @admin.display(description="Refund")
    def refund_link(self, payment):
        if payment.payment_status != PaymentStatus.COMPLETED:
            return "—"
        url = reverse("admin:shop_payment_refund", args=[payment.pk])
        return format_html('<a href="{}">Refund all or part of it</a>', url)

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [
            path("<uuid:payment_id>/refund/", refund, name="shop_payment_refund"),
            *super().get_urls(),
        ]

    def refund_view(self, request, payment_id):
        """A full or partial refund through the gateway, for one payment."""
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = get_object_or_404(Payment, pk=payment_id)
        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment = payment_refund(
                    payment=payment, amount=form.cleaned_data["amount"], by=request.user
                )
            except PaymentError as error:
                form.add_error("amount", str(error))
            else:
                self.message_user(
                    request, f"Refund requested; refunded so far: {payment.refunded_amount}."
                )
                return redirect("admin:shop_payment_change", payment.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Refund a payment",
            "payment": payment,
            "form": form,
        }
        return TemplateResponse(
            request, "shop/payments/admin_refund.html", context, status=400 if form.errors else 200
        )

    @admin.action(description="Refund in full through the gateway", permissions=["refund"])
    def refund_in_full(self, request, queryset):
        refunded = 0
        for payment in queryset.filter(payment_status=PaymentStatus.COMPLETED).order_by("pk"):
            try:
                payment_refund(payment=payment, by=request.user)
            except PaymentError as error:
                self.message_user(request, f"{payment.pk}: {error}", messages.ERROR)
            else:
                refunded += 1
        self.message_user(request, f"Refund requested for {refunded} payment(s).")

    def has_refund_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("event_id", "gateway", "event_type", "payment", "received_at")
    list_filter = ("gateway", "event_type", "received_at")
    list_select_related = ("payment",)
    search_fields = ("event_id", "payment__id__exact")
    ordering = ("-received_at",)


@admin.register(SavedPaymentMethod)
class SavedPaymentMethodAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("label", "user", "gateway", "created_at")
    list_filter = ("gateway",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "method_ref")
    ordering = ("-created_at",)


@admin.register(FeaturedItem)
class FeaturedItemAdmin(admin.ModelAdmin):
    list_display = ("item_type", "item_id", "position", "start_date", "end_date", "payment")
    # Staff order the explore page's placements right from the list.
    list_editable = ("position",)
    list_filter = ("item_type", "start_date", "end_date", "created_at")
    list_select_related = ("payment",)
    search_fields = ("item_id",)
    ordering = ("-start_date",)
    autocomplete_fields = ("payment",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
