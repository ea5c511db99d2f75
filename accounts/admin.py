from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms

from accounts.models import Genre, Language, User, UserPreferences, UserVerification

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
        ("Linked accounts", {"fields": ("google_id", "spotify_linked")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_verified",
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
    readonly_fields = ("id", "last_login", "created_at", "updated_at")
    list_display = (
        "username",
        "email",
        "full_name",
        "is_artist",
        "is_verified",
        "is_staff",
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
