from django.contrib import admin

from notifications.models import Notification, NotificationEmailPreference, StatusHistory


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "notification_type", "is_read", "created_at")
    list_filter = ("is_read", "notification_type", "related_resource_type", "created_at")
    list_select_related = ("user",)
    search_fields = ("title", "message", "user__username", "user__email")
    ordering = ("-created_at",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "emailed_at")


@admin.register(NotificationEmailPreference)
class NotificationEmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "notification_type", "send_email")
    list_filter = ("notification_type", "send_email")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("user__username", "notification_type")
    autocomplete_fields = ("user",)
    readonly_fields = ("id",)


@admin.register(StatusHistory)
class StatusHistoryAdmin(admin.ModelAdmin):
    """The audit trail: written by the services that move statuses, never edited."""

    list_display = (
        "entity_type",
        "entity_id",
        "old_status",
        "new_status",
        "changed_by",
        "changed_at",
    )
    list_filter = ("entity_type", "new_status", "changed_at")
    list_select_related = ("changed_by",)
    search_fields = ("entity_id__exact", "entity_type", "changed_by__username")
    ordering = ("-changed_at",)
    date_hierarchy = "changed_at"
    readonly_fields = ("id", "changed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
