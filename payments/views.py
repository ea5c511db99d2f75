import json
import logging
from uuid import UUID

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from payments import billing
from payments.events import MalformedEvent
from payments.forms import TestCardForm, TestCardSaveForm
from payments.gateways.stripe import event_from_stripe, webhook_verify
from payments.models import Payment, PaymentGateway, PaymentStatus, SavedPaymentMethod
from payments.purposes import PurposeNotRegistered, purpose_handler
from payments.selectors import billing_overview
from payments.services import (
    PaymentError,
    payment_action_start,
    payment_event_handle,
    payment_start,
    payment_test_action_confirm,
    payment_test_checkout_submit,
)

logger = logging.getLogger(__name__)


def _own_payment(request, payment_id) -> Payment:
    return get_object_or_404(Payment, pk=payment_id, user_id=request.user.pk)


@login_required
@require_POST
def payment_start_view(request, purpose: str, target_id):
    """Start paying for something of the signed-in user's; the amount is ours to compute."""
    try:
        handler = purpose_handler(purpose)
    except PurposeNotRegistered:
        raise Http404 from None
    if not handler.payable_by(user=request.user, target_id=target_id):
        raise Http404
    try:
        _, redirect_url = payment_start(
            user=request.user,
            purpose=purpose,
            target_id=target_id,
            site_url=request.build_absolute_uri("/"),
        )
    except PaymentError as error:
        messages.error(request, str(error))
        # Back to what was being paid for when it has a page of the payer's (an order).
        return redirect(handler.checkout_refused_url(target_id=target_id))
    return redirect(redirect_url)


@login_required
@require_http_methods(["GET"])
def payment_detail(request, payment_id):
    """Where a gateway sends the payer back: shows the payment, never changes it (a paid
    order empties the cart it was checked out from)."""
    payment = _own_payment(request, payment_id)
    purpose_handler(payment.purpose).payer_returned(request=request, payment=payment)
    return render(
        request,
        "payments/detail.html",
        {"payment": payment, "retry_target_id": _retry_target_id(payment)},
    )


def _retry_target_id(payment: Payment) -> UUID | None:
    """What "Try again" pays for after a failure (the same order while it still waits for
    payment, the same membership or placement)."""
    if payment.payment_status != PaymentStatus.FAILED:
        return None
    return purpose_handler(payment.purpose).retry_target_id(payment=payment)


@sensitive_post_parameters("card_number")
@login_required
@require_http_methods(["GET", "POST"])
def test_checkout(request, payment_id):
    """The built-in test gateway's checkout page (only while Stripe is not configured)."""
    payment = _own_payment(request, payment_id)
    if settings.STRIPE_SECRET_KEY or payment.gateway != PaymentGateway.TEST:
        raise Http404
    if payment.payment_status != PaymentStatus.PENDING:
        return redirect("payments:detail", payment.pk)
    form = TestCardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payment = payment_test_checkout_submit(
            payment=payment, card_number=form.cleaned_data["card_number"]
        )
        purpose_handler(payment.purpose).payer_returned(request=request, payment=payment)
        return redirect("payments:detail", payment.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "payments/test_checkout.html",
        {"payment": payment, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_confirm(request, payment_id):
    """Where the email about a renewal that needs the payer leads: what is waiting, and a
    button that sends them to their bank's confirmation through the gateway."""
    payment = _own_payment(request, payment_id)
    if request.method == "POST":
        return_url = request.build_absolute_uri(reverse("payments:detail", args=[payment.pk]))
        try:
            return redirect(payment_action_start(payment=payment, return_url=return_url))
        except PaymentError as error:
            messages.error(request, str(error))
            return redirect("payments:confirm", payment.pk)
    return render(request, "payments/confirm.html", {"payment": payment})


@login_required
@require_http_methods(["GET", "POST"])
def test_confirm(request, payment_id):
    """The test gateway's confirmation page, its 3-D Secure (only without Stripe)."""
    payment = _own_payment(request, payment_id)
    if settings.STRIPE_SECRET_KEY or payment.gateway != PaymentGateway.TEST:
        raise Http404
    if payment.payment_status != PaymentStatus.REQUIRES_ACTION:
        return redirect("payments:detail", payment.pk)
    if request.method == "POST":
        payment_test_action_confirm(payment=payment)
        return redirect("payments:detail", payment.pk)
    return render(request, "payments/test_confirm.html", {"payment": payment})


# --- The billing page (/settings/billing/) -----------------------------------------------


@login_required
@require_http_methods(["GET"])
def billing_index(request):
    return render(
        request,
        "payments/billing.html",
        {"billing": billing_overview(user=request.user), "section": "billing"},
    )


@sensitive_post_parameters("card_number")
@login_required
@require_http_methods(["GET", "POST"])
def billing_add(request):
    """Add a card (or replace one: `replaces`): Stripe's hosted setup page, or the test
    gateway's own form."""
    replaces = request.GET.get("replaces") or request.POST.get("replaces") or None
    if settings.STRIPE_SECRET_KEY:
        if request.method == "POST":
            back = request.build_absolute_uri(reverse("billing:index"))
            try:
                url = billing.card_setup_start(
                    user=request.user,
                    replaces=_own_card_id(request, replaces),
                    success_url=request.build_absolute_uri(reverse("billing:stripe_return"))
                    + "?session_id={CHECKOUT_SESSION_ID}",
                    cancel_url=back,
                )
            except PaymentError as error:
                messages.error(request, str(error))
                return redirect("billing:index")
            return redirect(url)
        return render(request, "payments/billing_add.html", {"replaces": replaces})
    form = TestCardSaveForm(request.POST or None, initial={"replaces": replaces})
    if request.method == "POST" and form.is_valid():
        card = billing.card_add_test(
            user=request.user,
            card_number=form.cleaned_data["card_number"],
            replaces=_own_card_id(request, form.cleaned_data["replaces"]),
        )
        messages.success(request, f"{card.label} is saved; renewals are charged to it.")
        return redirect("billing:index")
    return render(
        request,
        "payments/billing_add.html",
        {"form": form, "replaces": replaces},
        status=400 if form.errors else 200,
    )


def _own_card_id(request, card_id) -> str | None:
    """The id of a card of the signed-in payer's to replace, or None."""
    try:
        return str(SavedPaymentMethod.objects.get(pk=card_id, user_id=request.user.pk).pk)
    except (SavedPaymentMethod.DoesNotExist, ValueError, ValidationError):
        return None


@login_required
@require_http_methods(["GET"])
def billing_stripe_return(request):
    """Where Stripe's setup page sends the payer back; the webhook saves the card too."""
    try:
        card = billing.card_setup_finish(
            session_id=request.GET.get("session_id", ""), user=request.user
        )
    except PaymentError as error:
        messages.info(request, str(error))
    else:
        if card is not None:
            messages.success(request, f"{card.label} is saved; renewals are charged to it.")
    return redirect("billing:index")


@login_required
@require_POST
def billing_remove(request, method_id):
    card = get_object_or_404(SavedPaymentMethod, pk=method_id, user_id=request.user.pk)
    try:
        billing.card_remove(user=request.user, method=card)
    except PaymentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{card.label} is removed.")
    return redirect("billing:index")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events, verified by signature and applied once each."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        return HttpResponseBadRequest("Webhooks are not configured.")
    try:
        payload = webhook_verify(
            body=request.body, signature=request.headers.get("Stripe-Signature")
        )
        event = event_from_stripe(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, json.JSONDecodeError) as error:
        logger.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("Invalid signature or payload.")
    except (KeyError, TypeError, MalformedEvent) as error:
        logger.warning("Stripe webhook with an unexpected shape: %r", error)
        return HttpResponseBadRequest(f"Unexpected event shape: {error}.")
    payment_event_handle(event=event)
    session = payload["data"]["object"]  # a dict: event_from_stripe checked the shape
    session_id = session.get("id")
    if event.event_type == "checkout.session.completed" and session.get("mode") == "setup":
        if not isinstance(session_id, str | None):
            return HttpResponseBadRequest("Unexpected event shape: the session id is no text.")
        # A card saved on the billing page (no payment): kept once, however often told.
        try:
            billing.card_setup_finish(session_id=session_id or "")
        except PaymentError as error:
            logger.warning("Card setup %s not saved yet: %s", session_id, error)
            return HttpResponse(status=503)
    return HttpResponse(status=200)
