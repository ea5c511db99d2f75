import calendar
import csv
import mimetypes

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.selectors import follow_states
from artists import charts, selectors, services
from artists.forms import (
    ArtistProfileForm,
    PayoutMethodForm,
    VerificationRequestForm,
)
from artists.models import Artist, ArtistPayoutMethod, ArtistVerification
from artists.uploads import DOCUMENT_CONTENT_TYPES


def _submitted(request) -> tuple:
    # An empty POST is still a submission: it must be validated, not shown as a new form.
    if request.method == "POST":
        return request.POST, request.FILES
    return ()


def _managed_artist(request, artist_id) -> Artist:
    # Someone else's artist is answered like a missing one: ids cannot be probed.
    return get_object_or_404(selectors.managed_artists(user=request.user), pk=artist_id)


@require_safe
def artist_detail(request, artist_id, slug=None):
    artist = get_object_or_404(Artist, pk=artist_id)
    if artist.is_removed:
        # Gone for good, and said so: search engines drop the page, people see why.
        return render(request, "artists/gone.html", {"artist": artist}, status=410)
    if slug != artist.slug:
        return redirect(artist, permanent=True)
    can_manage = request.user.is_authenticated and (
        request.user.is_staff or artist.user_id == request.user.pk
    )
    context = {
        "artist": artist,
        "page": selectors.ArtistPage(artist=artist),
        "can_manage": can_manage,
        "follows": follow_states(viewer=request.user, artist_ids=[artist.pk]),
    }
    return render(request, "artists/detail.html", context)


@login_required
@require_safe
def artist_mine(request):
    artist = selectors.artist_of(user=request.user)
    return redirect(artist if artist else "artists:become")


@login_required
@require_http_methods(["GET", "POST"])
def artist_become(request):
    existing = selectors.artist_of(user=request.user)
    if existing is not None:
        messages.info(request, "You already have an artist profile.")
        return redirect("artists:edit", artist_id=existing.pk)
    form = ArtistProfileForm(*_submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            artist = services.artist_create(user=request.user, **form.cleaned_data)
        except services.ArtistError as error:
            messages.error(request, str(error))
            return redirect("artists:mine")
        messages.success(request, "Your artist profile is live.")
        return redirect(artist)
    return render(request, "artists/profile_form.html", {"form": form, "artist": None})


@login_required
@require_http_methods(["GET", "POST"])
def artist_edit(request, artist_id):
    artist = _managed_artist(request, artist_id)
    initial = {"artist_name": artist.artist_name, "bio": artist.bio or ""}
    form = ArtistProfileForm(*_submitted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        artist = services.artist_update(artist=artist, **form.cleaned_data)
        messages.success(request, "Your artist profile is saved.")
        return redirect(artist)
    return render(request, "artists/profile_form.html", {"form": form, "artist": artist})


@login_required
@require_http_methods(["GET", "POST"])
def verification(request, artist_id):
    artist = _managed_artist(request, artist_id)
    form = VerificationRequestForm(*_submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.artist_verification_submit(
                artist=artist,
                documents=form.cleaned_data["documents"],
                third_party_platform=form.cleaned_data["third_party_platform"],
                third_party_id=form.cleaned_data["third_party_id"],
                by=request.user,
            )
        except services.ArtistError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Your documents are sent: staff will review them.")
        return redirect("artists:verification", artist_id=artist.pk)
    requests = selectors.verification_requests(artist=artist)
    context = {
        "artist": artist,
        "form": form,
        "requests": requests,
        "can_submit": not artist.is_verified
        and not any(item.status == "pending" for item in requests),
    }
    return render(request, "artists/verification.html", context)


@login_required
@require_safe
def verification_document(request, verification_id, index):
    """A verification document, for staff only: everyone else gets a 404."""
    if not request.user.is_staff:
        raise Http404
    verification = get_object_or_404(ArtistVerification, pk=verification_id)
    names = verification.verification_document_urls or []
    if not 0 <= index < len(names):
        raise Http404
    name = names[index]
    private = storages["private"]
    if not private.exists(name):
        raise Http404
    extension = name.rsplit(".", 1)[-1]
    content_type = DOCUMENT_CONTENT_TYPES.get(extension) or mimetypes.guess_type(name)[0]
    response = FileResponse(
        private.open(name),
        as_attachment=True,
        filename=f"verification-{verification.pk}-{index + 1}.{extension}",
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _payout_artist(request, artist_id) -> Artist:
    # Staff may look at payout methods, but only the artist says where the money goes.
    artist = _managed_artist(request, artist_id)
    if request.method == "POST" and artist.user_id != request.user.pk:
        raise PermissionDenied
    return artist


# Where the money goes is shown and changed only after the password was entered again
# (ACCOUNT_REAUTHENTICATION_*). The page itself asks too, so that a submitted form (whose
# details allauth would keep in the session while it asks) rarely meets the question.
PAYOUT_REAUTHENTICATION = reauthentication_required(app="allauth.account")


@sensitive_post_parameters("account_holder", "iban", "paypal_email")
@login_required
@require_http_methods(["GET", "POST"])
@PAYOUT_REAUTHENTICATION
def payouts(request, artist_id):
    artist = _payout_artist(request, artist_id)
    form = PayoutMethodForm(*_submitted(request))
    if request.method == "POST" and form.is_valid():
        services.payout_method_add(
            artist=artist, method_type=form.cleaned_data["method_type"], details=form.details()
        )
        messages.success(request, "Payout method added.")
        return redirect("artists:payouts", artist_id=artist.pk)
    context = {
        "artist": artist,
        "form": form,
        "methods": selectors.payout_methods(artist=artist),
        "is_owner": artist.user_id == request.user.pk,
    }
    return render(request, "artists/payouts.html", context)


def _managed_payout_method(request, artist_id, payout_id) -> ArtistPayoutMethod:
    artist = _payout_artist(request, artist_id)
    return get_object_or_404(ArtistPayoutMethod, pk=payout_id, artist=artist)


@login_required
@require_POST
@PAYOUT_REAUTHENTICATION
def payout_set_default(request, artist_id, payout_id):
    method = _managed_payout_method(request, artist_id, payout_id)
    services.payout_method_set_default(payout_method=method)
    messages.success(request, "Default payout method changed.")
    return redirect("artists:payouts", artist_id=artist_id)


@login_required
@require_POST
@PAYOUT_REAUTHENTICATION
def payout_delete(request, artist_id, payout_id):
    method = _managed_payout_method(request, artist_id, payout_id)
    services.payout_method_delete(payout_method=method)
    messages.success(request, "Payout method removed.")
    return redirect("artists:payouts", artist_id=artist_id)


def _dashboard_charts(dashboard: selectors.ArtistDashboard) -> dict:
    members, revenue = dashboard.members, dashboard.revenue
    # "Mar": twelve fit side by side, and within twelve months no name comes twice.
    months = [calendar.month_abbr[int(month[5:])] for month in members.column(0)]
    top_posts, products = dashboard.top_posts, dashboard.product_sales
    return {
        "members": charts.bar_chart(
            chart_id="members-chart",
            title="Members by month",
            description="New members, cancellations and the net change in each of the last "
            "twelve months.",
            labels=months,
            series=[
                charts.Series(name, tuple(members.column(index)))
                for index, name in enumerate(members.columns[1:], start=1)
            ],
        ),
        "revenue": charts.line_chart(
            chart_id="revenue-chart",
            title="Revenue by month",
            description="Money from community subscriptions and from shop sales in each of "
            "the last twelve months, in dollars.",
            labels=months,
            series=[
                charts.Series(name, tuple(revenue.column(index)))
                for index, name in enumerate(revenue.columns[1:3], start=1)
            ],
        ),
        "top_posts": charts.ranking_chart(
            chart_id="posts-chart",
            title="Top posts",
            description="Likes and comments together of your most engaging posts.",
            labels=top_posts.column(0),
            values=[likes + comments for _post, likes, comments in top_posts.rows],
        ),
        "product_sales": charts.ranking_chart(
            chart_id="products-chart",
            title="Sales per product",
            description="Revenue of your best-selling products, in dollars.",
            labels=products.column(0),
            values=products.column(2),
        ),
    }


@login_required
@require_safe
def dashboard(request, artist_id):
    artist = _managed_artist(request, artist_id)
    numbers = selectors.artist_dashboard(artist=artist)
    context = {"artist": artist, "dashboard": numbers, "charts": _dashboard_charts(numbers)}
    return render(request, "artists/dashboard.html", context)


def _csv_cell(value) -> object:
    # A spreadsheet runs a cell starting with these as a formula; post texts are free text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required
@require_safe
def dashboard_csv(request, artist_id):
    """The dashboard's numbers, one section per chart, exactly as the charts show them."""
    artist = _managed_artist(request, artist_id)
    numbers = selectors.artist_dashboard(artist=artist)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dashboard-{artist.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    for index, table in enumerate(numbers.tables):
        if index:
            writer.writerow([])
        writer.writerow([table.name])
        writer.writerow(table.columns)
        writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return response
