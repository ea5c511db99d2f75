import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextInputWidget
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from catalogue.selectors import catalogue_item, catalogue_items_matching
from payments.admin import ReadOnlyMixin
from payments.models import Payment
from shop.forms import OrderRefundForm
from shop.models import (
    DownloadUse,
    FeaturedItem,
    FeaturedItemType,
    Order,
    OrderItem,
    Product,
    Refund,
    SavedAddress,
    ShippingRate,
)
from shop.selectors import order_lines
from shop.services import ShopError
from shop.services.downloads import OWNED_STATUSES
from shop.services.featured import STAFF_PLACEMENT_DAYS, featured_products_curate
from shop.services.orders import order_cancel
from shop.services.refunds import order_refund


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "artist",
        "product_type",
        "delivery",
        "price",
        "stock_quantity",
        "is_active",
        "created_at",
    )
    list_filter = ("product_type", "delivery", "is_active", "created_at")
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
        "status",
        "carrier",
        "tracking_number",
        "download_expires_at",
        "download_links_issued",
        "refund",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class RefundInline(ReadOnlyMixin, admin.TabularInline):
    model = Refund
    fields = ("amount", "reason", "status", "requested_by", "created_at")
    readonly_fields = fields
    show_change_link = True


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
        "shipping_amount",
        "status",
        "refund_link",
        "contact_email",
        "contact_phone",
        "shipping_address",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "id",
        "user",
        "total_amount",
        "shipping_amount",
        "status",
        "refund_link",
        "created_at",
        "updated_at",
    )
    inlines = (OrderItemInline, PaymentInline, RefundInline)
    actions = ("cancel_orders",)

    @admin.display(description="Refund")
    def refund_link(self, order):
        if order.status not in OWNED_STATUSES:
            return "—"
        url = reverse("admin:shop_order_refund", args=[order.pk])
        return format_html('<a href="{}">Refund items or an amount</a>', url)

    def get_urls(self):
        refund = self.admin_site.admin_view(self.refund_view)
        return [
            path("<uuid:order_id>/refund/", refund, name="shop_order_refund"),
            *super().get_urls(),
        ]

    def refund_view(self, request, order_id):
        """Staff give back lines and/or an amount of an order, with a reason."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("user"), pk=order_id)
        lines = order_lines(order_id=order.pk)
        form = OrderRefundForm(
            request.POST or None, items=lines, initial={"request_key": uuid.uuid4()}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                refund = order_refund(
                    order=order,
                    by=request.user,
                    reason=data["reason"],
                    request_key=data["request_key"],
                    item_ids=[uuid.UUID(item_id) for item_id in data["items"]],
                    amount=data["amount"],
                )
            except ShopError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Refunded {refund.amount}: {refund.reason}")
                return redirect("admin:shop_order_change", order.pk)
        payments = list(order.payments.order_by("payment_date", "pk"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Refund an order",
            "order": order,
            "payments": payments,
            "form": form,
        }
        return TemplateResponse(
            request, "shop/admin_order_refund.html", context, status=400 if form.errors else 200
        )

    @admin.action(
        description="Cancel (pending; paid: what was not delivered, refunded)",
        permissions=["change"],
    )
    def cancel_orders(self, request, queryset):
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
    list_display = (
        "order",
        "product",
        "quantity",
        "unit_price",
        "subtotal",
        "status",
        "created_at",
    )
    list_filter = ("status", "created_at")
    list_select_related = ("order", "product")
    search_fields = ("order__id__exact", "product__name", "order__contact_email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at")


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "order", "amount", "status", "requested_by", "reason", "created_at")
    list_filter = ("status", "created_at")
    list_select_related = ("order", "requested_by")
    search_fields = ("id__exact", "order__id__exact", "reason", "order__contact_email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"


@admin.register(DownloadUse)
class DownloadUseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("order_item", "user", "used_at", "ip_hash")
    list_select_related = ("order_item", "user")
    search_fields = ("order_item__order__id__exact", "user__username", "user__email")
    ordering = ("-used_at",)
    date_hierarchy = "used_at"


# Releases and tracks offered to staff while typing a featured album's or song's id.
FEATURABLE_ITEMS_OFFERED = 500


class CatalogueIdInput(AdminTextInputWidget):
    """The item id, with the newest releases and tracks offered as staff type their title
    (a <datalist>: the browser's own autocomplete, no JavaScript)."""

    def render(self, name, value, attrs=None, renderer=None):
        datalist_id = f"{name}-catalogue"
        field = super().render(name, value, {**(attrs or {}), "list": datalist_id}, renderer)
        options = format_html_join(
            "",
            '<option value="{}">{}</option>',
            (
                (item.content_id, item.label)
                for item in catalogue_items_matching(query="", limit=FEATURABLE_ITEMS_OFFERED)
            ),
        )
        return field + format_html('<datalist id="{}">{}</datalist>', datalist_id, options)


class FeaturedItemAdminForm(forms.ModelForm):
    class Meta:
        model = FeaturedItem
        fields = ("item_type", "item_id", "start_date", "end_date", "position", "payment")
        widgets = {"item_id": CatalogueIdInput}
        help_texts = {
            "item_id": "An album is a release here and a song one of its tracks: type the "
            "title and pick it. An artist or a product by its id."
        }

    def clean(self):
        cleaned = super().clean()
        item_type, item_id = cleaned.get("item_type"), cleaned.get("item_id")
        if item_type in (FeaturedItemType.ALBUM, FeaturedItemType.SONG) and item_id:
            item = catalogue_item(content_type=item_type, content_id=item_id.strip())
            if item is None:
                what = "published release" if item_type == FeaturedItemType.ALBUM else "track"
                self.add_error(
                    "item_id", f"No {what} here has this id: type its title and pick it."
                )
            else:
                cleaned["item_id"] = item.content_id
        return cleaned


@admin.register(FeaturedItem)
class FeaturedItemAdmin(admin.ModelAdmin):
    form = FeaturedItemAdminForm
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


@admin.register(ShippingRate)
class ShippingRateAdmin(admin.ModelAdmin):
    list_display = ("artist", "country", "amount", "created_at")
    list_select_related = ("artist",)
    search_fields = ("artist__artist_name", "country")
    ordering = ("artist__artist_name", "country")
    autocomplete_fields = ("artist",)
    readonly_fields = ("id", "created_at")


@admin.register(SavedAddress)
class SavedAddressAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "city", "country", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "name", "postal_code")
    ordering = ("-last_used_at",)
    autocomplete_fields = ("user",)
    readonly_fields = ("id", "created_at", "last_used_at")
