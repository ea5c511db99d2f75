from django.contrib import admin, messages

from catalogue.models import Release, Track
from shop.models import FeaturedItemType
from shop.services.featured import STAFF_PLACEMENT_DAYS, featured_items_curate


class TrackInline(admin.TabularInline):
    model = Track
    fields = ("position", "title", "status", "failure_reason", "duration_seconds", "play_count")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        # Tracks come from the artist's upload and the processing task.
        return False


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Staff look releases up (and can find them for featured placements); artists edit
    them on their own pages, so the sold product stays in step (catalogue.services)."""

    list_display = ("title", "artist", "release_type", "release_date", "price", "published_at")
    list_filter = ("release_type",)
    search_fields = ("title", "artist__artist_name")
    list_select_related = ("artist",)
    readonly_fields = ("product", "published_at")
    raw_id_fields = ("artist", "community")
    inlines = [TrackInline]
    actions = ["feature_on_explore"]

    @admin.action(description="Feature on the explore page (as albums)")
    def feature_on_explore(self, request, queryset):
        published = queryset.filter(published_at__isnull=False).values_list("pk", flat=True)
        created = featured_items_curate(item_type=FeaturedItemType.ALBUM, item_ids=published)
        self.message_user(
            request,
            f"{len(created)} release(s) featured for {STAFF_PLACEMENT_DAYS} days; "
            "drafts and releases already featured were left out.",
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
