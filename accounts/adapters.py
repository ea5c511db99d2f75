"""allauth hooks: our own verification links, full names, onboarding, Spotify only links."""

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse

from accounts import ratelimit, selectors, services

logger = logging.getLogger(__name__)

# The user who signed up in this browser, until they confirm their email here.
SIGNED_UP_USER_SESSION_KEY = "signed_up_user"


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request) -> str:
        # allauth believes X-Forwarded-For from anyone; only a trusted proxy may tell us the
        # client's address, or a client reaching gunicorn directly would pick the address
        # its failed logins are counted under. A unix socket peer has no address.
        peer = request.META.get("REMOTE_ADDR", "")
        if (peer or "unix") in settings.TRUSTED_PROXIES:
            return super().get_client_ip(request)
        if not peer:
            raise PermissionDenied("Unable to determine client IP address")
        return peer

    def pre_authenticate(self, request, **credentials) -> None:
        # Replaces allauth's cache-based limit on failed logins (accounts/ratelimit.py);
        # AccountMiddleware turns the exception into the 429 page.
        if ratelimit.login_refused(request, ratelimit.login_of(credentials)):
            raise ImmediateHttpResponse(ratelimit.too_many_failures(request))

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        # The link carries a token from `user_verification` (single use, expiring) instead
        # of allauth's signed key.
        email_address = emailconfirmation.email_address
        raw_token = services.email_verification_send(email_address=email_address)
        path = reverse("accounts:verify_email", args=[email_address.pk, raw_token])
        url = request.build_absolute_uri(path) if request is not None else path
        context = {
            "user": email_address.user,
            "email": email_address.email,
            "activate_url": url,
            "key": raw_token,
        }
        template = (
            "account/email/email_confirmation_signup"
            if signup
            else "account/email/email_confirmation"
        )
        self.send_mail(template, email_address.email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # A mail server that refuses the message or cannot be reached must not turn the
        # sign-up (or password reset) the person just made into an error page: what they
        # did is kept, and they are told how to get the email again.
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError):
            logger.warning("Sending %s failed", template_prefix, exc_info=True)
            if self.request is not None:
                messages.warning(
                    self.request,
                    f"We could not send the email to {email} just now. Try again in a few "
                    "minutes: log in to get a new verification link, or ask for the "
                    "password reset again.",
                )

    def save_user(self, request, user, form, commit=True):
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        user = super().save_user(request, user, form, commit=commit)
        # Confirming the email in this same browser signs the new user in (views.verify_email).
        request.session[SIGNED_UP_USER_SESSION_KEY] = str(user.pk)
        return user

    def get_signup_redirect_url(self, request) -> str:
        return reverse("accounts:onboarding")

    def get_login_redirect_url(self, request) -> str:
        if not selectors.user_has_onboarded(user=request.user):
            return reverse("accounts:onboarding")
        return super().get_login_redirect_url(request)


class ProviderNotConfigured(Http404, SocialApp.DoesNotExist):
    """A provider whose *_CLIENT_ID is unset: its addresses answer 404, not 500."""


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as missing:
            raise ProviderNotConfigured(f"{provider} login is not set up") from missing

    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Spotify links to an existing account; only Google may create one.
        if sociallogin.account.provider == "spotify":
            return False
        return super().is_open_for_signup(request, sociallogin)

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.full_name = (name or (data.get("email") or "").split("@")[0] or "Music fan")[:100]
        return user
