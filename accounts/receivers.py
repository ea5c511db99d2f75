"""allauth's signals keep the copies on `users` and `user_preferences` in step; Django's
`user_login_failed` counts failed sign-ins for the login limit."""

from allauth.account import signals as account_signals
from allauth.socialaccount import signals as social_signals
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import ratelimit, services
from accounts.middleware import user_cache_key
from accounts.models import User
from musicplatform.cache import invalidate_on_commit


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def _user_changed(sender, instance, **kwargs):
    # The copy that accounts.middleware serves to signed-in requests: forgotten now, for
    # the requests of this transaction, and again at the commit, in case a concurrent
    # request cached the old row meanwhile.
    cache.delete(user_cache_key(instance.pk))
    invalidate_on_commit(user_cache_key(instance.pk))


@receiver(account_signals.user_signed_up)
@receiver(account_signals.email_confirmed)
@receiver(account_signals.email_changed)
@receiver(account_signals.email_removed)
def _email_state_changed(sender, request=None, user=None, email_address=None, **kwargs):
    user = user or (email_address.user if email_address is not None else None)
    if user is not None and user.pk is not None:
        services.user_sync_flags(user=user)


@receiver(social_signals.social_account_added)
@receiver(social_signals.social_account_updated)
def _social_account_saved(sender, request=None, sociallogin=None, **kwargs):
    if sociallogin is not None and sociallogin.user is not None and sociallogin.user.pk:
        services.email_addresses_verified_by_provider(
            user=sociallogin.user,
            emails=[a.email for a in sociallogin.email_addresses if a.verified],
        )


@receiver(social_signals.social_account_removed)
def _social_account_removed(sender, request=None, socialaccount=None, **kwargs):
    services.user_sync_flags(user=socialaccount.user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # Every login form's failures count (allauth's, the admin's, reauthentication);
    # a check without a request (a shell, a command) is nobody's attempt to sign in.
    if request is not None:
        ratelimit.login_failed(request, ratelimit.login_of(credentials))


@receiver(user_logged_in)
def _logged_in(sender, request=None, user=None, **kwargs):
    if request is not None:
        ratelimit.login_succeeded(request, user)
