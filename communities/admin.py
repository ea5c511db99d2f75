from datetime import timedelta

from django import forms
from django.contrib import admin
from django.utils import timezone

from communities import selectors
from communities.models import (
    Community,
    CommunitySubscription,
    Forum,
    ForumPost,
    ForumPostReaction,
    ForumPostVote,
    ForumTopicRead,
    LiveEvent,
    LiveEventMessage,
    LiveEventVote,
    SubscriptionRenewal,
)
from communities.services import CommunityError
from communities.services.listing import fee_check
from musicplatform.cache import invalidate_on_commit


class EndingSoonFilter(admin.SimpleListFilter):
    title = "ending"
    parameter_name = "ending"

    def lookups(self, request, model_admin):
        return [("7d", "within 7 days"), ("30d", "within 30 days"), ("past", "already ended")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "past":
            return queryset.filter(end_date__lte=now)
        days = {"7d": 7, "30d": 30}.get(self.value())
        if days:
            return queryset.filter(end_date__gt=now, end_date__lte=now + timedelta(days=days))
        return queryset


class CommunityInfoRefresh:
    """Forums and events are part of the cached community page; admin edits refresh it."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        invalidate_on_commit(selectors.community_info_key(obj.community_id))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        invalidate_on_commit(selectors.community_info_key(obj.community_id))


class ForumInline(admin.TabularInline):
    model = Forum
    extra = 0
    fields = ("name", "forum_type", "description", "created_at")
    readonly_fields = ("created_at",)
    show_change_link = True


class CommunityAdminForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = ("artist", "name", "description", "subscription_fee", "subscription_interval")

    def clean_subscription_fee(self):
        # Staff are held to the artists' fee range: one rule (communities.services.listing.fee_check).
        try:
            return fee_check(self.cleaned_data["subscription_fee"])
        except CommunityError as error:
            raise forms.ValidationError(str(error)) from error


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    form = CommunityAdminForm
    list_display = ("name", "artist", "subscription_fee", "subscription_interval", "created_at")
    list_filter = ("subscription_interval", "created_at")
    list_select_related = ("artist",)
    search_fields = ("name", "artist__artist_name")
    ordering = ("name",)
    autocomplete_fields = ("artist",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")
    inlines = (ForumInline,)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The community page (with its forums) is cached; an edit here must show at once.
        invalidate_on_commit(selectors.community_info_key(form.instance.pk))


@admin.register(CommunitySubscription)
class CommunitySubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "community",
        "status",
        "price",
        "billing_interval",
        "auto_renew",
        "start_date",
        "end_date",
        "grace_until",
    )
    list_filter = (
        "status",
        "is_active",
        "auto_renew",
        EndingSoonFilter,
        "start_date",
        "created_at",
    )
    list_select_related = ("user", "community")
    search_fields = ("user__username", "user__email", "community__name")
    ordering = ("-created_at",)
    autocomplete_fields = ("user", "community", "payment")
    date_hierarchy = "created_at"
    # Status moves (renewing or not included) only through the services, with their
    # history; the price is what the member accepted, never set for them.
    readonly_fields = (
        "id",
        "status",
        "is_active",
        "auto_renew",
        "price",
        "billing_interval",
        "price_accepted_at",
        "created_at",
        "updated_at",
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Access checks and member counts are cached; an edit here must show at once.
        invalidate_on_commit(
            selectors.access_key(obj.community_id, obj.user_id),
            selectors.community_info_key(obj.community_id),
        )


@admin.register(Forum)
class ForumAdmin(CommunityInfoRefresh, admin.ModelAdmin):
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
    list_display = ("__str__", "forum", "user", "is_pinned", "suggestion_state", "created_at")
    list_filter = ("is_pinned", "suggestion_state", "media_type", "created_at")
    list_select_related = ("forum", "user")
    search_fields = ("title", "content", "user__username", "forum__name")
    ordering = ("-created_at",)
    autocomplete_fields = ("forum", "user")
    raw_id_fields = ("topic",)
    date_hierarchy = "created_at"
    # The answer moves through status_change (history, allowed moves): not edited here.
    readonly_fields = ("id", "suggestion_state", "is_answered", "created_at", "updated_at")


@admin.register(ForumPostVote)
class ForumPostVoteAdmin(admin.ModelAdmin):
    list_display = ("post", "user", "created_at")
    list_select_related = ("post", "user")
    search_fields = ("user__username", "post__title")
    ordering = ("-created_at",)
    raw_id_fields = ("post", "user")
    readonly_fields = ("id", "created_at")


@admin.register(ForumPostReaction)
class ForumPostReactionAdmin(admin.ModelAdmin):
    list_display = ("emoji", "post", "user", "created_at")
    list_filter = ("emoji",)
    list_select_related = ("post", "user")
    search_fields = ("user__username", "post__title")
    ordering = ("-created_at",)
    raw_id_fields = ("post", "user")
    readonly_fields = ("id", "created_at")


@admin.register(ForumTopicRead)
class ForumTopicReadAdmin(admin.ModelAdmin):
    list_display = ("topic", "user", "last_read_at")
    list_select_related = ("topic", "user")
    search_fields = ("user__username", "topic__title")
    ordering = ("-last_read_at",)
    raw_id_fields = ("topic", "user")
    readonly_fields = ("id",)


@admin.register(LiveEvent)
class LiveEventAdmin(CommunityInfoRefresh, admin.ModelAdmin):
    list_display = ("title", "community", "event_type", "status", "start_time", "end_time")
    list_filter = ("event_type", "status", "start_time", "created_at")
    list_select_related = ("community",)
    search_fields = ("title", "community__name", "community__artist__artist_name")
    ordering = ("-start_time",)
    autocomplete_fields = ("community",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(SubscriptionRenewal)
class SubscriptionRenewalAdmin(admin.ModelAdmin):
    list_display = ("subscription", "period_end", "payment", "attempts", "next_attempt_at")
    list_filter = ("period_end",)
    list_select_related = ("subscription", "payment")
    ordering = ("-period_end",)
    raw_id_fields = ("subscription", "payment")
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(LiveEventMessage)
class LiveEventMessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "event", "user", "seq", "is_answered", "created_at")
    list_filter = ("is_answered", "created_at")
    list_select_related = ("event", "user")
    search_fields = ("content", "user__username", "event__title")
    ordering = ("-created_at",)
    raw_id_fields = ("event", "user")
    readonly_fields = ("id", "seq", "created_at")


@admin.register(LiveEventVote)
class LiveEventVoteAdmin(admin.ModelAdmin):
    list_display = ("message", "user", "created_at")
    list_select_related = ("message", "user")
    search_fields = ("user__username", "message__content")
    ordering = ("-created_at",)
    raw_id_fields = ("message", "user")
    readonly_fields = ("id", "created_at")
