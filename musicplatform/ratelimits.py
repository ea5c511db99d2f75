"""Per-user limits on what people write: posts, comments, reviews, forum posts and chat.

One helper for every such view (`limited_per_user`); the limits are in settings
(`USER_RATE_LIMITS`: how many POSTs within how long). Counted in the default cache
(Redis) with a fixed window: cheap on every write, and with Redis down a limit lets
writes through rather than refusing everybody. Sign-up has no user yet: allauth's own
limit counts it per address (`ACCOUNT_RATE_LIMITS["signup"]`), failed sign-ins are
`accounts.ratelimit`'s.
"""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def user_over_limit(*, user_id, action: str) -> bool:
    """Count one attempt at `action` by the user; whether it is over the limit."""
    amount, window = settings.USER_RATE_LIMITS[action]
    seconds = int(window.total_seconds())
    key = f"user-limit:{action}:{user_id}:{int(time.time()) // seconds}"
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key) > amount
    except ValueError:
        # The counter is gone (Redis unreachable or evicted): let the write through.
        return False


def limited_per_user(action: str):
    """A view decorator: a signed-in user's POSTs beyond the limit get the 429 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (
                request.method == "POST"
                and request.user.is_authenticated
                and user_over_limit(user_id=request.user.pk, action=action)
            ):
                amount, window = settings.USER_RATE_LIMITS[action]
                problem = (
                    f"You can send at most {amount} {action.replace('_', ' ')}s in "
                    f"{_duration(window)}. Please wait a little before you try again."
                )
                return render(request, "429.html", {"problem": problem}, status=429)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _duration(window) -> str:
    minutes = int(window.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "an hour" if hours == 1 else f"{hours} hours"
    return "a minute" if minutes == 1 else f"{minutes} minutes"
