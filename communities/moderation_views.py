"""Flags and moderation pages (issue 22, items 7 and 8).

Members flag what they can see; the queue, the log and every moderator action are for the
community's artist, its moderators and staff, and answer 404 to anyone else, so a
community's moderation cannot be probed.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from communities import forms, selectors
from communities.models import FlaggedKind
from communities.selectors import CommunityInfo
from communities.services import CommunityError
from communities.services import moderation as services
from musicplatform.http import redirect_back


def _moderator_info(request, community_id) -> CommunityInfo:
    info = selectors.community_info(community_id=community_id)
    if info is None or not selectors.is_moderator(info=info, user=request.user):
        raise Http404
    return info


def _item_url(item: selectors.FlaggableItem) -> str:
    if item.kind == FlaggedKind.LIVE_MESSAGE:
        return item.row.event.get_absolute_url()
    if item.kind == FlaggedKind.COMMENT:
        return (item.row.post or item.row.review).get_absolute_url()
    return item.row.get_absolute_url()


@login_required
@require_http_methods(["GET", "POST"])
def flag_item(request, kind, object_id):
    """A member flags a forum post, chat message, comment or review they can see."""
    item = selectors.flaggable_item(kind=kind, object_id=object_id)
    if item is None:
        raise Http404
    if item.community is not None:
        info = selectors.community_info(community_id=item.community.pk)
        if info is None or not selectors.can_view_content(info=info, user=request.user):
            raise Http404
    form = forms.FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_create(kind=kind, object_id=item.pk, by=request.user, **form.cleaned_data)
        except CommunityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you. The moderators will look at it.")
            return redirect_back(request, _item_url(item))
    return render(
        request,
        "communities/flag.html",
        {"form": form, "item": item, "back": _item_url(item), "next": request.GET.get("next")},
        status=400 if form.errors else 200,
    )


@login_required
@require_safe
def moderation_queue(request, community_id):
    info = _moderator_info(request, community_id)
    community = info.community
    return render(
        request,
        "communities/moderation.html",
        {
            "info": info,
            "community": community,
            "queue": selectors.moderation_queue(community=community),
            "is_artist": selectors.can_manage(info=info, user=request.user),
            "moderator_form": forms.ModeratorForm(),
        },
    )


@login_required
@require_POST
def item_moderate(request, community_id, kind, object_id):
    info = _moderator_info(request, community_id)
    item = selectors.flaggable_item(kind=kind, object_id=object_id)
    if item is None or not item.moderated_in(info.community):
        raise Http404
    form = forms.ItemModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with it.")
        return redirect_back(request, reverse("communities:moderation", args=[community_id]))
    try:
        services.item_moderate(
            community=info.community,
            kind=kind,
            object_id=object_id,
            by=request.user,
            **form.cleaned_data,
        )
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Done; it is in the moderation log.")
    return redirect_back(request, reverse("communities:moderation", args=[community_id]))


def _member(user_id):
    member = get_user_model().objects.filter(pk=user_id).first()
    if member is None:
        raise Http404
    return member


@login_required
@require_http_methods(["GET", "POST"])
def member_moderate(request, community_id, user_id):
    """Mute (for a while), unmute or ban one member."""
    info = _moderator_info(request, community_id)
    member = _member(user_id)
    community = info.community
    # Prefixed: both forms have a reason, on one page.
    mute_form = forms.MuteForm(
        request.POST if request.POST.get("do") == "mute" else None, prefix="mute"
    )
    ban_form = forms.BanForm(
        request.POST if request.POST.get("do") == "ban" else None, prefix="ban"
    )
    if request.method == "POST":
        try:
            done = _member_action(request, community, member, mute_form, ban_form)
        except CommunityError as error:
            messages.error(request, str(error))
        else:
            if done:
                messages.success(request, done)
                return redirect("communities:moderation", community_id)
    return render(
        request,
        "communities/member_moderate.html",
        {
            "info": info,
            "community": community,
            "member": member,
            "refusal": selectors.write_refusal(community_id=community.pk, user=member),
            "mute_form": mute_form,
            "ban_form": ban_form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _member_action(request, community, member, mute_form, ban_form) -> str | None:
    """Carry out the posted action; what to tell the moderator, or None (form errors)."""
    do = request.POST.get("do")
    if do == "unmute":
        services.member_unmute(community=community, by=request.user, user=member)
        return f"{member.display_name} can post again."
    if do == "mute" and mute_form.is_valid():
        services.member_mute(
            community=community, by=request.user, user=member, **mute_form.cleaned_data
        )
        return f"{member.display_name} is muted."
    if do == "ban" and ban_form.is_valid():
        services.member_ban(
            community=community, by=request.user, user=member, **ban_form.cleaned_data
        )
        return f"{member.display_name} is banned; the unused part of their membership is refunded."
    if do not in ("mute", "ban"):
        raise CommunityError("Choose mute, unmute or ban.")
    return None


@login_required
@require_POST
def moderator_name(request, community_id):
    info = _moderator_info(request, community_id)
    form = forms.ModeratorForm(request.POST)
    member = (
        get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
        if form.is_valid()
        else None
    )
    if member is None:
        messages.error(request, "No member has that username.")
        return redirect("communities:moderation", community_id)
    try:
        services.moderator_name(community=info.community, by=request.user, user=member)
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{member.display_name} is a moderator now.")
    return redirect("communities:moderation", community_id)


@login_required
@require_POST
def moderator_remove(request, community_id, user_id):
    info = _moderator_info(request, community_id)
    try:
        services.moderator_remove(community=info.community, by=request.user, user=_member(user_id))
    except CommunityError as error:
        messages.error(request, str(error))
    return redirect("communities:moderation", community_id)


@login_required
@require_POST
def slow_mode(request, community_id, kind, target_id):
    """Slow mode of a forum or a live event's chat."""
    info = _moderator_info(request, community_id)
    if kind == "forum":
        target = selectors.forum_of(info=info, forum_id=target_id)
    elif kind == "event":
        target = selectors.live_event_in(community_id=info.community.pk, event_id=target_id)
    else:
        target = None
    if target is None:
        raise Http404
    form = forms.SlowModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("seconds", ["Give a number of seconds."])))
        return redirect_back(request, info.community)
    try:
        services.slow_mode_set(
            community=info.community,
            by=request.user,
            target=target,
            seconds=form.cleaned_data["seconds"],
        )
    except CommunityError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Slow mode saved.")
    return redirect_back(request, info.community)
