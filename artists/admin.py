from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from artists import selectors, services
from artists.models import Artist, ArtistPayoutMethod, ArtistVerification, ArtistVerificationStatus
from musicplatform.audit.services import StatusTransitionError


class ImpersonationFilter(admin.SimpleListFilter):
    """Unverified artists whose names look like a verified artist's (case, spacing,
    lookalike letters): for staff to check before fans are fooled."""

    title = "impersonation"
    parameter_name = "impersonation"

    def lookups(self, request, model_admin):
        return [("suspects", "Name looks like a verified artist's")]

    def queryset(self, request, queryset):
        if self.value() == "suspects":
            return queryset.filter(pk__in=selectors.impersonation_suspects())
        return queryset


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = (
        "artist_name",
        "user",
        "verification_status",
        "third_party_platform",
        "featured",
        "removed_at",
        "created_at",
    )
    list_editable = ("featured",)
    list_filter = (
        ImpersonationFilter,
        "verification_status",
        "third_party_platform",
        "featured",
        ("removed_at", admin.EmptyFieldListFilter),
        "created_at",
    )
    list_select_related = ("user",)
    search_fields = ("artist_name", "user__username", "user__email", "third_party_id")
    ordering = ("artist_name",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    # The verification status moves only through a decision on a verification request.
    readonly_fields = (
        "id",
        "verification_status",
        "removed_at",
        "removal_reason",
        "created_at",
        "updated_at",
    )
    actions = ("feature", "unfeature", "suspend")

    @admin.action(description="Feature the selected artists")
    def feature(self, request, queryset):
        updated = services.artists_feature(
            artist_ids=queryset.values_list("pk", flat=True), featured=True
        )
        self.message_user(request, f"{updated} artist(s) featured.", messages.SUCCESS)

    @admin.action(description="Stop featuring the selected artists")
    def unfeature(self, request, queryset):
        updated = services.artists_feature(
            artist_ids=queryset.values_list("pk", flat=True), featured=False
        )
        self.message_user(request, f"{updated} artist(s) no longer featured.", messages.SUCCESS)

    @admin.action(description="Suspend the selected artists (their members are refunded)")
    def suspend(self, request, queryset):
        removed = sum(
            services.artist_remove(artist=artist, by=request.user, reason="Suspended by staff.")
            for artist in queryset.order_by("pk")
        )
        self.message_user(
            request,
            f"{removed} artist(s) suspended: off the platform, products withdrawn, "
            "every membership ended with the unused part refunded.",
            messages.SUCCESS,
        )


class QueueFilter(admin.SimpleListFilter):
    """Opens on the queue of pending requests; decided ones are one click away."""

    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("decided", "Decided"),
            ("all", "All"),
        ]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Pending (the queue)",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "all":
            return queryset
        if self.value() == "decided":
            return queryset.exclude(status=ArtistVerificationStatus.PENDING)
        return queryset.filter(status=ArtistVerificationStatus.PENDING)


class VerificationDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "Keep pending"), ("approve", "Approve"), ("reject", "Reject")],
        required=False,
        help_text="The artist is notified in the app and by email; the notes are shown to them.",
    )

    class Meta:
        model = ArtistVerification
        fields = ("artist", "verification_document_urls", "admin_notes")


@admin.register(ArtistVerification)
class ArtistVerificationAdmin(admin.ModelAdmin):
    form = VerificationDecisionForm
    list_display = (
        "artist",
        "status",
        "document_count",
        "verified_by",
        "submission_date",
        "verification_date",
    )
    list_filter = (QueueFilter, "status", "submission_date", "verification_date")
    list_select_related = ("artist", "verified_by")
    search_fields = ("artist__artist_name", "artist__user__username", "verified_by__username")
    # Oldest first: the queue is worked in the order artists asked.
    ordering = ("submission_date", "pk")
    autocomplete_fields = ("artist",)
    date_hierarchy = "submission_date"
    actions = ("approve", "reject")

    def get_readonly_fields(self, request, obj=None):
        fields = ["id", "status", "verified_by", "submission_date", "verification_date"]
        if obj is not None:
            fields += ["artist", "artist_status", "third_party", "documents"]
        return fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["artist", "verification_document_urls", "admin_notes"]
        fields = ["artist", "artist_status", "third_party", "documents", "status"]
        if obj.status == ArtistVerificationStatus.PENDING:
            fields += ["decision"]
        return [*fields, "admin_notes", "verified_by", "submission_date", "verification_date"]

    @admin.display(description="documents")
    def document_count(self, obj):
        return len(obj.verification_document_urls or [])

    @admin.display(description="artist's status")
    def artist_status(self, obj):
        return obj.artist.get_verification_status_display()

    @admin.display(description="third-party platform")
    def third_party(self, obj):
        if not obj.artist.third_party_platform:
            return "—"
        return (
            f"{obj.artist.get_third_party_platform_display()}: {obj.artist.third_party_id or '—'}"
        )

    @admin.display(description="documents")
    def documents(self, obj):
        names = obj.verification_document_urls or []
        if not names:
            return "—"
        return format_html_join(
            " · ",
            '<a href="{}">Document {}</a>',
            (
                (reverse("artists:verification_document", args=(obj.pk, index)), index + 1)
                for index in range(len(names))
            ),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        decision = form.cleaned_data.get("decision")
        if not decision:
            # Only the notes: the status columns belong to the decision service.
            obj.save(update_fields=["admin_notes"])
            return
        self._decide(request, obj, approve=decision == "approve", notes=obj.admin_notes or "")

    def _decide(self, request, verification, *, approve: bool, notes: str) -> bool:
        try:
            _decided, changed = services.artist_verification_decide(
                verification=verification, approve=approve, notes=notes, by=request.user
            )
        except StatusTransitionError:
            self.message_user(
                request,
                format_html("The request for {} was already decided.", verification.artist),
                messages.ERROR,
            )
            return False
        return changed

    def _decide_selected(self, request, queryset, *, approve: bool):
        decided = sum(
            self._decide(request, verification, approve=approve, notes="")
            for verification in queryset.select_related("artist").order_by("pk")
        )
        verb = "approved" if approve else "rejected"
        self.message_user(request, f"{decided} request(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve the selected requests (verify the artists)")
    def approve(self, request, queryset):
        self._decide_selected(request, queryset, approve=True)

    @admin.action(description="Reject the selected requests")
    def reject(self, request, queryset):
        self._decide_selected(request, queryset, approve=False)


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
    # another method type, would send an artist's money somewhere else; the default is
    # chosen by the artist.
    readonly_fields = ("id", "artist", "method_type", "is_default", "created_at", "updated_at")

    def has_add_permission(self, request):
        # Only the payout service can encrypt the account details a new method needs.
        return False
