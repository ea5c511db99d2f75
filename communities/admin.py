from django.contrib import admin

from communities.models import Community, CommunitySubscription, Forum, ForumPost, LiveEvent


class ForumInline(admin.TabularInline):
    model = Forum
    extra = 0
    fields = ("name", "forum_type", "description", "created_at")
    readonly_fields = ("created_at",)
    show_change_link = True


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "artist", "subscription_fee", "subscription_interval", "created_at")
    list_filter = ("subscription_interval", "created_at")
    list_select_related = ("artist",)
    search_fields = ("name", "artist__artist_name")
    ordering = ("name",)
    autocomplete_fields = ("artist",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = (ForumInline,)


@admin.register(CommunitySubscription)
class CommunitySubscriptionAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "is_active", "auto_renew", "start_date", "end_date")
    list_filter = ("is_active", "auto_renew", "start_date", "end_date", "created_at")
    list_select_related = ("user", "community")
    search_fields = ("user__username", "user__email", "community__name")
    ordering = ("-created_at",)
    autocomplete_fields = ("user", "community", "payment")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "forum_type", "created_at")
    list_filter = ("forum_type", "created_at")
    list_select_related = ("community",)
    search_fields = ("name", "community__name", "community__artist__artist_name")
    ordering = ("name",)
    autocomplete_fields = ("community",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(ForumPost)
class ForumPostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "forum", "user", "is_pinned", "is_answered", "created_at")
    list_filter = ("is_pinned", "is_answered", "media_type", "created_at")
    list_select_related = ("forum", "user")
    search_fields = ("title", "content", "user__username", "forum__name")
    ordering = ("-created_at",)
    autocomplete_fields = ("forum", "user")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(LiveEvent)
class LiveEventAdmin(admin.ModelAdmin):
    list_display = ("title", "community", "event_type", "status", "start_time", "end_time")
    list_filter = ("event_type", "status", "start_time", "created_at")
    list_select_related = ("community",)
    search_fields = ("title", "community__name", "community__artist__artist_name")
    ordering = ("-start_time",)
    autocomplete_fields = ("community",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
