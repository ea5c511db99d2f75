import json

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services
from accounts.adapters import SIGNED_UP_USER_SESSION_KEY
from accounts.forms import (
    ArtistSearchForm,
    DeleteAccountForm,
    PreferencesForm,
    ProfileForm,
)
from accounts.selectors import follow_states
from content.selectors import onboarding_suggestions
from musicplatform.db import well_formed_uuids

TOKEN_PROBLEMS = {
    "invalid": "This verification link is not valid. Check that you copied the whole link.",
    "used": "This verification link was already used or replaced by a newer one.",
    "expired": "This verification link has expired.",
}


@require_http_methods(["GET", "POST"])
def verify_email(request, address_id: int, token: str):
    """GET shows a confirm button (mail scanners follow links); POST consumes the token."""
    email_address = EmailAddress.objects.select_related("user").filter(pk=address_id).first()
    problem = selectors.email_verification_problem(email_address=email_address, raw_token=token)
    if problem is None and request.method == "POST":
        try:
            services.email_verify(email_address_id=address_id, raw_token=token)
        except services.VerificationTokenError as exc:
            problem = exc.reason
        else:
            messages.success(request, f"{email_address.email} is verified. Welcome!")
            signed_up_here = request.session.get(SIGNED_UP_USER_SESSION_KEY) == str(
                email_address.user_id
            )
            if not request.user.is_authenticated and signed_up_here:
                # Only the browser that signed up: a link forwarded or intercepted verifies
                # the address but signs no one in.
                del request.session[SIGNED_UP_USER_SESSION_KEY]
                login(request, email_address.user, backend=settings.AUTHENTICATION_BACKENDS[0])
            if not request.user.is_authenticated:
                return redirect("account_login")
            if not selectors.user_has_onboarded(user=request.user):
                return redirect("accounts:onboarding")
            return redirect("account_email")
    if problem is not None:
        return render(
            request,
            "accounts/verify_email_failed.html",
            {"problem": problem, "message": TOKEN_PROBLEMS[problem]},
            status=400 if problem == "invalid" else 410,
        )
    return render(request, "accounts/verify_email.html", {"email_address": email_address})


def _preferences_response(request, *, template: str, onboarding: bool):
    query = ArtistSearchForm(request.GET if request.method == "GET" else request.POST)
    q = query.cleaned_data["q"] if query.is_valid() else ""
    picked = well_formed_uuids(request.POST.getlist("favorite_artists"))
    page = selectors.preferences_page(user=request.user, query=q, picked_artist_ids=picked)
    if request.method == "POST" and "skip" in request.POST:
        services.preferences_skip_onboarding(user=request.user)
        return redirect("home")
    if request.method == "POST" and "search" in request.POST:
        # The search button is in the preferences form so that a search keeps what is
        # ticked but not saved yet; nothing is saved until "Save preferences".
        form = PreferencesForm(
            initial={
                "genres": request.POST.getlist("genres"),
                "languages": request.POST.getlist("languages"),
                "favorite_artists": [str(pk) for pk in picked],
                "q": page["query"],
            },
            artist_choices=page["artist_choices"],
        )
    elif request.method == "POST":
        form = PreferencesForm(request.POST, artist_choices=page["artist_choices"])
        if form.is_valid():
            try:
                services.preferences_set(
                    user=request.user,
                    genre_ids=[g.pk for g in form.cleaned_data["genres"]],
                    language_ids=[lang.pk for lang in form.cleaned_data["languages"]],
                    artist_ids=form.cleaned_data["favorite_artists"],
                )
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your music preferences are saved.")
                return redirect(
                    "accounts:onboarding_artists" if onboarding else "accounts:settings_preferences"
                )
    else:
        preferences = page["preferences"]
        form = PreferencesForm(
            initial={
                "genres": preferences.genres,
                "languages": preferences.languages,
                "favorite_artists": [str(pk) for pk in preferences.favorite_artists],
                "q": page["query"],
            },
            artist_choices=page["artist_choices"],
        )
    return render(
        request,
        template,
        {**page, "form": form, "search_form": query, "onboarding": onboarding},
    )


@login_required
@require_http_methods(["GET", "POST"])
def onboarding(request):
    return _preferences_response(request, template="accounts/onboarding.html", onboarding=True)


@login_required
@require_safe
def onboarding_artists(request):
    """Onboarding's last step: artists of the chosen genres to follow, then the home page."""
    artists = onboarding_suggestions(user=request.user)
    follows = follow_states(viewer=request.user, artist_ids=[artist.pk for artist in artists])
    return render(
        request, "accounts/onboarding_artists.html", {"artists": artists, "follows": follows}
    )


@login_required
@require_POST
def time_zone_guess(request):
    """The browser's time zone, posted by static/js/site.js on a first visit."""
    try:
        services.user_time_zone_guess(
            user=request.user, time_zone=request.POST.get("time_zone", "")
        )
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return HttpResponse(status=204)


@login_required
@require_safe
def settings_index(request):
    return redirect("accounts:settings_profile")


@login_required
@require_http_methods(["GET", "POST"])
def settings_profile(request):
    user = request.user
    has_picture = bool(user.profile_picture_url)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, has_picture=has_picture)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in services.PROFILE_FIELDS}
            services.user_update_profile(
                user=user,
                data=data,
                pictures=form.processed_picture,
                remove_picture=form.cleaned_data.get("remove_picture", False),
            )
            messages.success(request, "Your profile is saved.")
            return redirect("accounts:settings_profile")
    else:
        form = ProfileForm(
            initial={f: getattr(user, f) for f in services.PROFILE_FIELDS},
            has_picture=has_picture,
        )
    return render(request, "accounts/settings_profile.html", {"form": form, "section": "profile"})


@login_required
@require_http_methods(["GET", "POST"])
def settings_preferences(request):
    return _preferences_response(
        request, template="accounts/settings_preferences.html", onboarding=False
    )


@login_required
@require_POST
def spotify_import(request):
    try:
        result = services.spotify_import_top_artists(user=request.user)
    except services.SpotifyNotLinked:
        messages.error(request, "Link your Spotify account first.")
    except services.SpotifyUnavailable as exc:
        messages.error(request, str(exc))
    else:
        if result.matched:
            messages.success(
                request,
                f"Added {len(result.matched)} of your Spotify top artists: "
                + ", ".join(result.matched[:10])
                + ("…" if len(result.matched) > 10 else ""),
            )
        else:
            messages.info(request, "None of your Spotify top artists are on the platform yet.")
    return redirect("accounts:settings_preferences")


@login_required
@require_safe
def settings_export(request):
    if request.GET.get("download"):
        data = selectors.user_data_export(user=request.user)
        body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        filename = f"musicplatform-{request.user.username}-{timezone.now():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "accounts/settings_export.html", {"section": "export"})


@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def settings_delete(request):
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_delete_account(user=request.user)
        logout(request)
        messages.success(request, "Your account is deleted. Thank you for being with us.")
        return redirect("home")
    context = {
        "form": form,
        "section": "delete",
        "preview": selectors.account_deletion_preview(user=request.user),
    }
    return render(request, "accounts/settings_delete.html", context)


@require_safe
def public_profile(request, username: str):
    return render(request, "accounts/profile.html", selectors.public_profile(username=username))
