from django.urls import path

from catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("releases/<uuid:release_id>/", views.release_detail, name="release"),
    path("releases/<uuid:release_id>/buy/", views.release_buy, name="buy"),
    path("releases/<uuid:release_id>/download/", views.release_download, name="download"),
    path("releases/<uuid:release_id>/wishlist/", views.wishlist_toggle, name="wishlist"),
    path("tracks/<uuid:track_id>/audio/", views.track_audio, name="track_audio"),
    path("tracks/<uuid:track_id>/buy/", views.track_buy, name="track_buy"),
    path("tracks/<uuid:track_id>/download/", views.track_download, name="track_download"),
    path("embed/release/<uuid:release_id>/", views.release_embed, name="embed"),
    path("catalogue/downloads/<str:token>/", views.purchase_download, name="purchase_download"),
    path("collection/visibility/", views.collection_visibility, name="collection_visibility"),
    path("collection/<uuid:user_id>/", views.collection, name="collection"),
    path("catalogue/manage/", views.manage, name="manage"),
    path("catalogue/manage/artists/<uuid:artist_id>/new/", views.release_new, name="release_new"),
    path("catalogue/manage/releases/<uuid:release_id>/", views.release_edit, name="release_edit"),
    path(
        "catalogue/manage/releases/<uuid:release_id>/tracks/",
        views.track_upload,
        name="track_upload",
    ),
    path(
        "catalogue/manage/releases/<uuid:release_id>/tracks/<uuid:track_id>/delete/",
        views.track_delete_view,
        name="track_delete",
    ),
    path(
        "catalogue/manage/releases/<uuid:release_id>/publish/",
        views.release_publish_view,
        name="publish",
    ),
]
