"""Every write of the content domain: posts, comments, likes, share links, reviews, follows."""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from types import EllipsisType

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Language, User, UserPreferences
from accounts.services import follower_counts_forget
from artists.models import Artist
from catalogue.selectors import catalogue_item
from communities.models import Community
from communities.selectors import artist_audience
from content.media import check_uploads, store_media, store_post_media
from content.models import (
    Comment,
    Like,
    MediaType,
    Post,
    PostAudience,
    PostCommunity,
    Review,
    ReviewedContentType,
    ShareLink,
)
from content.selectors import (
    FEATURED_CACHE_KEY,
    HOME_CACHE_KEY,
    POPULAR_CACHE_KEY,
    THREAD_EPOCH_KEY,
    comment_thread_version_key,
    readable_posts,
)
from musicplatform.cache import invalidate_on_commit
from musicplatform.db import search_config_for
from musicplatform.tasks import enqueue_on_commit
from musicplatform.validators import name_key, name_key_sql, validate_single_line
from notifications.models import NotificationType
from notifications.services import (
    audience_notify,
    notification_group_update,
    notifications_create,
    unannounced_ids,
)

POST_MAX_LENGTH = 5000
COMMENT_MAX_LENGTH = 2000
REVIEW_MAX_LENGTH = 10000
SHARE_TOKEN_BYTES = 32


def _clean_text(value: str | None, *, max_length: int, what: str, single_line: bool = False) -> str:
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(
            f"{what} can be at most {max_length:,} characters long (it has {len(text):,})."
        )
    if single_line:
        validate_single_line(text)
    return text


def _require_post_owner(post: Post, by: User) -> None:
    if post.artist.user_id != by.pk:
        raise PermissionDenied("Only the artist who wrote this post can change it.")


# Posts ---------------------------------------------------------------------------------


def _checked_audience(
    *, artist: Artist, audience: str, communities: Sequence[Community]
) -> list[Community]:
    """The communities a post is for: none when public, one or more of its artist's own
    when members-only."""
    if audience not in PostAudience.values:
        raise ValidationError("Choose who can read the post: everyone, or members.")
    if audience == PostAudience.PUBLIC:
        return []
    if not communities:
        raise ValidationError("Choose the communities whose members can read the post.")
    if any(community.artist_id != artist.pk for community in communities):
        raise ValidationError("A post can only be for the members of your own communities.")
    return list(communities)


def _audience_set(*, post: Post, audience: str, communities: Sequence[Community]) -> None:
    post.audience = audience
    PostCommunity.objects.filter(post=post).exclude(community__in=communities).delete()
    PostCommunity.objects.bulk_create(
        [PostCommunity(post=post, community=community) for community in communities],
        ignore_conflicts=True,
    )


def post_create(
    *,
    artist: Artist,
    by: User,
    content_text: str,
    uploads: list[UploadedFile],
    audience: str = PostAudience.PUBLIC,
    communities: Sequence[Community] = (),
    language: Language | None = None,
) -> Post:
    """`language` is what the post is written in, if the artist says: search then finds
    its words by their stems in that language (musicplatform/search.py)."""
    if artist.user_id != by.pk:
        raise PermissionDenied("You can only post as your own artist profile.")
    text = _clean_text(content_text, max_length=POST_MAX_LENGTH, what="A post")
    if not text and not uploads:
        raise ValidationError("Write something or attach a picture, audio or video.")
    communities = _checked_audience(artist=artist, audience=audience, communities=communities)
    checked = check_uploads(uploads, picture_use="post")
    with transaction.atomic():
        post = Post(
            artist=artist,
            content_text=text or None,
            media_type=checked[0].media_type if checked else MediaType.NONE,
            audience=audience,
            language=language,
            search_config=search_config_for(language),
        )
        post.media_urls = store_post_media(items=checked, post=post) or None
        post.save(force_insert=True)
        _audience_set(post=post, audience=audience, communities=communities)
    from content.tasks import post_published_notify  # the task module imports this one

    enqueue_on_commit(post_published_notify, str(post.pk))
    return post


def post_audience_notify(*, post_id) -> int:
    """Tell the artist's followers and community members about a new post (once)."""
    post = Post.objects.select_related("artist").filter(pk=post_id, deleted_at=None).first()
    if post is None:
        return 0
    return audience_notify(
        audience=artist_audience(artist_id=post.artist_id),
        exclude_user_id=post.artist.user_id,
        notification_type=NotificationType.POST,
        title=f"{post.artist.artist_name} posted",
        message=(post.content_text or "A new post with media.")[:200],
        resource_type="post",
        resource_id=post.pk,
    )


def posts_announce_sweep() -> int:
    """Announce the posts whose fan-out task was lost; the number of notifications made."""
    due = unannounced_ids(
        Post.objects.filter(deleted_at=None),
        notification_type=NotificationType.POST,
        resource_type="post",
    )
    return sum(post_audience_notify(post_id=post_id) for post_id in due)


def post_update(
    *,
    post: Post,
    by: User,
    content_text: str,
    uploads: list[UploadedFile],
    remove_media: bool = False,
    audience: str | None = None,
    communities: Sequence[Community] = (),
    language: Language | EllipsisType | None = ...,
) -> Post:
    """New uploads replace the post's media; `remove_media` drops it without a replacement.
    `audience` (with `communities`) changes who may read it; None leaves it as it is.
    `language` (None: not said) is left as it is when not given."""
    text = _clean_text(content_text, max_length=POST_MAX_LENGTH, what="A post")
    if audience is not None:
        communities = _checked_audience(
            artist=post.artist, audience=audience, communities=communities
        )
    checked = check_uploads(uploads, picture_use="post")
    with transaction.atomic():
        locked = (
            Post.objects.select_for_update(of=("self",))
            .select_related("artist")
            .get(pk=post.pk, deleted_at__isnull=True)
        )
        _require_post_owner(locked, by)
        if checked:
            locked.media_type = checked[0].media_type
            locked.media_urls = store_post_media(items=checked, post=locked)
        elif remove_media:
            locked.media_type = MediaType.NONE
            # Storing no media also removes the teaser picture.
            locked.media_urls = store_post_media(items=[], post=locked) or None
        if not text and not locked.media_urls:
            raise ValidationError("A post needs text or media; delete it instead of emptying it.")
        locked.content_text = text or None
        if not isinstance(language, EllipsisType):
            locked.language, locked.search_config = language, search_config_for(language)
        if audience is not None:
            _audience_set(post=locked, audience=audience, communities=communities)
            # The shared lists of public posts (home, explore) must drop a post made
            # members-only at once, not when they expire.
            invalidate_on_commit(HOME_CACHE_KEY, FEATURED_CACHE_KEY, POPULAR_CACHE_KEY)
        locked.save(
            update_fields=[
                "content_text",
                "media_type",
                "media_urls",
                "audience",
                "language",
                "search_config",
            ]
        )
    return locked


def post_delete(*, post: Post, by: User) -> None:
    with transaction.atomic():
        locked = (
            Post.objects.select_for_update(of=("self",)).select_related("artist").get(pk=post.pk)
        )
        _require_post_owner(locked, by)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at"])


# Comments ------------------------------------------------------------------------------


def _check_readable(user: User, post_id) -> None:
    """Comments and likes of a members-only post are for those who may read it."""
    if not readable_posts(user).filter(pk=post_id).exists():
        raise ValidationError("Only the members who can read this post can join in on it.")


def _thread_keys_forget(*keys: str) -> None:
    """Now, for what the same transaction reads next (and a test's, whose transaction
    never commits), and once committed, for a page kept meanwhile from the rows before."""
    cache.delete_many(list(keys))
    invalidate_on_commit(*keys)


def comment_thread_forget(*, post_ids) -> None:
    """What these posts' comments show changed (a comment or reply written, edited,
    removed, liked or unliked): their kept pages of comments are forgotten, now and once
    the change is committed (content.selectors.post_comment_page). Saves and deletions of
    comments and saves of likes call this from anywhere (content/receivers.py); unlikes
    from `like_set` and the admin."""
    keys = [comment_thread_version_key(post_id) for post_id in set(post_ids) if post_id]
    if keys:
        _thread_keys_forget(*keys)


def comment_threads_forget_all() -> None:
    """A change every thread may show (an author's name): every post's kept page of
    comments is forgotten, now and once it is committed."""
    _thread_keys_forget(THREAD_EPOCH_KEY)


def comment_create(
    *,
    user: User,
    content: str,
    post: Post | None = None,
    review: Review | None = None,
    parent: Comment | None = None,
) -> Comment:
    """A comment on a post or a review, or a reply to a comment on either.

    Replies also carry their thread's post or review, so a whole thread loads in one query.
    """
    text = _clean_text(content, max_length=COMMENT_MAX_LENGTH, what="A comment")
    if not text:
        raise ValidationError("Write something before sending your comment.")
    with transaction.atomic():
        if parent is not None:
            parent = Comment.objects.select_for_update(of=("self",)).get(pk=parent.pk)
            if parent.deleted_at is not None:
                raise ValidationError("That comment was deleted, so it can't be replied to.")
            if (post and parent.post_id != post.pk) or (review and parent.review_id != review.pk):
                raise ValidationError("That comment belongs to another thread.")
            post_id, review_id = parent.post_id, parent.review_id
        elif (post is None) == (review is None):
            raise ValueError("A comment is on exactly one post or review.")
        else:
            post_id, review_id = (post.pk if post else None), (review.pk if review else None)
        # The post's artist is told of the comment (one read with the existence check).
        post_artist = (
            Post.objects.filter(pk=post_id, deleted_at__isnull=True)
            .values_list("pk", "artist__user_id")
            .first()
            if post_id
            else None
        )
        if post_id and post_artist is None:
            raise ValidationError("That post was deleted, so it can't take comments.")
        post_artist_user_id = post_artist[1] if post_artist else None
        if post_id:
            _check_readable(user, post_id)
        comment = Comment.objects.create(
            user=user,
            content=text,
            post_id=post_id,
            review_id=review_id,
            parent_comment=parent,
        )
        if post_artist_user_id and post_artist_user_id not in (user.pk, parent and parent.user_id):
            notifications_create(
                recipient_ids=[post_artist_user_id],
                notification_type=NotificationType.POST_COMMENT,
                title=f"{user.display_name} commented on your post",
                message=text[:200],
                resource_type="comment",
                resource_id=comment.pk,
            )
        if parent is not None and parent.user_id != user.pk:
            notifications_create(
                recipient_ids=[parent.user_id],
                notification_type=NotificationType.COMMENT_REPLY,
                title=f"{user.display_name} replied to your comment",
                message=text[:200],
                resource_type="comment",
                resource_id=comment.pk,
            )
    return comment


def comment_update(*, comment: Comment, by: User, content: str) -> Comment:
    text = _clean_text(content, max_length=COMMENT_MAX_LENGTH, what="A comment")
    if not text:
        raise ValidationError("A comment can't be empty; delete it instead.")
    with transaction.atomic():
        locked = Comment.objects.select_for_update(of=("self",)).get(pk=comment.pk)
        if locked.user_id != by.pk:
            raise PermissionDenied("Only the author can edit a comment.")
        if locked.deleted_at is not None:
            raise ValidationError("That comment was deleted.")
        locked.content = text
        locked.save(update_fields=["content"])
    return locked


def comment_delete(*, comment: Comment, by: User, as_moderator: bool = False) -> None:
    """The author removes their comment; an artist may remove any comment on their posts.
    `as_moderator`: the caller (communities' moderation) has checked that `by` moderates
    the artist's space."""
    with transaction.atomic():
        locked = (
            Comment.objects.select_for_update(of=("self",))
            .select_related("post__artist")
            .get(pk=comment.pk)
        )
        is_post_artist = locked.post is not None and locked.post.artist.user_id == by.pk
        if locked.user_id != by.pk and not (is_post_artist or as_moderator):
            raise PermissionDenied("Only the author or the post's artist can remove a comment.")
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at"])


# Likes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikeState:
    liked: bool
    count: int


def _like_target(
    user: User, post: Post | None, comment: Comment | None, review: Review | None
) -> tuple[dict, User | None, str]:
    """The filter naming the one target, its author (to notify) and its kind."""
    targets = [t for t in (post, comment, review) if t is not None]
    if len(targets) != 1:
        raise ValueError("A like has exactly one target.")
    if post is not None:
        post = Post.objects.select_related("artist__user").get(pk=post.pk)
        if post.deleted_at is not None:
            raise ValidationError("That post was deleted, so it can't be liked.")
        _check_readable(user, post.pk)
        return {"post": post}, post.artist.user, "post"
    if comment is not None:
        comment = Comment.objects.select_related("user", "post").get(pk=comment.pk)
        if comment.deleted_at is not None or (comment.post and comment.post.deleted_at):
            raise ValidationError("That comment was deleted, so it can't be liked.")
        if comment.post_id:
            _check_readable(user, comment.post_id)
        return {"comment": comment}, comment.user, "comment"
    # Neither a post nor a comment: the one target is the review.
    review = Review.objects.select_related("user").get(pk=targets[0].pk)
    return {"review": review}, review.user, "review"


def _like_notify(*, author: User, liker: User, kind: str, target: dict) -> None:
    others = Like.objects.filter(**target).exclude(user=author).count() - 1
    who = (
        liker.display_name
        if others <= 0
        else f"{liker.display_name} and {others} other" + ("s" if others > 1 else "")
    )
    notification_group_update(
        recipient_id=author.pk,
        notification_type=NotificationType.LIKE,
        title=f"{who} liked your {kind}",
        message=f"{who} liked your {kind}.",
        resource_type=kind,
        resource_id=next(iter(target.values())).pk,
    )


def like_set(
    *,
    user: User,
    liked: bool,
    post: Post | None = None,
    comment: Comment | None = None,
    review: Review | None = None,
) -> LikeState:
    """Like or unlike one target; asking for the state it is already in changes nothing.

    Stating the wanted state (rather than flipping) keeps a double-submitted form from
    undoing itself; the buttons still toggle because each shows the opposite state.
    """
    target, author, kind = _like_target(user, post, comment, review)
    if liked:
        try:
            # The NULLS NOT DISTINCT unique key decides concurrent likes by the same user.
            with transaction.atomic():
                Like.objects.create(user=user, **target)
        except IntegrityError:
            pass
        else:
            if author is not None and author.pk != user.pk:
                _like_notify(author=author, liker=user, kind=kind, target=target)
    else:
        Like.objects.filter(user=user, **target).delete()
        if comment is not None:  # its counter and the button in its thread (a new like:
            # content/receivers.py, for likes saved from anywhere)
            comment_thread_forget(post_ids=[target["comment"].post_id])
    return LikeState(liked=liked, count=Like.objects.filter(**target).count())


# Share links ---------------------------------------------------------------------------


def share_link_create(*, post: Post, by: User, expires_in: timedelta | None = None) -> ShareLink:
    if post.deleted_at is not None:
        raise ValidationError("That post was deleted, so it can't be shared.")
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValidationError("A link must expire in the future.")
    return ShareLink.objects.create(
        post=post,
        created_by=by,
        share_token=secrets.token_urlsafe(SHARE_TOKEN_BYTES),
        expires_at=timezone.now() + expires_in if expires_in else None,
    )


# Reviews -------------------------------------------------------------------------------


def _clean_review_fields(*, title: str, text_content: str, rating: int) -> tuple[str, str, int]:
    title = _clean_text(title, max_length=255, what="A title", single_line=True)
    text = _clean_text(text_content, max_length=REVIEW_MAX_LENGTH, what="A review")
    if not title or not text:
        raise ValidationError("A review needs a title and some text.")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("A rating is a whole number of stars from 1 to 5.")
    return title, text, rating


def review_create(
    *,
    user: User,
    content_type: str,
    content_id: str,
    content_name: str,
    title: str,
    text_content: str,
    rating: int,
    artist: Artist | None = None,
    artist_name: str = "",
    images: Sequence[UploadedFile] = (),
    language: Language | None = None,
) -> Review:
    """One review per fan per album or song (unique in the database); edit it to change it.

    `content_id` is the id of a release (album) or track (song) here, or an external
    catalogue's id (D8) for music not on the platform."""
    if content_type not in ReviewedContentType.values:
        raise ValidationError("Only albums and songs can be reviewed.")
    content_id = _clean_text(content_id, max_length=255, what="A catalogue id")
    # A release or track here is named by the catalogue, whatever the form said, so its
    # reviews group under one name and artist.
    item = catalogue_item(content_type=content_type, content_id=content_id)
    if item is not None:
        content_id, content_name, artist = item.content_id, item.name, item.artist
    content_name = _clean_text(content_name, max_length=255, what="A name", single_line=True)
    validate_single_line(artist_name)
    if not content_id or not content_name:
        raise ValidationError("Say which album or song you are reviewing.")
    title, text, rating = _clean_review_fields(
        title=title, text_content=text_content, rating=rating
    )
    checked = check_uploads(list(images), picture_use="review")
    if any(item.media_type != MediaType.IMAGE for item in checked):
        raise ValidationError("A review can carry pictures only.")
    label = ReviewedContentType(content_type).label.lower()
    _refuse_own_release(user=user, artist=artist, artist_name=artist_name, label=label)
    duplicate = ValidationError(
        f"You have already reviewed this {label}; edit your review instead."
    )
    # Catalogue ids and names are compared as people type them: "Night  Drive" and
    # "night drive", "SPOTIFY-1" and "spotify-1" are one item (kept as typed).
    if _reviewed_already(
        user=user,
        content_type=content_type,
        content_id=content_id,
        content_name=content_name,
        artist=artist,
        artist_name=artist_name,
    ):
        raise duplicate
    image_urls = store_media(items=checked, folder=f"reviews/{user.pk}")
    try:
        with transaction.atomic():
            return Review.objects.create(
                user=user,
                content_type=content_type,
                content_id=content_id,
                content_name=content_name,
                artist=artist,
                artist_name=artist.artist_name if artist else (artist_name.strip() or None),
                title=title,
                text_content=text,
                rating=rating,
                image_urls=image_urls or None,
                language=language,
                search_config=search_config_for(language),
            )
    except IntegrityError as exc:
        raise duplicate from exc


def _refuse_own_release(*, user: User, artist: Artist | None, artist_name: str, label: str):
    own_names = {name_key(a.artist_name) for a in user.artist_profiles.all()}
    named = name_key(artist.artist_name if artist else artist_name)
    if (artist is not None and artist.user_id == user.pk) or (named and named in own_names):
        raise ValidationError(f"You cannot review your own {label}.")


def _reviewed_already(
    *,
    user: User,
    content_type: str,
    content_id: str,
    content_name: str,
    artist: Artist | None,
    artist_name: str,
) -> bool:
    """The user has reviewed this item, under this catalogue id or by its name and artist."""
    same_artist = (
        Q(artist=artist)
        if artist is not None
        else Q(artist__isnull=True, artist_name_key=name_key(artist_name))
    )
    return (
        Review.objects.filter(user=user, content_type=content_type)
        .annotate(
            content_id_key=name_key_sql("content_id"),
            content_name_key=name_key_sql("content_name"),
            artist_name_key=name_key_sql("artist_name"),
        )
        .filter(
            Q(content_id_key=content_id)
            | (Q(content_name_key=name_key(content_name)) & same_artist)
        )
        .exists()
    )


def review_update(
    *,
    review: Review,
    by: User,
    title: str,
    text_content: str,
    rating: int,
    language: Language | EllipsisType | None = ...,
) -> Review:
    """`language` (None: not said) is left as it is when not given."""
    title, text, rating = _clean_review_fields(
        title=title, text_content=text_content, rating=rating
    )
    with transaction.atomic():
        locked = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
        if locked.user_id != by.pk:
            raise PermissionDenied("Only the author can edit a review.")
        locked.title, locked.text_content, locked.rating = title, text, rating
        if not isinstance(language, EllipsisType):
            locked.language, locked.search_config = language, search_config_for(language)
        locked.save(update_fields=["title", "text_content", "rating", "language", "search_config"])
    return locked


def review_delete(*, review: Review, by: User, as_moderator: bool = False) -> None:
    """Reviews have no deleted_at column: deleting one removes it with its comments and likes.
    `as_moderator` as for comment_delete."""
    with transaction.atomic():
        locked = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
        if locked.user_id != by.pk and not as_moderator:
            raise PermissionDenied("Only the author can delete a review.")
        locked.delete()


# Following artists (user_preferences.favorite_artists, D8) -----------------------------


def _locked_preferences(user: User) -> UserPreferences:
    UserPreferences.objects.get_or_create(user=user)
    return UserPreferences.objects.select_for_update().get(user=user)


def artist_follow(*, user: User, artist: Artist) -> UserPreferences:
    with transaction.atomic():
        # Arrays cannot hold foreign keys: check the artist still exists while we hold the lock.
        if not Artist.objects.filter(pk=artist.pk).exists():
            raise ValidationError("That artist no longer exists.")
        preferences = _locked_preferences(user)
        if artist.pk not in preferences.favorite_artists:
            preferences.favorite_artists = [*preferences.favorite_artists, artist.pk]
            preferences.save(update_fields=["favorite_artists"])
            follower_counts_forget([artist.pk])
    return preferences


def artist_unfollow(*, user: User, artist: Artist) -> UserPreferences:
    with transaction.atomic():
        preferences = _locked_preferences(user)
        if artist.pk in preferences.favorite_artists:
            preferences.favorite_artists = [
                pk for pk in preferences.favorite_artists if pk != artist.pk
            ]
            preferences.save(update_fields=["favorite_artists"])
            follower_counts_forget([artist.pk])
    return preferences


# An expired link keeps answering "this link has expired" (410) for a month before it is
# removed and answers "not found".
SHARE_LINK_RETENTION = timedelta(days=30)


def share_links_purge() -> int:
    deleted, _ = ShareLink.objects.filter(
        expires_at__lt=timezone.now() - SHARE_LINK_RETENTION
    ).delete()
    return deleted
