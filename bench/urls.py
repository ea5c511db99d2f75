"""The site's URLs plus the benchmark's signed-in bare view and empty page (bench/settings.py)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.cache import never_cache

from musicplatform.urls import urlpatterns as site_urlpatterns


@never_cache
def whoami(request):
    """/healthz/live that needs the user: the session, the user and the middleware stack,
    and no page work, so its ratio to /healthz/live is the cost of being signed in."""
    return HttpResponse(request.user.get_username(), content_type="text/plain")


# Compiled once, as the loader caches the site's templates in production.
EMPTY_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Empty page{% endblock %}'
)


@never_cache
def page(request):
    """/healthz/whoami rendered as an empty page of the site: base.html's header, nav,
    footer and context processors for the signed-in user, and nothing else. Its ratio to
    whoami is what every signed-in page pays before its own content."""
    return HttpResponse(EMPTY_PAGE.render(request=request))


urlpatterns = [path("healthz/whoami", whoami), path("healthz/page", page), *site_urlpatterns]
