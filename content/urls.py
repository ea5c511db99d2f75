from django.urls import path, re_path

from content import views

app_name = "content"

urlpatterns = [
    path("feed/", views.feed, name="feed"),
    path("explore/", views.explore, name="explore"),
    path("follow/<uuid:artist_id>/", views.artist_follow, name="artist_follow"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/<uuid:post_id>/", views.post_detail, name="post_detail"),
    path("posts/<uuid:post_id>/teaser.jpg", views.post_teaser_picture, name="post_teaser_picture"),
    # Posts' media (content/media.py): fresh names of ours, nothing else.
    re_path(
        r"^posts/(?P<post_id>[0-9a-f-]{36})/media/(?P<name>[0-9a-f]{32}\.[a-z0-9]{2,4})$",
        views.post_media,
        name="post_media",
    ),
    path("posts/<uuid:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<uuid:post_id>/delete/", views.post_delete, name="post_delete"),
    path("posts/<uuid:post_id>/comments/", views.post_comment, name="post_comment"),
    path("posts/<uuid:post_id>/share/", views.share_create, name="share_create"),
    path("comments/<uuid:comment_id>/replies/", views.comment_replies, name="comment_replies"),
    path("comments/<uuid:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<uuid:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("likes/<str:kind>/<uuid:target_id>/", views.like, name="like"),
    path("s/<str:token>/", views.shared_post, name="shared_post"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("reviews/<uuid:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<uuid:review_id>/edit/", views.review_edit, name="review_edit"),
    path("reviews/<uuid:review_id>/delete/", views.review_delete, name="review_delete"),
    path("reviews/<uuid:review_id>/comments/", views.review_comment, name="review_comment"),
    path(
        "reviews/of/<str:content_type>/<str:content_id>/",
        views.reviewed_item,
        name="reviewed_item",
    ),
    path("reviews/by-artist/<uuid:artist_id>/", views.artist_reviews, name="artist_reviews"),
]
