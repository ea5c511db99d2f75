from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "accounts/verify-email/<int:address_id>/<str:token>/",
        views.verify_email,
        name="verify_email",
    ),
    path("welcome/", views.onboarding, name="onboarding"),
    path("welcome/artists/", views.onboarding_artists, name="onboarding_artists"),
    path("time-zone/", views.time_zone_guess, name="time_zone_guess"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/profile/", views.settings_profile, name="settings_profile"),
    path("settings/preferences/", views.settings_preferences, name="settings_preferences"),
    path("settings/preferences/spotify-import/", views.spotify_import, name="spotify_import"),
    path("settings/export/", views.settings_export, name="settings_export"),
    path("settings/delete/", views.settings_delete, name="settings_delete"),
    path("u/<str:username>/", views.public_profile, name="profile"),
]
