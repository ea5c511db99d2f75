from django.urls import path

from artists import views
from musicplatform.views import search

app_name = "artists"

urlpatterns = [
    # The site's search page, listing artists: every artist, or those matching `q`.
    path("", search, {"default_kind": "artists"}, name="search"),
    path("become/", views.artist_become, name="become"),
    path("me/", views.artist_mine, name="mine"),
    path(
        "verification-documents/<uuid:verification_id>/<int:index>/",
        views.verification_document,
        name="verification_document",
    ),
    path("<uuid:artist_id>/", views.artist_detail, name="detail_by_id"),
    path("<uuid:artist_id>-<slug:slug>/", views.artist_detail, name="detail"),
    path("<uuid:artist_id>/edit/", views.artist_edit, name="edit"),
    path("<uuid:artist_id>/verification/", views.verification, name="verification"),
    path("<uuid:artist_id>/payouts/", views.payouts, name="payouts"),
    path("<uuid:artist_id>/dashboard/", views.dashboard, name="dashboard"),
    path("<uuid:artist_id>/dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path(
        "<uuid:artist_id>/payouts/<uuid:payout_id>/default/",
        views.payout_set_default,
        name="payout_default",
    ),
    path(
        "<uuid:artist_id>/payouts/<uuid:payout_id>/delete/",
        views.payout_delete,
        name="payout_delete",
    ),
]
