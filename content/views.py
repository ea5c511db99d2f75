import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.selectors import follow_states
from artists.models import Artist
from catalogue.selectors import catalogue_items_matching
from communities.media import private_file_response
from content import selectors, services
from content.forms import (
    CommentEditForm,
    CommentForm,
    LikeForm,
    PostEditForm,
    PostForm,
    ReviewFieldsForm,
    ReviewForm,
    ReviewItemSearchForm,
    ShareLinkForm,
)
from content.media import post_media_name, teaser_picture_name
from content.models import Comment, Post, PostAudience, Review, ReviewedContentType
from musicplatform.fragments import read_fragments
from musicplatform.http import redirect_back
from musicplatform.ratelimits import limited_per_user


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# Feed and explore ----------------------------------------------------------------------


@login_required
@require_safe
def feed(request):
    before = None
    if cursor := request.GET.get("before"):
        try:
            before = selectors.decode_cursor(cursor)
        except ValueError:
            messages.error(request, "That page of the feed does not exist; here is the newest.")
    page = selectors.feed_page(user=request.user, before=before)
    return render(
        request,
        "content/feed.html",
        {
            "page": page,
            "follows": follow_states(
                viewer=request.user, artist_ids=[a.pk for a in page.suggested_artists]
            ),
            # The flag artist_create() sets, as the header's "My artist page" reads it:
            # asking for the user's artist profiles cost a query on every visit.
            "is_artist": request.user.is_artist,
        },
    )


@require_safe
def explore(request):
    return render(
        request, "content/explore.html", {"explore": selectors.ExplorePage(viewer=request.user)}
    )


@login_required
@require_POST
def artist_follow(request, artist_id):
    artist = get_object_or_404(Artist, pk=artist_id)
    try:
        if request.POST.get("action") == "unfollow":
            services.artist_unfollow(user=request.user, artist=artist)
            messages.success(request, f"You no longer follow {artist.artist_name}.")
        else:
            services.artist_follow(user=request.user, artist=artist)
            messages.success(request, f"You now follow {artist.artist_name}.")
    except ValidationError as error:
        messages.error(request, _errors(error))
    if request.htmx:
        # The button again, in its new state and with the new count, in place; a message
        # (an artist who is gone) shows with the next page.
        states = follow_states(viewer=request.user, artist_ids=[artist.pk])
        return render(
            request,
            "content/_follow_button.html",
            {"artist": artist, "state": states[artist.pk], "next": request.POST.get("next", "")},
        )
    return redirect_back(request, reverse("content:feed"))


# Posts ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@limited_per_user("post")
def post_create(request):
    artists = request.user.artist_profiles.order_by("artist_name")
    if not artists:
        raise PermissionDenied("Only artists can publish posts.")
    form = PostForm(request.POST or None, request.FILES or None, artists=artists)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                artist=form.cleaned_data["artist"],
                by=request.user,
                content_text=form.cleaned_data["content_text"],
                uploads=form.cleaned_data["media"],
                audience=form.cleaned_data["audience"] or PostAudience.PUBLIC,
                communities=list(form.cleaned_data["communities"]),
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your post is live.")
            return redirect("content:post_detail", post_id=post.pk)
    return render(request, "content/post_form.html", {"form": form}, status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _can_moderate(request, post: Post | None) -> bool:
    """A post's artist may remove any comment under it (reviews have no moderator)."""
    return post is not None and post.artist.user_id == request.user.pk


def _post_page_context(
    request,
    post: Post,
    comment_form=None,
    thread: selectors.CommentPage | selectors.KeptCommentPage | None = None,
) -> dict:
    follows = follow_states(viewer=request.user, artist_ids=[post.artist_id])
    return {
        "post": post,
        "follows": follows,
        # What the page's head shows that changes: the card's values, the artist's and
        # the Follow button's (post_detail.html's shared fragment).
        "head_vary": (post.card_vary, post.artist.updated_at, follows.vary),
        "thread": thread if thread is not None else _comments_asked(request, post=post),
        "thread_url": post.get_absolute_url(),
        "comment_form": comment_form or CommentForm(),
        "comment_action": reverse("content:post_comment", args=[post.pk]),
        "can_moderate": _can_moderate(request, post),
        # Made only when the head is rendered, not when it comes from its fragment.
        "share_form": SimpleLazyObject(ShareLinkForm),
        "reply_to": _reply_to(request),
    }


def _read_post_page_fragments(request, context: dict) -> None:
    """The page's shared fragments in one round trip to Redis (a GET each cost more CPU
    than the page's own rendering): the head, the empty comment form, the page of
    comments; and, in a second one, those inside whichever is to be rendered (after a new
    comment, the head's post card and each comment's). The values are those of the
    templates' `{% fragment %}`s (post_detail.html, _post_card.html, _comments.html,
    _comment_items.html, _comment.html); test_post_page_fragments.py counts the reads."""
    post, thread = context["post"], context["thread"]
    can_moderate, thread_url = context["can_moderate"], context["thread_url"]
    fragments = [("post-head", (context["head_vary"],))]
    if request.user.is_authenticated and not context["reply_to"]:
        fragments.append(("comment-form", (context["comment_action"],)))
    if thread.has_nodes:
        fragments.append(("comment-items", (thread.vary, can_moderate, thread_url)))
    missing = read_fragments(request, fragments)
    inside = []
    if "post-head" in missing:
        inside.append(("post-card", (post.card_vary,)))
    if "comment-items" in missing and isinstance(thread, selectors.KeptCommentPage):
        # To be rendered: its rows now (their vary is the kept one unless a change is
        # being committed; the fragment is read again under theirs).
        thread = context["thread"] = selectors.comment_page(viewer=request.user, post=post)
        inside.append(("comment-items", (thread.vary, can_moderate, thread_url)))
    if "comment-items" in missing:
        inside.extend(
            ("comment", (node.vary, can_moderate, thread_url)) for node in thread.every_node()
        )
    if inside:
        read_fragments(request, inside)


def _reply_to(request) -> uuid.UUID | None:
    """The comment a "Reply" link (`?reply_to=<id>`) answers. A page carries one reply form,
    for it, rather than one per comment: those were most of the post page's HTML and time."""
    if raw := request.GET.get("reply_to"):
        try:
            return uuid.UUID(raw)
        except ValueError:
            messages.error(
                request, "That comment cannot be replied to; use the Reply link below it."
            )
    return None


def _comments_asked(request, **target) -> selectors.CommentPage:
    """The page of comments the "more comments" link (`?comments=<cursor>`) asks for."""
    before = None
    if cursor := request.GET.get("comments"):
        try:
            before = selectors.decode_cursor(cursor)
        except ValueError:
            messages.error(request, "Those comments do not exist; here are the newest.")
    return selectors.comment_page(viewer=request.user, before=before, **target)


def _more_comments(request, context: dict):
    """htmx's "more comments" gets only the next comments, to add below those shown, and
    its "Reply" only the reply form, in place of the link."""
    if not request.htmx:
        return None
    if context["reply_to"]:
        return render(request, "content/_reply_form.html", context)
    if "comments" in request.GET:
        return render(request, "content/_comment_items.html", context)
    return None


@require_safe
def post_detail(request, post_id):
    """Anyone reads a public post and its comments; a members-only one shows those who
    may not read it a teaser with the communities to join."""
    post = selectors.post_card(viewer=request.user, post_id=post_id)
    if post is None:
        raise Http404("No post has that address.")
    if not post.readable:
        return render(
            request,
            "content/post_teaser.html",
            {
                "post": post,
                "communities": selectors.post_audience_communities(post),
                "follows": follow_states(viewer=request.user, artist_ids=[post.artist_id]),
            },
        )
    if request.htmx or "comments" in request.GET:
        # "More comments", "Reply": the page asked for, read (_more_comments).
        context = _post_page_context(request, post)
        if partial := _more_comments(request, context):
            return partial
    else:
        # The first page: what its comments vary on, kept between changes to them.
        thread = selectors.post_comment_page(viewer=request.user, post=post)
        context = _post_page_context(request, post, thread=thread)
    _read_post_page_fragments(request, context)
    return render(request, "content/post_detail.html", context)


@require_safe
def post_teaser_picture(request, post_id):
    """The blurred picture of a post's teaser, for anyone (content/media.py)."""
    if not Post.objects.filter(pk=post_id, deleted_at__isnull=True).exists():
        raise Http404("No post has that address.")
    try:
        return private_file_response(teaser_picture_name(post_id))
    except FileNotFoundError:
        raise Http404("This post has no picture.") from None


@require_safe
def post_media(request, post_id, name):
    """A post's picture, audio or video, for whoever may read the post."""
    try:
        post_id = uuid.UUID(post_id)
    except ValueError:
        raise Http404("No media you can see has that address.") from None
    if not selectors.readable_posts(request.user).filter(pk=post_id).exists():
        raise Http404("No media you can see has that address.")
    try:
        return private_file_response(post_media_name(post_id, name))
    except FileNotFoundError:
        raise Http404("No media you can see has that address.") from None


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, post_id):
    post = selectors.post_owned_by(user=request.user, post_id=post_id)
    if post is None:
        raise Http404("No post of yours has that address.")
    initial = {
        "content_text": post.content_text,
        "audience": post.audience,
        "communities": list(post.communities.all()),
        "language": post.language_id,
    }
    form = PostEditForm(
        request.POST or None, request.FILES or None, initial=initial, artist=post.artist
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(
                post=post,
                by=request.user,
                content_text=form.cleaned_data["content_text"],
                uploads=form.cleaned_data["media"],
                remove_media=form.cleaned_data["remove_media"],
                audience=form.cleaned_data["audience"] or None,
                communities=list(form.cleaned_data["communities"]),
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your post was updated.")
            return redirect("content:post_detail", post_id=post.pk)
    return render(
        request, "content/post_edit.html", {"form": form, "post": post}, status=_status(form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_delete(request, post_id):
    post = selectors.post_owned_by(user=request.user, post_id=post_id)
    if post is None:
        raise Http404("No post of yours has that address.")
    if request.method == "POST":
        services.post_delete(post=post, by=request.user)
        messages.success(request, "Your post was deleted.")
        return redirect("content:feed")
    return render(request, "content/post_delete.html", {"post": post})


# Comments ------------------------------------------------------------------------------


def _comment_on(request, *, post: Post | None = None, review: Review | None = None):
    """Adds a comment or reply; htmx gets the re-rendered thread, others a redirect."""
    form = CommentForm(request.POST)
    page_url = (
        reverse("content:post_detail", args=[post.pk])
        if post
        else reverse("content:review_detail", args=[review.pk])
    )
    error = None
    if form.is_valid():
        parent = None
        if parent_id := form.cleaned_data["parent"]:
            parent = Comment.objects.filter(pk=parent_id).first()
            if parent is None:
                form.add_error(None, "The comment you replied to does not exist.")
        if not form.errors:
            try:
                services.comment_create(
                    user=request.user,
                    content=form.cleaned_data["content"],
                    post=post,
                    review=review,
                    parent=parent,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
    if form.errors:
        error = " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
    if request.htmx:
        context = {
            "thread": selectors.comment_page(viewer=request.user, post=post, review=review),
            "thread_url": page_url,
            "comment_form": form if error and not form.data.get("parent") else CommentForm(),
            "comment_action": request.path,
            "can_moderate": _can_moderate(request, post),
            "thread_error": error,
        }
        return render(request, "content/_comments.html", context)
    if error:
        if post is not None:
            context = _post_page_context(request, post, comment_form=form)
            context["thread_error"] = error
            return render(request, "content/post_detail.html", context, status=400)
        messages.error(request, error)
        return redirect(page_url)
    messages.success(request, "Your comment was posted.")
    return redirect(f"{page_url}#comments")


@login_required
@require_POST
@limited_per_user("comment")
def post_comment(request, post_id):
    post = get_object_or_404(selectors.posts_for(request.user), pk=post_id)
    return _comment_on(request, post=post)


@login_required
@require_POST
@limited_per_user("comment")
def review_comment(request, review_id):
    review = get_object_or_404(Review, pk=review_id)
    return _comment_on(request, review=review)


def _comment_page(comment: Comment) -> str:
    if comment.post_id:
        return reverse("content:post_detail", args=[comment.post_id]) + "#comments"
    return reverse("content:review_detail", args=[comment.review_id]) + "#comments"


@login_required
@require_safe
def comment_replies(request, comment_id):
    """The replies to one comment, a page at a time: where its "more replies" link leads."""
    parent = get_object_or_404(
        Comment.objects.select_related("user", "post__artist", "review"),
        Q(post__isnull=True) | Q(post__deleted_at__isnull=True),
        pk=comment_id,
    )
    if (
        parent.post_id
        and not selectors.readable_posts(request.user).filter(pk=parent.post_id).exists()
    ):
        raise Http404("No comment you can read has that address.")
    thread = parent.post or parent.review
    context = {
        "parent": parent,
        "thread": _comments_asked(request, parent=parent),
        "thread_url": reverse("content:comment_replies", args=[parent.pk]),
        "comment_form": CommentForm(),
        "comment_action": reverse(
            "content:post_comment" if parent.post else "content:review_comment", args=[thread.pk]
        ),
        "can_moderate": _can_moderate(request, parent.post),
        "reply_to": _reply_to(request),
    }
    return _more_comments(request, context) or render(
        request, "content/comment_replies.html", context
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request, comment_id):
    comment = get_object_or_404(Comment, pk=comment_id, user=request.user, deleted_at__isnull=True)
    form = CommentEditForm(request.POST or None, initial={"content": comment.content})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_update(
                comment=comment, by=request.user, content=form.cleaned_data["content"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your comment was updated.")
            return redirect(_comment_page(comment))
    return render(
        request,
        "content/comment_edit.html",
        {"form": form, "comment": comment},
        status=_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request, comment_id):
    comment = get_object_or_404(
        Comment.objects.select_related("post__artist"), pk=comment_id, deleted_at__isnull=True
    )
    # Someone who may not remove it learns nothing about it.
    if comment.user_id != request.user.pk and not (
        comment.post and comment.post.artist.user_id == request.user.pk
    ):
        raise Http404("No comment you can remove has that address.")
    if request.method == "POST":
        services.comment_delete(comment=comment, by=request.user)
        messages.success(request, "The comment was removed.")
        return redirect(_comment_page(comment))
    return render(request, "content/comment_delete.html", {"comment": comment})


# Likes ---------------------------------------------------------------------------------

LIKE_TARGETS = {"post": Post, "comment": Comment, "review": Review}


@login_required
@require_POST
def like(request, kind, target_id):
    model = LIKE_TARGETS.get(kind)
    if model is None:
        raise Http404("Only posts, comments and reviews can be liked.")
    target = get_object_or_404(model, pk=target_id)
    form = LikeForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Say whether to like or unlike.")
    try:
        state = services.like_set(
            user=request.user, liked=form.cleaned_data["liked"], **{kind: target}
        )
    except ValidationError as error:
        if request.htmx:
            return render(
                request,
                "content/_like_error.html",
                {"message": _errors(error)},
                status=200,
            )
        messages.error(request, _errors(error))
        return redirect_back(request, reverse("content:feed"))
    if request.htmx:
        return render(
            request,
            "content/_like_button.html",
            {
                "kind": kind,
                "target_id": target.pk,
                "liked": state.liked,
                "count": state.count,
                "next": request.POST.get("next", ""),
            },
        )
    return redirect_back(request, reverse("content:feed"))


# Share links ---------------------------------------------------------------------------


@login_required
@require_POST
def share_create(request, post_id):
    post = get_object_or_404(Post, pk=post_id, deleted_at__isnull=True)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose when the link expires from the list.")
        return redirect("content:post_detail", post_id=post.pk)
    link = services.share_link_create(
        post=post, by=request.user, expires_in=form.cleaned_data["expires_in_days"]
    )
    share_url = request.build_absolute_uri(reverse("content:shared_post", args=[link.share_token]))
    return render(request, "content/share_created.html", {"link": link, "share_url": share_url})


@require_safe
def shared_post(request, token):
    link = selectors.share_link_by_token(token)
    if link is None:
        raise Http404("This share link does not exist.")
    if link.expires_at is not None and link.expires_at <= timezone.now():
        return render(request, "content/share_expired.html", {"link": link}, status=410)
    # A share link is read by link previews and strangers: a members-only post shows them
    # its teaser, never its text or media.
    if not link.post.is_public:
        return redirect("content:post_detail", post_id=link.post_id)
    return render(
        request,
        "content/shared_post.html",
        {"post": link.post, "share_url": request.build_absolute_uri()},
    )


# Reviews -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@limited_per_user("review")
def review_create(request):
    """Pick the album or song among the releases and tracks here (found as the fan types,
    or by the find form's plain GET), or name one that is not on the platform."""
    search = ReviewItemSearchForm(request.GET if "find" in request.GET else None)
    found = catalogue_items_matching(query=search.cleaned_data["find"]) if search.is_valid() else []
    form = ReviewForm(
        request.POST or None, request.FILES or None, initial=request.GET.dict(), found=found
    )
    context = {"form": form, "search": search}
    if request.method == "GET" and request.htmx:
        return render(request, "content/_review_item_picker.html", context)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_create(
                user=request.user,
                content_type=data["content_type"],
                content_id=data["content_id"],
                content_name=data["content_name"],
                artist=data["artist"],
                artist_name=data["artist_name"],
                title=data["title"],
                text_content=data["text_content"],
                rating=data["rating"],
                images=data["images"],
                language=data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Thanks for your review.")
            return redirect("content:review_detail", review_id=review.pk)
    return render(request, "content/review_form.html", context, status=_status(form))


@require_safe
def review_detail(request, review_id):
    review = get_object_or_404(selectors.reviews_for(request.user), pk=review_id)
    context = {
        "review": review,
        "thread": _comments_asked(request, review=review),
        "thread_url": review.get_absolute_url(),
        "comment_form": CommentForm(),
        "comment_action": reverse("content:review_comment", args=[review.pk]),
        "can_moderate": False,
    }
    return _more_comments(request, context) or render(
        request, "content/review_detail.html", context
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request, review_id):
    review = get_object_or_404(Review, pk=review_id, user=request.user)
    initial = {
        "title": review.title,
        "text_content": review.text_content,
        "rating": review.rating,
        "language": review.language_id,
    }
    form = ReviewFieldsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_update(review=review, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your review was updated.")
            return redirect("content:review_detail", review_id=review.pk)
    return render(
        request, "content/review_edit.html", {"form": form, "review": review}, status=_status(form)
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_delete(request, review_id):
    review = get_object_or_404(Review, pk=review_id, user=request.user)
    if request.method == "POST":
        services.review_delete(review=review, by=request.user)
        messages.success(request, "Your review was deleted.")
        return redirect("content:explore")
    return render(request, "content/review_delete.html", {"review": review})


@require_safe
def reviewed_item(request, content_type, content_id):
    if content_type not in ReviewedContentType.values:
        raise Http404("Only albums and songs are reviewed.")
    item = selectors.reviewed_item(
        viewer=request.user,
        content_type=content_type,
        content_id=content_id,
        page_number=request.GET.get("page"),
    )
    if item is None:
        raise Http404("Nobody has reviewed this yet.")
    return render(request, "content/reviewed_item.html", item)


@require_safe
def artist_reviews(request, artist_id):
    artist = get_object_or_404(Artist, pk=artist_id)
    return render(
        request,
        "content/artist_reviews.html",
        selectors.artist_reviews(
            viewer=request.user, artist=artist, page_number=request.GET.get("page")
        ),
    )
