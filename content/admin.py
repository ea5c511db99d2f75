from django.contrib import admin

from content.models import Comment, Like, Post, PostCommunity, Review, ShareLink
from content.services import comment_thread_forget


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("__str__", "artist", "media_type", "created_at", "deleted_at")
    list_filter = ("media_type", ("deleted_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("artist",)
    search_fields = ("content_text", "artist__artist_name")
    ordering = ("-created_at",)
    autocomplete_fields = ("artist",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "user",
        "content_type",
        "content_name",
        "artist_name",
        "rating",
        "created_at",
    )
    list_filter = ("content_type", "rating", "created_at")
    list_select_related = ("user",)
    search_fields = ("title", "content_name", "artist_name", "content_id", "user__username")
    ordering = ("-created_at",)
    autocomplete_fields = ("user", "artist")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "post", "review", "parent_comment", "created_at")
    list_filter = (("deleted_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("user", "post", "review", "parent_comment")
    search_fields = ("content", "user__username")
    ordering = ("-created_at",)
    autocomplete_fields = ("post", "parent_comment", "review", "user")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at")

    def save_model(self, request, obj, form, change) -> None:
        """Moved to another post, a comment leaves its former post's page of comments
        too (its saves forget the post it is on: content/receivers.py)."""
        before = Comment.objects.filter(pk=obj.pk).values_list("post_id", flat=True).first()
        super().save_model(request, obj, form, change)
        comment_thread_forget(post_ids=[before])


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("user", "post", "comment", "review", "created_at")
    list_filter = ("created_at",)
    list_select_related = ("user", "post", "comment", "review")
    search_fields = ("user__username",)
    ordering = ("-created_at",)
    autocomplete_fields = ("user", "post", "comment", "review")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at")

    # A comment's like moves its counter in its post's kept page of comments
    # (content.selectors.post_comment_page): a like's saves forget its comment's post
    # (content/receivers.py); here, the post of the comment a like is moved from, and
    # deletions.
    def save_model(self, request, obj, form, change) -> None:
        before = list(Like.objects.filter(pk=obj.pk).select_related("comment")) if change else []
        super().save_model(request, obj, form, change)
        self._forget(before)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        self._forget([obj])

    def delete_queryset(self, request, queryset) -> None:
        likes = list(queryset.select_related("comment"))
        super().delete_queryset(request, queryset)
        self._forget(likes)

    @staticmethod
    def _forget(likes) -> None:
        comment_thread_forget(post_ids=[like.comment.post_id for like in likes if like.comment_id])


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("share_token", "post", "created_by", "expires_at", "created_at")
    list_filter = ("expires_at", "created_at")
    list_select_related = ("post", "created_by")
    search_fields = ("share_token", "created_by__username", "post__artist__artist_name")
    ordering = ("-created_at",)
    autocomplete_fields = ("post", "created_by")
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at")


@admin.register(PostCommunity)
class PostCommunityAdmin(admin.ModelAdmin):
    """Which communities' members read a members-only post (set from the post's form)."""

    list_display = ("post", "community")
    list_select_related = ("post", "post__artist", "community")
    search_fields = ("post__artist__artist_name", "community__name")
    autocomplete_fields = ("post", "community")
