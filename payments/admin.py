from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from payments.forms import RefundForm
from payments.models import Payment, PaymentEvent, PaymentStatus, SavedPaymentMethod
from payments.services import PaymentError, payment_refund


class ReadOnlyMixin:
    """Money moves only through services, never by a staff member's hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
        url = reverse("admin:payments_payment_refund", args=[payment.pk])
        return format_html('<a href="{}">Refund all or part of it</a>', url)

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [
            path("<uuid:payment_id>/refund/", refund, name="payments_payment_refund"),
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
                return redirect("admin:payments_payment_change", payment.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Refund a payment",
            "payment": payment,
            "form": form,
        }
        return TemplateResponse(
            request, "payments/admin_refund.html", context, status=400 if form.errors else 200
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
