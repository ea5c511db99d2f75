import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from musicplatform import selectors

logger = logging.getLogger(__name__)


@require_GET
def home(request):
    return render(request, "home.html", selectors.home_page())


@never_cache
@require_GET
def healthz(request):
    """200 only when PostgreSQL and Redis both answer; load balancers route on it."""
    checks = {"database": _database_answers(), "cache": _cache_answers()}
    status = 200 if all(checks.values()) else 503
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(body, status=status)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _cache_answers() -> bool:
    try:
        return bool(cache.client.get_client().ping())
    except Exception:
        logger.exception("healthz: cache check failed")
        return False
