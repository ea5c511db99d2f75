from operator import attrgetter

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse

from musicplatform.db import (
    RegConfigField,
    created_at,
    maintained_count,
    searchable_text,
    updated_at,
    uuid_primary_key,
)

# The first characters of a members-only post that its teaser shows.
TEASER_LENGTH = 140


def written_in() -> models.ForeignKey:
    """The language a text is written in, when its writer said (no reverse relation: a
    language is never asked for its posts or reviews)."""
    return models.ForeignKey(
        "accounts.Language",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )


class MediaType(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    NONE = "none", "None"


class PostAudience(models.TextChoices):
    PUBLIC = "public", "Everyone"
    MEMBERS = "members", "Members of chosen communities"


# What a post card shows that changes (`{% fragment "post-card" %}` in _post_card.html and,
# read from the row, in feed.html): the row (a like moves its counter, not `updated_at`),
# the artist's verified badge, and the comment count and the viewer's like, authorship
# and right to read it whole (else the card is a teaser) that
# `content.selectors.posts_for()` annotates. Named, so that a page can read
# them from a row (`musicplatform.db.CompiledRow`) without making the post.
CARD_VARY = (
    "pk",
    "updated_at",
    "artist.verification_status",
    "likes_count",
    "comment_count",
    "liked",
    "mine",
    "audience",
    "readable",
)


class Post(models.Model):
    id = uuid_primary_key("post_id")
    artist = models.ForeignKey(
        "artists.Artist", on_delete=models.DB_CASCADE, db_index=False, related_name="posts"
    )
    content_text = models.TextField(null=True, blank=True)
    media_type = models.CharField(max_length=50, choices=MediaType.choices, null=True, blank=True)
    media_urls = ArrayField(models.TextField(), null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()
    deleted_at = models.DateTimeField(null=True, blank=True)
    likes_count = maintained_count()
    comments_count = maintained_count()
    # The language the post is written in, when its artist said; its text search
    # configuration is copied next to it for the generated search_document (a generated
    # column cannot read another table) when the post is written.
    language = written_in()
    search_config = RegConfigField()
    search_document = searchable_text(body="content_text", config="search_config")
    # Explicit rather than "public when no community is chosen": a members-only post whose
    # communities were all deleted stays closed instead of becoming public.
    audience = models.CharField(
        max_length=20,
        choices=PostAudience.choices,
        default=PostAudience.PUBLIC,
        db_default=PostAudience.PUBLIC,
    )
    communities = models.ManyToManyField(
        "communities.Community", through="PostCommunity", related_name="posts", blank=True
    )

    class Meta:
        db_table = "posts"
        indexes = [
            GinIndex(fields=["search_document"], name="idx_posts_search"),
            models.Index(fields=["artist"], name="idx_posts_artist_id"),
            models.Index(fields=["created_at"], name="idx_posts_created_at"),
            # An artist's newest posts (artist page, feed of a fan of quiet artists).
            models.Index(fields=["artist", "-created_at"], name="idx_posts_artist_created"),
        ]

    def __str__(self) -> str:
        return (self.content_text or "")[:60] or f"Post {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("content:post_detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.audience == PostAudience.PUBLIC

    @property
    def teaser_text(self) -> str:
        """What everyone may read of a members-only post: its first line, cut short."""
        first_line = (self.content_text or "").strip().split("\n", 1)[0]
        if len(first_line) <= TEASER_LENGTH:
            return first_line
        return first_line[:TEASER_LENGTH].rsplit(" ", 1)[0] + "…"

    @property
    def card_vary(self) -> tuple:
        return tuple(attrgetter(name)(self) for name in CARD_VARY)


class PostCommunity(models.Model):
    """A community whose members may read a members-only post."""

    post = models.ForeignKey(Post, on_delete=models.DB_CASCADE, db_index=False)
    community = models.ForeignKey(
        "communities.Community", on_delete=models.DB_CASCADE, related_name="+"
    )

    class Meta:
        db_table = "post_communities"
        constraints = [
            models.UniqueConstraint(
                fields=["post", "community"], name="post_communities_post_id_community_id_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.post_id} for {self.community_id}"


class ReviewedContentType(models.TextChoices):
    ALBUM = "album", "Album"
    SONG = "song", "Song"


class Review(models.Model):
    """A fan's review of an album or song, named by an external catalogue id."""

    id = uuid_primary_key("review_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        db_index=False,
        related_name="reviews",
    )
    content_type = models.CharField(max_length=20, choices=ReviewedContentType.choices)
    content_id = models.CharField(max_length=255)
    artist = models.ForeignKey(
        "artists.Artist",
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="reviews",
    )
    artist_name = models.CharField(max_length=255, null=True, blank=True)
    content_name = models.CharField(max_length=255)
    title = models.CharField(max_length=255)
    text_content = models.TextField()
    rating = models.SmallIntegerField()
    image_urls = ArrayField(models.TextField(), null=True, blank=True)
    created_at = created_at()
    updated_at = updated_at()
    likes_count = maintained_count()
    comments_count = maintained_count()
    # As for posts: the language the fan wrote in, and its search configuration.
    language = written_in()
    search_config = RegConfigField()
    search_document = searchable_text(
        titles=("title", "content_name", "artist_name"),
        body="text_content",
        config="search_config",
    )

    class Meta:
        db_table = "reviews"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="reviews_rating_check"
            ),
            # One review per fan per album or song, so an average is not one fan's opinion.
            models.UniqueConstraint(
                fields=["user", "content_type", "content_id"],
                name="reviews_user_id_content_type_content_id_key",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="idx_reviews_user_id"),
            GinIndex(fields=["search_document"], name="idx_reviews_search"),
            # The reviews of an artist's work, shown on the artist page.
            models.Index(fields=["artist"], name="idx_reviews_artist_id"),
            models.Index(fields=["content_type", "content_id"], name="idx_reviews_content"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("content:review_detail", args=[self.pk])


class Comment(models.Model):
    # Set on the comments of a thread's page for its templates (content.selectors.ThreadRow).
    liked: bool
    mine: bool
    reply_count: int
    like_count: int

    id = uuid_primary_key("comment_id")
    post = models.ForeignKey(
        Post,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="comments",
    )
    parent_comment = models.ForeignKey(
        "self",
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="replies",
    )
    review = models.ForeignKey(
        Review,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="comments",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        db_index=False,
        related_name="comments",
    )
    content = models.TextField()
    created_at = created_at()
    updated_at = updated_at()
    deleted_at = models.DateTimeField(null=True, blank=True)
    likes_count = maintained_count()

    class Meta:
        db_table = "comments"
        constraints = [
            models.CheckConstraint(
                condition=Q(post__isnull=False)
                | Q(parent_comment__isnull=False)
                | Q(review__isnull=False),
                name="comments_check",
            ),
        ]
        indexes = [
            models.Index(fields=["post"], name="idx_comments_post_id"),
            # A page of a thread, newest first, read in order and only as far as shown
            # (comment_page): the top-level comments of a post, and each comment's replies.
            models.Index(
                fields=["post", "-created_at", "-id"],
                name="idx_comments_post_top_level",
                condition=Q(parent_comment__isnull=True),
            ),
            models.Index(
                fields=["parent_comment", "-created_at", "-id"], name="idx_comments_parent_id"
            ),
            models.Index(fields=["review"], name="idx_comments_review_id"),
            models.Index(fields=["user"], name="idx_comments_user_id"),
        ]

    def __str__(self) -> str:
        return self.content[:60]

    def get_absolute_url(self) -> str:
        thread = self.post or self.review
        return f"{thread.get_absolute_url()}#comment-{self.pk}" if thread else ""


class Like(models.Model):
    id = uuid_primary_key("like_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DB_CASCADE, db_index=False, related_name="likes"
    )
    post = models.ForeignKey(
        Post,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="likes",
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="likes",
    )
    review = models.ForeignKey(
        Review,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="likes",
    )
    created_at = created_at()

    class Meta:
        db_table = "likes"
        constraints = [
            models.CheckConstraint(
                # Spelled term by term so PostgreSQL stores the document's exact expression.
                condition=(Q(post__isnull=False) & Q(comment__isnull=True) & Q(review__isnull=True))
                | (Q(post__isnull=True) & Q(comment__isnull=False) & Q(review__isnull=True))
                | (Q(post__isnull=True) & Q(comment__isnull=True) & Q(review__isnull=False)),
                name="likes_check",
            ),
            # NULLS NOT DISTINCT: the document's plain UNIQUE let a user like a post twice.
            models.UniqueConstraint(
                fields=["user", "post", "comment", "review"],
                nulls_distinct=False,
                name="likes_user_id_post_id_comment_id_review_id_key",
            ),
        ]
        indexes = [
            models.Index(fields=["post"], name="idx_likes_post_id"),
            # "Did this fan like this comment", asked for every comment shown.
            models.Index(fields=["comment", "user"], name="idx_likes_comment_id"),
            models.Index(fields=["review"], name="idx_likes_review_id"),
            models.Index(fields=["user"], name="idx_likes_user_id"),
        ]

    def __str__(self) -> str:
        return f"Like by {self.user_id}"


class ShareLink(models.Model):
    id = uuid_primary_key("link_id")
    post = models.ForeignKey(
        Post, on_delete=models.DB_CASCADE, db_index=False, related_name="share_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        db_index=False,
        related_name="share_links",
        db_column="created_by",
    )
    share_token = models.CharField(max_length=255)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = created_at()

    class Meta:
        db_table = "share_links"
        constraints = [
            models.UniqueConstraint(fields=["share_token"], name="share_links_share_token_key")
        ]

    def __str__(self) -> str:
        return f"Share link to {self.post_id}"
