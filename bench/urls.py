"""The site's URLs plus the benchmark's signed-in bare view (bench/settings.py)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.cache import never_cache

from musicplatform.urls import urlpatterns as site_urlpatterns


@never_cache
def whoami(request):
    """/healthz/live that needs the user: the session, the user and the middleware stack,
    and no page work, so its ratio to /healthz/live is the cost of being signed in."""
    return HttpResponse(request.user.get_username(), content_type="text/plain")


urlpatterns = [path("healthz/whoami", whoami), *site_urlpatterns]
