from django.contrib import admin

from artists.models import Artist, ArtistPayoutMethod, ArtistVerification


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = (
        "artist_name",
        "user",
        "verification_status",
        "third_party_platform",
        "featured",
        "created_at",
    )
    list_filter = ("verification_status", "third_party_platform", "featured", "created_at")
    list_select_related = ("user",)
    search_fields = ("artist_name", "user__username", "user__email", "third_party_id")
    ordering = ("artist_name",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(ArtistVerification)
class ArtistVerificationAdmin(admin.ModelAdmin):
    list_display = ("artist", "status", "verified_by", "submission_date", "verification_date")
    list_filter = ("status", "submission_date", "verification_date")
    list_select_related = ("artist", "verified_by")
    search_fields = ("artist__artist_name", "artist__user__username", "verified_by__username")
    ordering = ("-submission_date",)
    autocomplete_fields = ("artist", "verified_by")
    date_hierarchy = "submission_date"
    readonly_fields = ("id", "submission_date")


@admin.register(ArtistPayoutMethod)
class ArtistPayoutMethodAdmin(admin.ModelAdmin):
    list_display = ("artist", "method_type", "is_default", "created_at")
    list_filter = ("method_type", "is_default", "created_at")
    list_select_related = ("artist",)
    search_fields = ("artist__artist_name", "artist__user__username")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    # account_details is ciphertext: useless to read and destroyed by any edit by hand.
    exclude = ("account_details",)
    # Re-pointing a payout method at another artist, or relabelling its ciphertext as
    # another method type, would send an artist's money somewhere else.
    readonly_fields = ("id", "artist", "method_type", "created_at", "updated_at")

    def has_add_permission(self, request):
        # Only the payout service can encrypt the account details a new method needs.
        return False
