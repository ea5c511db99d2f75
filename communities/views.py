"""Community pages: artists manage, members read and post, everyone else meets the paywall.

Every view that shows forum or event content asks `selectors.can_view_content`; an id that
does not belong to the community in the URL is answered 404, so ids cannot be probed.
"""

import re
import uuid
from datetime import UTC, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from artists.selectors import artist_of
from communities import forms, media, selectors
from communities.calendar import event_calendar
from communities.models import (
    ForumType,
    LiveEventStatus,
    LiveEventType,
    SuggestionState,
    TierChangeKind,
)
from communities.selectors import CommunityInfo
from communities.services import (
    CommunityError,
    forums,
    listing,
    live,
    reactions,
    subscriptions,
    tiers,
    topics,
)
from communities.streams import stream_embed_url
from musicplatform.audit.services import StatusTransitionError
from musicplatform.db import well_formed_uuids
from musicplatform.formatting import moment_format, money_format
from musicplatform.http import redirect_back
from musicplatform.ratelimits import limited_per_user
from musicplatform.search import community_forum_search
from musicplatform.templatetags.site import viewer_zone

# The @word at the end of the text being typed: what mention suggestions complete.
MENTION_BEING_TYPED = re.compile(r"(?<![\w@.])@([\w.+-]{1,50})$")
# htmx stops polling when a poll answers with this status (the event is over).
STOP_POLLING = 286


def _info(community_id) -> CommunityInfo:
    info = selectors.community_info(community_id=community_id)
    if info is None:
        raise Http404
    return info


def _paywall(request, info: CommunityInfo) -> HttpResponse:
    context = {
        "info": info,
        "community": info.community,
        "subscription": selectors.subscription_of(
            community_id=info.community.pk, user=request.user
        ),
    }
    return render(request, "communities/paywall.html", context, status=403)


def _member_info(request, community_id) -> tuple[CommunityInfo, HttpResponse | None]:
    """The community, and the paywall response when the viewer may not see its content."""
    info, can_view = selectors.community_info_viewed(community_id=community_id, user=request.user)
    if info is None:
        raise Http404
    if not can_view:
        return info, _paywall(request, info)
    return info, None


def _managed_info(request, community_id) -> CommunityInfo:
    info = _info(community_id)
    if not selectors.can_manage(info=info, user=request.user):
        raise Http404
    return info


def _submitted(request) -> tuple:
    if request.method == "POST":
        return request.POST, request.FILES
    return ()


# Communities


@require_safe
def community_list(request):
    return render(
        request,
        "communities/list.html",
        {"page": selectors.communities_page(page_number=request.GET.get("page"))},
    )


@login_required
@require_safe
def community_mine(request):
    return render(
        request,
        "communities/mine.html",
        {
            "memberships": selectors.my_memberships(user=request.user),
            "own_communities": selectors.communities_of_artist_user(user=request.user),
            "is_artist": artist_of(user=request.user) is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def community_create(request):
    artist = artist_of(user=request.user)
    if artist is None:
        messages.info(request, "Create your artist page first; communities belong to artists.")
        return redirect("artists:become")
    form = forms.CommunityForm(*_submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            community = listing.community_create(artist=artist, **form.cleaned_data)
        except CommunityError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Community created. Add its forums next.")
            return redirect(community)
    return render(
        request,
        "communities/community_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_safe
def community_detail(request, community_id):
    user = request.user
    info, can_view = selectors.community_info_viewed(community_id=community_id, user=user)
    if info is None:
        raise Http404
    if info.community.artist.is_removed:
        return render(request, "artists/gone.html", {"artist": info.community.artist}, status=410)
    subscription = selectors.subscription_of(community_id=info.community.pk, user=user)
    return render(
        request,
        "communities/detail.html",
        {
            "info": info,
            "community": info.community,
            "can_view": can_view,
            "can_manage": selectors.can_manage(info=info, user=user),
            "is_artist": selectors.is_community_artist(info=info, user=user),
            "subscription": subscription,
            "is_member": can_view and subscription is not None and subscription.is_active,
            "tier_membership": selectors.tier_membership(info=info, user=user),
            "pending_change": (
                selectors.pending_tier_change(subscription=subscription)
                if info.tiers and subscription is not None and subscription.is_active
                else None
            ),
            "is_moderator": selectors.is_moderator(info=info, user=user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def community_edit(request, community_id):
    info = _managed_info(request, community_id)
    community = info.community
    initial = {
        "name": community.name,
        "description": community.description or "",
        "subscription_fee": community.subscription_fee,
        "subscription_interval": community.subscription_interval,
    }
    form = forms.CommunityForm(*_submitted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            community = listing.community_update(
                community=community, by=request.user, **form.cleaned_data
            )
        except CommunityError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, "Community saved.")
            for group in selectors.member_prices(community_id=community.pk):
                if (group.price, group.billing_interval) != (
                    community.subscription_fee,
                    community.subscription_interval,
                ):
                    messages.info(
                        request,
                        f"{group.members} current member{pluralize(group.members)} "
                        f"keep{pluralize(group.members, 's,')} paying {group} until they "
                        "accept the new price.",
                    )
            return redirect(community)
    return render(
        request,
        "communities/community_form.html",
        {
            "form": form,
            "community": community,
            "member_prices": selectors.member_prices(community_id=community.pk),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def community_dashboard(request, community_id):
    info = _managed_info(request, community_id)
    return render(
        request,
        "communities/dashboard.html",
        {
            "info": info,
            "community": info.community,
            "dashboard": selectors.dashboard(
                community=info.community, page_number=request.GET.get("page")
            ),
            "events": selectors.live_events_of(community_id=info.community.pk),
            "tier_form": (
                forms.TierOrderForm(
                    communities=selectors.communities_of_artist_user(user=request.user)
                )
                if selectors.is_community_artist(info=info, user=request.user)
                else None
            ),
        },
    )


# Membership


@login_required
@require_POST
def subscribe(request, community_id):
    info = _info(community_id)
    try:
        redirect_url = subscriptions.subscription_checkout_start(
            user=request.user, community=info.community, site_url=request.build_absolute_uri("/")
        )
    except CommunityError as error:
        messages.error(request, str(error))
        return redirect(info.community)
    return redirect(redirect_url)


def _own_subscription(request, community_id):
    subscription = selectors.subscription_of(community_id=community_id, user=request.user)
    if subscription is None:
        raise Http404
    return subscription


@login_required
@require_POST
def subscription_cancel(request, community_id):
    subscription = _own_subscription(request, community_id)
    try:
        subscription = subscriptions.subscription_cancel(subscription=subscription, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Your membership will not renew. You keep access until "
            f"{moment_format(subscription.end_date)}.",
        )
    return redirect_back(request, subscription.community)


@login_required
@require_POST
def subscription_accept_price(request, community_id):
    """The member switches to the community's current price from their next renewal."""
    subscription = _own_subscription(request, community_id)
    form = forms.AcceptPriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Accept the price shown on the community's page.")
        return redirect_back(request, subscription.community)
    try:
        subscription = subscriptions.subscription_accept_price(
            subscription=subscription,
            by=request.user,
            fee=form.cleaned_data["fee"],
            interval=form.cleaned_data["interval"],
        )
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"From your renewal on {moment_format(subscription.end_date, with_time=False)} you "
            f"pay {money_format(subscription.price)} / "
            f"{subscription.get_billing_interval_display().lower()}.",
        )
    return redirect_back(request, subscription.community)


@login_required
@require_POST
def subscription_resume(request, community_id):
    subscription = _own_subscription(request, community_id)
    try:
        subscriptions.subscription_resume(subscription=subscription, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your membership renews automatically again.")
    return redirect_back(request, subscription.community)


@login_required
@require_POST
def subscription_leave(request, community_id):
    """Leave a free tier at once."""
    subscription = _own_subscription(request, community_id)
    try:
        tiers.subscription_leave(subscription=subscription, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You left {subscription.community.name}.")
    return redirect(subscription.community)


# Tiers


@login_required
@require_POST
def tiers_order(request):
    """The artist ranks their communities as tiers (from a community's dashboard)."""
    artist = artist_of(user=request.user)
    if artist is None:
        raise Http404
    own = selectors.communities_of_artist_user(user=request.user)
    form = forms.TierOrderForm(request.POST, communities=own)
    if not form.is_valid():
        messages.error(
            request,
            f"Give each tier a whole number from 1 to {tiers.TIER_RANK_MAX}, or leave it blank.",
        )
    else:
        try:
            tiers.community_tiers_set(artist=artist, by=request.user, ranks=form.ranks())
        except CommunityError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Tiers saved.")
    return redirect_back(request, "communities:mine")


@login_required
@require_http_methods(["GET", "POST"])
def tier_change(request, community_id):
    """Move the viewer's membership of another of the artist's tiers to this one: the
    page shows exactly what is charged now and per period; the form confirms it."""
    if request.method == "POST":
        form = forms.TierChangeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Confirm the amount shown on the tier change page.")
            return redirect("communities:tier_change", community_id)
        try:
            started = tiers.tier_change_start(
                user=request.user,
                to_community_id=community_id,
                amount_shown=form.cleaned_data["amount"],
                price_shown=form.cleaned_data["price"],
                site_url=request.build_absolute_uri("/"),
            )
        except CommunityError as error:
            messages.error(request, str(error))
            return redirect("communities:tier_change", community_id)
        if started.redirect_url:
            return redirect(started.redirect_url)
        change = started.change
        if change.kind == TierChangeKind.DOWNGRADE:
            messages.success(
                request,
                f"From {moment_format(change.subscription.end_date, with_time=False)} you are "
                f"a member of {change.to_community.name} at {money_format(change.price)} per "
                "period. "
                "Until then nothing changes; you can cancel this on your membership.",
            )
            return redirect(change.subscription.community)
        messages.success(request, f"You are now a member of {change.to_community.name}.")
        return redirect(change.to_community)
    try:
        quote = tiers.tier_change_quote(user=request.user, to_community_id=community_id)
    except CommunityError as error:
        messages.error(request, str(error))
        return redirect("communities:mine")
    return render(
        request,
        "communities/tier_change.html",
        {"quote": quote, "community": quote.to_community},
    )


@login_required
@require_POST
def tier_change_cancel(request, community_id):
    """Cancel the scheduled downgrade of the viewer's membership of this community."""
    subscription = _own_subscription(request, community_id)
    try:
        tiers.tier_change_cancel(subscription=subscription, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your scheduled tier change is cancelled.")
    return redirect(subscription.community)


# Forums


@login_required
@require_http_methods(["GET", "POST"])
def forum_create(request, community_id):
    info = _managed_info(request, community_id)
    form = forms.ForumForm(*_submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            forum = forums.forum_create(
                community=info.community, by=request.user, **form.cleaned_data
            )
        except CommunityError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Forum “{forum.name}” created.")
            return redirect("communities:forum", info.community.pk, forum.pk)
    return render(
        request,
        "communities/forum_form.html",
        {"form": form, "community": info.community},
        status=400 if form.errors else 200,
    )


def _forum(info: CommunityInfo, forum_id):
    forum = selectors.forum_of(info=info, forum_id=forum_id)
    if forum is None:
        raise Http404
    return forum


def _forum_head_vary(context: dict) -> tuple:
    """What the head of a forum's page shows that changes or differs by viewer (shared
    fragments in forum.html): the community and its artist (`updated_at` moves with every
    edit and verification), the forum, the viewer's rights and the suggestions filter."""
    community, forum = context["community"], context["forum"]
    return (
        community.pk,
        community.updated_at,
        community.artist.updated_at,
        forum.pk,
        forum.forum_type,
        forum.name,
        forum.description,
        forum.slow_mode_seconds,
        context["may_post"],
        context["can_moderate"],
        context.get("state"),
    )


@require_http_methods(["GET", "POST"])
@limited_per_user("forum_message")
def forum_detail(request, community_id, forum_id):
    info, paywall = _member_info(request, community_id)
    forum = _forum(info, forum_id)
    if paywall:
        return paywall
    user = request.user
    is_artist = selectors.is_community_artist(info=info, user=user)
    may_post = forum.forum_type != ForumType.ARTIST_FORUM or is_artist
    chat = forum.forum_type == ForumType.ALL_CHAT
    form_class = forms.ChatMessageForm if chat else forms.ForumPostForm
    submitted = request.method == "POST"
    # An empty form is rendered only when its shared fragment is not cached: built then.
    form = form_class(*_submitted(request)) if submitted else SimpleLazyObject(form_class)
    status = 200
    if submitted:
        if not may_post:
            messages.error(request, "Only the artist posts in the artist forum.")
            return redirect("communities:forum", community_id, forum_id)
        if form.is_valid():
            try:
                post = forums.forum_post_create(
                    forum=forum, community=info.community, by=user, **form.cleaned_data
                )
            except CommunityError as error:
                form.add_error(None, str(error))
            else:
                if chat and request.htmx:
                    form = forms.ChatMessageForm()
                else:
                    messages.success(request, "Posted.")
                    return redirect(post)
        if chat and request.htmx:
            # The chat form swaps itself; the poll brings the message like everyone else's.
            return render(
                request,
                "communities/_chat_form.html",
                {"form": form, "forum": forum, "community": info.community},
            )
        status = 400
    context = {
        "info": info,
        "community": info.community,
        "forum": forum,
        "form": form,
        "submitted": submitted,
        "may_post": may_post,
        "can_manage": selectors.can_manage(info=info, user=user),
        "can_moderate": selectors.is_moderator(info=info, user=user),
    }
    if chat:
        log = selectors.chat_log(forum=forum)
        context["chat_messages"] = log.messages
        context["chat_vary"] = selectors.chat_vary(log.messages)
        context["my_messages"] = [post for post in log.messages if post.user_id == user.pk]
        context["pinned"] = log.pinned
        context["pinned_vary"] = selectors.pinned_vary(log.pinned, viewer=user)
        context["head_vary"] = _forum_head_vary(context)
    else:
        # Without a query string there is nothing to parse: the first page, every state.
        filter_form = (
            forms.SuggestionFilterForm(request.GET)
            if request.GET
            else SimpleLazyObject(forms.SuggestionFilterForm)
        )
        state = None
        before = None
        if request.GET:
            if forum.forum_type == ForumType.SUGGESTIONS and filter_form.is_valid():
                state = filter_form.cleaned_data["state"] or None
            cursor = forms.TopicCursorForm(request.GET)
            if not cursor.is_valid():
                messages.error(request, forms.BROKEN_PAGE_LINK)
                return redirect("communities:forum", community_id, forum_id)
            before = cursor.cleaned_data["before"]
        context["filter_form"] = filter_form
        context["state"] = state
        context["head_vary"] = _forum_head_vary(context)
        context["topics"] = selectors.topic_list(forum=forum, user=user, before=before, state=state)
    return render(request, "communities/forum.html", context, status=status)


def _topic(request, community_id, topic_id):
    info, paywall = _member_info(request, community_id)
    topic = selectors.topic_in(community_id=info.community.pk, topic_id=topic_id, user=request.user)
    if topic is None:
        raise Http404
    return info, topic, paywall


@require_http_methods(["GET", "POST"])
@limited_per_user("forum_message")
def topic_detail(request, community_id, topic_id):
    """A topic and its replies, a page at a time; members reply at the bottom."""
    info, topic, paywall = _topic(request, community_id, topic_id)
    if paywall:
        return paywall
    user = request.user
    form = forms.ReplyForm(*_submitted(request), initial=_quoted(request, topic))
    if request.method == "POST" and form.is_valid():
        try:
            reply = topics.topic_reply_create(
                topic=topic, community=info.community, by=user, **form.cleaned_data
            )
        except CommunityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Replied.")
            return redirect(reply)
    cursor = forms.TopicCursorForm(request.GET)
    if not cursor.is_valid():
        messages.error(request, forms.BROKEN_PAGE_LINK)
        return redirect("communities:topic", community_id, topic_id)
    after = cursor.cleaned_data["after"] or _page_of_reply(request, topic)
    page = selectors.TopicPage(topic=topic, user=user, after=after)
    if request.method == "GET":  # a refused reply changes nothing, read positions included
        topics.topic_mark_read(topic=topic, user=user, up_to=page.newest_shown)
    return render(
        request,
        "communities/topic.html",
        {
            "info": info,
            "community": info.community,
            "forum": topic.forum,
            "topic": topic,
            "page": page,
            "form": form,
            "can_manage": selectors.can_manage(info=info, user=user),
            "can_moderate": selectors.is_moderator(info=info, user=user),
            "suggestion_states": SuggestionState.choices,
        },
        status=400 if form.errors else 200,
    )


def _page_of_reply(request, topic) -> selectors.Cursor | None:
    """`?reply=<id>` (a reply's address, as notifications link to it): the page of
    replies that starts with that one, wherever it is in a long topic."""
    reply_ids = well_formed_uuids([request.GET.get("reply", "")])
    if not reply_ids:
        return None
    reply = selectors.forum_post_in(community_id=topic.forum.community_id, post_id=reply_ids[0])
    if reply is None or reply.topic_id != topic.pk:
        return None
    return selectors.Cursor.at(reply.created_at - timedelta(microseconds=1))


def _quoted(request, topic) -> dict:
    """`?quote=<reply id>`: the reply form starts with that post quoted (flat replies
    with quotes, like Discourse)."""
    quote_ids = well_formed_uuids([request.GET.get("quote", "")])
    if not quote_ids:
        return {}
    quoted = selectors.forum_post_in(community_id=topic.forum.community_id, post_id=quote_ids[0])
    if quoted is None or topic.pk not in (quoted.pk, quoted.topic_id):
        return {}
    lines = (quoted.content or quoted.title or "").splitlines()
    quote = "\n".join(f"> {line}" for line in lines)
    return {"content": f"@{quoted.user.username} wrote:\n{quote}\n\n"}


@login_required
@require_POST
def topic_vote(request, community_id, topic_id):
    info, topic, paywall = _topic(request, community_id, topic_id)
    if paywall:
        return paywall
    form = forms.VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Vote or take your vote back.")
    else:
        try:
            topics.suggestion_vote(
                post=topic, community=info.community, by=request.user, **form.cleaned_data
            )
        except CommunityError as error:
            messages.error(request, str(error))
    return redirect_back(request, topic)


@login_required
@require_POST
def post_react(request, community_id, post_id):
    """Toggle one reaction; htmx swaps the post's reactions, others go back to the page."""
    info, post, paywall = _post(request, community_id, post_id)
    if paywall:
        return paywall
    form = forms.ReactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the reactions shown.")
        return redirect_back(request, post)
    try:
        reactions.reaction_toggle(
            post=post, community=info.community, by=request.user, **form.cleaned_data
        )
    except CommunityError as error:
        messages.error(request, str(error))
        return redirect_back(request, post)
    if request.htmx:
        counts = selectors.reactions_of(posts=[post], user=request.user)
        return render(
            request,
            "communities/_reactions.html",
            {"post": post, "community": info.community, "reaction_counts": counts[post.pk]},
        )
    return redirect_back(request, post)


@login_required
@require_safe
def mention_suggestions(request, community_id):
    """htmx: the community's people whose name starts with the @word being typed."""
    info, paywall = _member_info(request, community_id)
    if paywall:
        return paywall
    form = forms.MentionForm(request.GET)
    prefix = ""
    if form.is_valid():
        match = MENTION_BEING_TYPED.search(form.cleaned_data["content"])
        prefix = match.group(1) if match else ""
    people = selectors.people_matching(community=info.community, prefix=prefix)
    return render(request, "communities/_mention_suggestions.html", {"people": people})


@login_required
@require_safe
def forum_search(request, community_id):
    """Topics and replies of this community's forums that match the words."""
    info, paywall = _member_info(request, community_id)
    if paywall:
        return paywall
    form = forms.ForumSearchForm(request.GET or None)
    page = None
    if form.is_valid():
        page = community_forum_search(
            viewer=request.user,
            community_id=info.community.pk,
            query=form.cleaned_data["q"],
            page_number=request.GET.get("page"),
        )
    return render(
        request,
        "communities/forum_search.html",
        {"info": info, "community": info.community, "form": form, "page": page},
        status=400 if form.errors else 200,
    )


@require_safe
def forum_chat_poll(request, community_id, forum_id):
    """New all_chat messages after the cursor; the answer carries the next cursor."""
    info, paywall = _member_info(request, community_id)
    forum = _forum(info, forum_id)
    if paywall:
        return paywall
    if forum.forum_type != ForumType.ALL_CHAT:
        raise Http404
    cursor = forms.TimeCursorForm(request.GET)
    if not cursor.is_valid():
        return HttpResponse("Bad cursor.", status=400)
    after = cursor.cleaned_data["after"]
    chat_messages = selectors.chat_messages(forum=forum, after=after)
    if after is None and not chat_messages:
        return HttpResponse("")
    return render(
        request,
        "communities/_chat_poll.html",
        {
            "chat_messages": chat_messages,
            "chat_vary": selectors.chat_vary(chat_messages),
            "forum": forum,
            "community": info.community,
            "cursor": chat_messages[-1].created_at if chat_messages else after,
        },
    )


def _post(request, community_id, post_id):
    info, paywall = _member_info(request, community_id)
    post = selectors.forum_post_in(community_id=info.community.pk, post_id=post_id)
    if post is None:
        raise Http404
    return info, post, paywall


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, community_id, post_id):
    info, post, paywall = _post(request, community_id, post_id)
    if paywall:
        return paywall
    if post.user_id != request.user.pk:
        raise Http404
    form = forms.ForumPostEditForm(
        *_submitted(request), initial={"title": post.title, "content": post.content}
    )
    if request.method == "POST" and form.is_valid():
        try:
            forums.forum_post_update(post=post, by=request.user, **form.cleaned_data)
        except CommunityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Post saved.")
            return redirect(post)
    return render(
        request,
        "communities/post_edit.html",
        {"form": form, "post": post, "community": info.community},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def post_delete(request, community_id, post_id):
    info, post, paywall = _post(request, community_id, post_id)
    if paywall:
        return paywall
    try:
        forums.forum_post_delete(post=post, community=info.community, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Post deleted.")
    if post.topic_id is not None:  # a reply: back to its topic, which is still there
        return redirect("communities:topic", community_id, post.topic_id)
    return redirect("communities:forum", community_id, post.forum_id)


@login_required
@require_POST
def post_pin(request, community_id, post_id):
    info, post, paywall = _post(request, community_id, post_id)
    if paywall:
        return paywall
    try:
        forums.forum_post_pin(
            post=post,
            community=info.community,
            by=request.user,
            pinned=request.POST.get("pinned") == "1",
        )
    except CommunityError as error:
        messages.error(request, str(error))
    return redirect("communities:forum", community_id, post.forum_id)


@login_required
@require_POST
def post_answer(request, community_id, post_id):
    info, post, paywall = _post(request, community_id, post_id)
    if paywall:
        return paywall
    form = forms.SuggestionStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose planned, answered or declined.")
        return redirect_back(request, post)
    try:
        topics.suggestion_state_set(
            post=post, community=info.community, by=request.user, **form.cleaned_data
        )
    except CommunityError as error:
        messages.error(request, str(error))
    return redirect_back(request, post)


# Live events


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request, community_id):
    info = _managed_info(request, community_id)
    # The times typed are in the artist's own time zone (their profile's), else UTC.
    zone = viewer_zone(request.user) or UTC
    form = forms.LiveEventForm(*_submitted(request), zone_name=str(zone))
    with timezone.override(zone):
        valid = request.method == "POST" and form.is_valid()
    if valid:
        try:
            event = live.live_event_schedule(
                community=info.community, by=request.user, **form.cleaned_data
            )
        except CommunityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Event scheduled; members are notified.")
            return redirect(event)
    return render(
        request,
        "communities/event_form.html",
        {"form": form, "community": info.community},
        status=400 if form.errors else 200,
    )


def _event(request, community_id, event_id):
    info, paywall = _member_info(request, community_id)
    event = selectors.live_event_in(community_id=info.community.pk, event_id=event_id)
    if event is None:
        raise Http404
    return info, event, paywall


def _live_context(request, info, event) -> dict:
    user = request.user
    context = {
        "info": info,
        "community": info.community,
        "event": event,
        "event_vary": selectors.live_event_vary(event),
        "can_manage": selectors.can_manage(info=info, user=user),
        "can_moderate": selectors.is_moderator(info=info, user=user),
        "is_live": event.status == LiveEventStatus.LIVE,
        # Rendered only when the shared empty form is not cached: built then.
        "form": SimpleLazyObject(forms.ChatMessageForm),
        "stream_embed": stream_embed_url(
            event.stream_url, site_host=request.get_host().rsplit(":", 1)[0]
        ),
    }
    if event.event_type == LiveEventType.QA:
        context["questions"] = selectors.live_questions(event=event, user=user)
    else:
        context["chat_messages"] = selectors.live_chat_messages(event=event)
        context["chat_vary"] = selectors.chat_vary(context["chat_messages"])
        context["cursor"] = context["chat_messages"][-1].seq if context["chat_messages"] else 0
    return context


@require_safe
def event_detail(request, community_id, event_id):
    info, event, paywall = _event(request, community_id, event_id)
    if paywall:
        return paywall
    context = _live_context(request, info, event)
    return render(request, "communities/event.html", context)


@require_safe
def event_state(request, community_id, event_id):
    """The part of an event's page that changes with its status, for htmx: 204 (nothing to
    swap) while the status is still the one the page shows."""
    info, event, paywall = _event(request, community_id, event_id)
    if paywall:
        return paywall
    if request.GET.get("status") == event.status:
        return HttpResponse(status=204)
    context = _live_context(request, info, event)
    return render(request, "communities/_event_state.html", context)


@require_safe
def event_ics(request, community_id, event_id):
    """ "Add to calendar": the event as an .ics file, for those who may see the event."""
    info, event, paywall = _event(request, community_id, event_id)
    if paywall:
        return paywall
    event.community = info.community
    body = event_calendar(event=event, url=request.build_absolute_uri(event.get_absolute_url()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@login_required
@require_POST
def event_status(request, community_id, event_id):
    info = _managed_info(request, community_id)
    event = selectors.live_event_in(community_id=info.community.pk, event_id=event_id)
    if event is None:
        raise Http404
    form = forms.LiveEventStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happens to the event.")
        return redirect(event)
    try:
        live.live_event_status_set(
            event=event,
            community=info.community,
            by=request.user,
            new_status=form.cleaned_data["status"],
        )
    except StatusTransitionError:
        messages.error(
            request,
            f"A {event.get_status_display().lower()} event cannot become "
            f"{LiveEventStatus(form.cleaned_data['status']).label.lower()}.",
        )
    return redirect(event)


@require_http_methods(["GET", "POST"])
@limited_per_user("chat_message")
def event_messages(request, community_id, event_id):
    """GET: the poll (chat: messages after the cursor; Q&A: the question list).
    POST: send a message or a question. The same page works without JavaScript."""
    info, event, paywall = _event(request, community_id, event_id)
    if paywall:
        return paywall
    is_htmx = bool(request.htmx)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return _paywall(request, info)
        form = forms.ChatMessageForm(request.POST)
        error = None
        if form.is_valid():
            try:
                live.live_event_message_post(
                    event=event, by=request.user, content=form.cleaned_data["content"]
                )
            except CommunityError as refused:
                error = str(refused)
        else:
            error = " ".join(form.errors.get("content", ["Write a message first."]))
        if is_htmx:
            return render(
                request,
                "communities/_live_form.html",
                {
                    "form": form if error else forms.ChatMessageForm(),
                    "error": error,
                    "event": event,
                    "community": info.community,
                },
                status=200,
            )
        if error:
            messages.error(request, error)
        return redirect(event)
    if event.event_type == LiveEventType.QA:
        response = render(
            request,
            "communities/_questions.html",
            {
                "questions": selectors.live_questions(event=event, user=request.user),
                "event": event,
                "community": info.community,
                "can_manage": selectors.can_manage(info=info, user=request.user),
                "is_live": event.status == LiveEventStatus.LIVE,
            },
        )
    else:
        cursor = forms.SeqCursorForm(request.GET)
        if not cursor.is_valid():
            return HttpResponse("Bad cursor.", status=400)
        after = cursor.cleaned_data["after"] or 0
        chat_messages = selectors.live_chat_messages(event=event, after=after)
        response = render(
            request,
            "communities/_live_poll.html",
            {
                "chat_messages": chat_messages,
                "chat_vary": selectors.chat_vary(chat_messages),
                "event": event,
                "community": info.community,
                "cursor": chat_messages[-1].seq if chat_messages else after,
                "is_live": event.status == LiveEventStatus.LIVE,
            },
        )
    if event.status != LiveEventStatus.LIVE and is_htmx:
        response.status_code = STOP_POLLING
    return response


def _question(request, community_id, event_id, message_id):
    info, event, paywall = _event(request, community_id, event_id)
    message = event.messages.filter(pk=message_id).first() if not paywall else None
    if paywall is None and message is None:
        raise Http404
    return info, event, message, paywall


@login_required
@require_POST
def question_upvote(request, community_id, event_id, message_id):
    _info, event, message, paywall = _question(request, community_id, event_id, message_id)
    if paywall:
        return paywall
    try:
        live.live_question_upvote(message=message, event=event, by=request.user)
    except CommunityError as error:
        messages.error(request, str(error))
    return redirect(event)


@login_required
@require_POST
def question_answer(request, community_id, event_id, message_id):
    info, event, message, paywall = _question(request, community_id, event_id, message_id)
    if paywall:
        return paywall
    try:
        live.live_question_answer(
            message=message, event=event, community=info.community, by=request.user
        )
    except CommunityError as error:
        messages.error(request, str(error))
    return redirect(event)


@require_safe
def private_media(request, community_id, name):
    """A members-only picture: a fresh signature (communities/media.py) and a viewer who
    may see the community's content, or nothing."""
    if not media.signature_valid(request.path, request.GET.get("sig", "")):
        return HttpResponseForbidden(
            "This picture's link has expired or is not valid; reload the page it was on."
        )
    try:
        community_id = uuid.UUID(community_id)
    except ValueError:
        raise Http404 from None
    _info, paywall = _member_info(request, community_id)
    if paywall is not None:
        raise Http404
    try:
        return media.media_response(community_id=community_id, name=name)
    except FileNotFoundError:
        raise Http404 from None
