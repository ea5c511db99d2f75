from django.contrib import admin
from django.http import HttpRequest

from musicplatform.audit.models import StatusHistory


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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StatusHistory | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StatusHistory | None = None) -> bool:
        return False
