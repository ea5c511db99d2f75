"""The payer's saved cards (the billing page): add one, replace one, remove one.

Renewals charge the payer's default card: the newest saved one of the active gateway
(`payment_charge_saved`), so a card added after a failed renewal is the one its retry
charges. Only gateway references are kept, never card numbers.
"""

from typing import cast

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from musicplatform.db import well_formed_uuids
from payments.gateways import CardSetup, GatewayError, gateway_named
from payments.models import PaymentGateway, SavedPaymentMethod
from payments.services import PaymentError, saved_payment_method_detach


def billing_url() -> str:
    """The billing page's full address, for messages and emails sent outside a request."""
    return settings.SITE_URL + reverse("billing:index")


def _stripe():
    """Stripe's gateway; a GatewayError while it is not configured."""
    return gateway_named(PaymentGateway.STRIPE)


def card_save(*, setup: CardSetup, gateway: str) -> SavedPaymentMethod | None:
    """Keep the card a gateway saved for `setup.user_id`; once, however often the news
    comes (webhook and return page). A replaced card is then removed."""
    user = User.objects.filter(
        pk__in=well_formed_uuids([setup.user_id]), deleted_at__isnull=True
    ).first()
    if user is None:
        return None
    card, _ = SavedPaymentMethod.objects.get_or_create(
        gateway=gateway,
        method_ref=setup.method_ref,
        defaults={
            "user": user,
            "customer_ref": setup.customer_ref,
            "label": setup.label,
            # The clock's time, not the transaction's: the newest card is the default, and
            # two cards saved in one transaction must still be told apart.
            "created_at": timezone.now(),
        },
    )
    if card.user_id != user.pk:
        return None
    if setup.replaces:
        replaced = SavedPaymentMethod.objects.filter(
            pk__in=well_formed_uuids([setup.replaces]), user=user
        ).exclude(pk=card.pk)
        for old in replaced:
            card_remove(user=user, method=old)
    return card


def card_add_test(*, user, card_number: str, replaces: str | None = None) -> SavedPaymentMethod:
    """The test gateway's own card form on the billing page."""
    from payments.gateways.test import TestGateway

    setup = TestGateway().card_setup(user_id=user.pk, card_number=card_number)
    with transaction.atomic():
        card = card_save(
            setup=CardSetup(**{**setup.__dict__, "replaces": replaces}),
            gateway=PaymentGateway.TEST,
        )
    # The signed-in payer is not deleted and the test reference is new, so it is kept.
    return cast(SavedPaymentMethod, card)


def card_setup_start(*, user, replaces: str | None, success_url: str, cancel_url: str) -> str:
    """Where to send the payer to add a card with Stripe (its hosted setup page)."""
    customer_ref = (
        SavedPaymentMethod.objects.filter(
            user=user, gateway=PaymentGateway.STRIPE, customer_ref__isnull=False
        )
        .order_by("-created_at")
        .values_list("customer_ref", flat=True)
        .first()
    )
    try:
        return _stripe().card_setup_start(
            user=user,
            customer_ref=customer_ref,
            replaces=str(replaces or ""),
            success_url=success_url,
            cancel_url=cancel_url,
        )
    except GatewayError as error:
        raise PaymentError(f"{error} Your cards are unchanged; please try again.") from error


def card_setup_finish(*, session_id: str, user=None) -> SavedPaymentMethod | None:
    """Save the card of a completed Stripe setup session: from its webhook (any payer) or
    from the return page (`user`: only that payer's own session)."""
    if not session_id:
        return None
    try:
        setup = _stripe().card_setup_result(session_id=session_id)
    except GatewayError as error:
        raise PaymentError(f"{error} Your card will appear here shortly.") from error
    if setup is None or (user is not None and setup.user_id != str(user.pk)):
        return None
    return card_save(setup=setup, gateway=PaymentGateway.STRIPE)


def card_remove(*, user, method: SavedPaymentMethod) -> None:
    """Forget a saved card, at the gateway first (Stripe detaches it from the Customer) so
    nothing can charge it any more."""
    if method.user_id != user.pk:
        raise PaymentError("This card is not yours.")
    try:
        # The same detach as account deletion's: one way to make a card unchargeable.
        saved_payment_method_detach(method_id=method.pk)
    except GatewayError as error:
        raise PaymentError(f"{error} The card is still saved; please try again.") from error
