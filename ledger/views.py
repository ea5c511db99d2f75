"""The artist's Earnings page and statements, Stripe Connect onboarding, Connect webhooks."""

import csv
import json
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from artists.models import Artist
from artists.selectors import managed_artists
from ledger import selectors
from ledger.backends import (
    PayoutError,
    connect_event_handle,
    connect_onboarding_link,
    connect_webhook_verify,
)
from ledger.models import ConnectAccount

logger = logging.getLogger(__name__)


def _earnings_artist(request, artist_id) -> Artist:
    # Someone else's artist is answered like a missing one: ids cannot be probed.
    return get_object_or_404(managed_artists(user=request.user), pk=artist_id)


def _statement_context(artist: Artist) -> dict:
    return {
        "artist": artist,
        "balance": selectors.artist_balance(artist_id=artist.pk),
        "statement": selectors.artist_statement(artist_id=artist.pk),
        "payouts": selectors.artist_payouts(artist_id=artist.pk),
        "holding_days": settings.LEDGER_HOLDING_DAYS,
        "minimum": settings.PAYOUT_MINIMUM,
    }


@login_required
@require_safe
def earnings(request, artist_id):
    artist = _earnings_artist(request, artist_id)
    return render(request, "ledger/earnings.html", _statement_context(artist))


@login_required
@require_safe
def statement_print(request, artist_id):
    """The same numbers as a page to print or save as PDF from the browser."""
    artist = _earnings_artist(request, artist_id)
    return render(request, "ledger/statement.html", _statement_context(artist))


@login_required
@require_safe
def statement_csv(request, artist_id):
    artist = _earnings_artist(request, artist_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="earnings-{artist.slug}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(["month", "gross", "fees", "commission", "refunds", "net", "payouts"])
    statement = selectors.artist_statement(artist_id=artist.pk)
    for month in [*statement.months, statement.total]:
        writer.writerow(
            [
                f"{month.month:%Y-%m}" if month.month else "total",
                month.gross,
                month.fees,
                month.commission,
                month.refunds,
                month.net,
                month.payouts,
            ]
        )
    writer.writerow([])
    writer.writerow(["payout", "created", "amount", "currency", "method", "status"])
    for payout in selectors.artist_payouts(artist_id=artist.pk):
        writer.writerow(
            [
                payout.pk,
                f"{payout.created_at:%Y-%m-%d}",
                payout.amount,
                payout.currency,
                payout.get_backend_display(),
                payout.get_status_display(),
            ]
        )
    return response


def _own_artist(request, artist_id) -> Artist:
    # Staff may look, but only the artist connects where their money goes.
    artist = _earnings_artist(request, artist_id)
    if artist.user_id != request.user.pk:
        raise PermissionDenied
    return artist


@login_required
@require_safe
def connect(request, artist_id):
    artist = _earnings_artist(request, artist_id)
    context = {
        "artist": artist,
        "stripe_on": bool(settings.STRIPE_SECRET_KEY),
        "account": ConnectAccount.objects.filter(artist=artist).first(),
        "is_owner": artist.user_id == request.user.pk,
    }
    return render(request, "ledger/connect.html", context)


@login_required
@require_POST
def connect_start(request, artist_id):
    artist = _own_artist(request, artist_id)
    here = request.build_absolute_uri(reverse("ledger:connect", args=[artist.pk]))
    try:
        url = connect_onboarding_link(artist=artist, refresh_url=here, return_url=here)
    except PayoutError as error:
        messages.error(request, str(error))
        return redirect("ledger:connect", artist_id=artist.pk)
    return redirect(url)


@csrf_exempt
@require_POST
def stripe_connect_webhook(request):
    """Stripe's Connect events (account.updated, transfer.*, payout.*), verified by
    signature; each effect happens once however often Stripe tells it."""
    if not (settings.STRIPE_CONNECT_WEBHOOK_SECRET or settings.STRIPE_WEBHOOK_SECRET):
        return HttpResponseBadRequest("Webhooks are not configured.")
    try:
        payload = connect_webhook_verify(
            body=request.body, signature=request.headers.get("Stripe-Signature")
        )
        connect_event_handle(payload=payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, json.JSONDecodeError) as error:
        logger.warning("Stripe Connect webhook refused: %s", error)
        return HttpResponseBadRequest("Invalid signature or payload.")
    except (KeyError, TypeError, ValueError) as error:
        logger.warning("Stripe Connect webhook with an unexpected shape: %r", error)
        return HttpResponseBadRequest("Unexpected event shape.")
    return HttpResponse(status=200)
