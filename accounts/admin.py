from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms

from accounts import services
from accounts.models import (
    Genre,
    Language,
    LoginFailure,
    RateLimitEntry,
    User,
    UserPreferences,
    UserVerification,
)

admin.site.site_header = "Music Platform administration"


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


# The arrays hold ids that no foreign key checks (see UserPreferences); only the account
# service, which verifies every id, writes them.
PREFERENCE_ARRAYS = ("genres", "languages", "favorite_artists")


class UserPreferencesInline(admin.StackedInline):
    model = UserPreferences
    can_delete = False
    fields = (*PREFERENCE_ARRAYS, "spotify_id", "created_at", "updated_at")
    readonly_fields = (*PREFERENCE_ARRAYS, "created_at", "updated_at")


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = (UserPreferencesInline,)
    actions = ("deactivate", "reactivate")
    fieldsets = (
        (None, {"fields": ("id", "username", "password")}),
        (
            "Personal info",
            {
                "fields": (
                    "full_name",
                    "email",
                    "gender",
                    "date_of_birth",
                    "city",
                    "country",
                    "mobile_number",
                    "profile_picture_url",
                    "bio",
                )
            },
        ),
        (
            "Verification and linked accounts",
            {
                "fields": (
                    "is_verified",
                    "email_addresses",
                    "google_id",
                    "spotify_linked",
                    "social_accounts",
                )
            },
        ),
        (
            "Permissions",
            {
                "fields": (
                    "is_artist",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "created_at", "updated_at", "deleted_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "full_name", "password1", "password2"),
            },
        ),
    )
    # Shown, not edited: allauth's tables are the source; accounts.services copies them.
    readonly_fields = (
        "id",
        "last_login",
        "created_at",
        "updated_at",
        "email_addresses",
        "social_accounts",
    )
    list_display = (
        "username",
        "email",
        "full_name",
        "is_artist",
        "is_verified",
        "is_staff",
        "linked_accounts",
        "active",
        "created_at",
    )
    # Deleting an account only sets deleted_at, so "empty" is how staff find live accounts.
    list_filter = (
        "is_staff",
        "is_superuser",
        "is_artist",
        "is_verified",
        "spotify_linked",
        ("deleted_at", admin.EmptyFieldListFilter),
        "created_at",
        "groups",
    )
    search_fields = ("username", "email", "full_name")
    date_hierarchy = "created_at"

    @admin.display(boolean=True, description="active", ordering="deleted_at")
    def active(self, obj: User) -> bool:
        return obj.is_active

    # Plain text, one line each: the admin shows read-only values escaped, with line breaks.
    @admin.display(description="email addresses")
    def email_addresses(self, obj: User) -> str:
        rows = EmailAddress.objects.filter(user=obj).order_by("-primary", "email")
        lines = [
            f"{a.email} — {'verified' if a.verified else 'NOT verified'}"
            + (", primary" if a.primary else "")
            for a in rows
        ]
        return "\n".join(lines) or "—"

    @admin.display(description="social accounts")
    def social_accounts(self, obj: User) -> str:
        rows = SocialAccount.objects.filter(user=obj).order_by("provider")
        lines = [f"{a.provider}: {a.uid} (linked {a.date_joined:%Y-%m-%d})" for a in rows]
        return "\n".join(lines) or "—"

    @admin.display(description="linked")
    def linked_accounts(self, obj: User) -> str:
        linked = [
            name for name, on in (("Google", obj.google_id), ("Spotify", obj.spotify_linked)) if on
        ]
        return ", ".join(linked) or "—"

    @admin.action(description="Deactivate the selected users (login refused, data kept)")
    def deactivate(self, request, queryset):
        users = list(queryset.exclude(pk=request.user.pk).order_by("pk"))
        for user in users:
            services.user_deactivate(user=user)
        self.message_user(request, f"{len(users)} user(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate the selected users")
    def reactivate(self, request, queryset):
        users = list(queryset.order_by("pk"))
        for user in users:
            services.user_reactivate(user=user)
        self.message_user(request, f"{len(users)} user(s) reactivated.", messages.SUCCESS)

    def get_inlines(self, request, obj):
        # The add page stays the short creation form; preferences appear once the user exists.
        return self.inlines if obj else ()


@admin.register(UserVerification)
class UserVerificationAdmin(admin.ModelAdmin):
    list_display = ("user", "verification_type", "is_used", "expires_at", "created_at")
    list_filter = ("verification_type", "is_used", "expires_at", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    fields = (
        "id",
        "user",
        "verification_type",
        "verification_token",
        "expires_at",
        "is_used",
        "created_at",
    )
    readonly_fields = ("id", "user", "verification_type", "verification_token", "created_at")

    def has_add_permission(self, request):
        # Tokens are stored hashed and reach their owner only by the mail that carries the
        # raw token; one typed in here could never be used.
        return False


@admin.register(UserPreferences)
class UserPreferencesAdmin(admin.ModelAdmin):
    list_display = ("user", "spotify_id", "created_at", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "spotify_id")
    ordering = ("user__username",)
    autocomplete_fields = ("user",)
    date_hierarchy = "created_at"
    fields = ("id", "user", *PREFERENCE_ARRAYS, "spotify_id", "created_at", "updated_at")
    readonly_fields = ("id", *PREFERENCE_ARRAYS, "created_at", "updated_at")


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    readonly_fields = ("id",)


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
    readonly_fields = ("id",)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Who is failing to sign in; deleting an address's rows lets it try again at once."""

    list_display = ("ip_address", "login_key", "created_at")
    list_filter = ("created_at",)
    search_fields = ("ip_address",)
    ordering = ("-created_at",)
    readonly_fields = ("id", "ip_address", "login_key", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RateLimitEntry)
class RateLimitEntryAdmin(admin.ModelAdmin):
    """allauth's sign-up, password-reset and email limits as they stand; deleting an entry
    lifts that limit at once."""

    list_display = ("cache_key", "expires")
    search_fields = ("cache_key",)
    ordering = ("-expires",)
    readonly_fields = ("cache_key", "value", "expires")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
