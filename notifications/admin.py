from django.contrib import admin

from notifications.models import Notification, NotificationEmailPreference


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
