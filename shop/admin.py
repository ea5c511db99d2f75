from django.contrib import admin

from shop.models import FeaturedItem, Order, OrderItem, Payment, Product


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


class OrderItemInline(ReadOnlyMixin, admin.TabularInline):
    model = OrderItem
    fields = ("product", "quantity", "unit_price", "subtotal", "download_expires_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class PaymentInline(ReadOnlyMixin, admin.TabularInline):
    model = Payment
    fields = ("amount", "currency", "payment_method", "payment_status", "payment_date")
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
        "amount",
        "currency",
        "payment_method",
        "payment_status",
        "order",
        "subscription",
        "payment_date",
    )
    list_filter = ("payment_status", "currency", "payment_method", "payment_date")
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
    readonly_fields = ("id",)


@admin.register(FeaturedItem)
class FeaturedItemAdmin(admin.ModelAdmin):
    list_display = ("item_type", "item_id", "position", "start_date", "end_date", "payment")
    list_filter = ("item_type", "start_date", "end_date", "created_at")
    list_select_related = ("payment",)
    search_fields = ("item_id",)
    ordering = ("-start_date",)
    autocomplete_fields = ("payment",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
