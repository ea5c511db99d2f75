from datetime import timedelta

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from communities import selectors
from communities.models import (
    Community,
    CommunityModerator,
    CommunityRestriction,
    CommunitySubscription,
    ContentFlag,
    Forum,
    ForumPost,
    ForumPostReaction,
    ForumPostVote,
    ForumTopicRead,
    LiveEvent,
    LiveEventMessage,
    LiveEventVote,
    ModerationAction,
    SubscriptionRenewal,
    SubscriptionTierChange,
)
from communities.services import CommunityError
from communities.services.common import invalidate_member
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
        # Access checks (of the tiers below too) and member counts are cached; an edit
        # here must show at once.
        invalidate_member(obj)


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


@admin.register(SubscriptionTierChange)
class SubscriptionTierChangeAdmin(admin.ModelAdmin):
    """Read only: a change moves only through communities.services.tiers (its payment)."""

    list_display = ("subscription", "to_community", "kind", "amount", "price", "status")
    list_filter = ("kind", "status", "created_at")
    list_select_related = ("subscription", "to_community")
    ordering = ("-created_at",)
    raw_id_fields = ("subscription", "to_community", "payment")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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


class ModerationRecordAdmin(admin.ModelAdmin):
    """Moderation rows are made by the moderation services (with their checks and the log);
    staff read them here and act in each community's queue, where staff are moderators."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContentFlag)
class ContentFlagAdmin(ModerationRecordAdmin):
    """The staff's review queue: open flags everywhere, each with its community's queue."""

    list_display = ("__str__", "reason", "status", "flagged_by", "author", "queue", "created_at")
    list_filter = ("status", "kind", "reason", "created_at")
    list_select_related = ("flagged_by", "author", "community")
    search_fields = ("note", "flagged_by__username", "author__username")
    ordering = ("-created_at",)

    @admin.display(description="Review in")
    def queue(self, flag):
        if flag.community is None:
            return "the artist's communities"
        url = reverse("communities:moderation", args=[flag.community_id])
        return format_html('<a href="{}">{}</a>', url, flag.community.name)


@admin.register(ModerationAction)
class ModerationActionAdmin(ModerationRecordAdmin):
    list_display = ("__str__", "community", "moderator", "target_user", "reason", "created_at")
    list_filter = ("action", "created_at")
    list_select_related = ("community", "moderator", "target_user")
    search_fields = ("target", "reason", "moderator__username", "target_user__username")
    ordering = ("-created_at",)


@admin.register(CommunityModerator)
class CommunityModeratorAdmin(ModerationRecordAdmin):
    list_display = ("user", "community", "created_at")
    list_select_related = ("user", "community")
    search_fields = ("user__username", "community__name")
    ordering = ("-created_at",)


@admin.register(CommunityRestriction)
class CommunityRestrictionAdmin(ModerationRecordAdmin):
    list_display = ("user", "community", "muted_until", "banned_at")
    list_select_related = ("user", "community")
    search_fields = ("user__username", "community__name")
    ordering = ("-updated_at",)
