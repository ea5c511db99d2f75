import logging
import threading
import time
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.selectors import follow_states
from musicplatform import search as site_search
from musicplatform import selectors
from musicplatform.forms import SearchForm

logger = logging.getLogger(__name__)


@require_safe
def home(request):
    return render(request, "home.html", {"home": selectors.HomePage(viewer=request.user)})


@require_safe
def search(request, default_kind=""):
    """Everything the viewer may read that matches, grouped by kind, or one kind a page at
    a time (`kind=`). htmx asks for the results alone as the viewer types."""
    form = SearchForm(
        request.GET,
        initial={"kind": default_kind},
        kinds={slug: kind.label for slug, kind in site_search.KINDS.items()},
    )
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""
    kind_slug = (form.cleaned_data["kind"] if valid else "") or default_kind
    kind = site_search.KINDS.get(kind_slug)
    context = {"form": form, "query": query, "kind": kind, "groups": None, "page": None}
    if kind is not None:
        context["page"] = site_search.search_kind(
            viewer=request.user, query=query, kind=kind, page_number=request.GET.get("page")
        )
        context["search_params"] = urlencode({"q": query, "kind": kind.slug})
    elif query:
        context["groups"] = site_search.search_groups(viewer=request.user, query=query)
    context["results_vary"] = site_search.results_vary(
        page=context["page"], groups=context["groups"]
    )
    context["follows"] = follow_states(
        viewer=request.user,
        artist_ids=site_search.artist_ids_found(page=context["page"], groups=context["groups"]),
    )
    template = "search/_results.html" if request.htmx else "search/search.html"
    return render(request, template, context)


@never_cache
@require_safe
def healthz_live(request):
    """Liveness: the process answers HTTP. No I/O at all, so a flood of probes costs
    nothing and a database outage never makes an orchestrator restart healthy workers."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def healthz_ready(request):
    """Readiness: each dependency's state, for monitoring; the HTTP status is for load
    balancers.

    503 only when PostgreSQL does not answer: nothing can be served without it. Redis (the
    cache, sessions' fast copy) and the Celery broker being down degrade the site but do
    not stop it (pages render from PostgreSQL, tasks are caught up by the beat sweeps), so
    the answer stays 200 with `"status": "degraded"`; taking every server out of a load
    balancer then would turn a slower site into no site. Monitoring alerts on `status`.
    """
    body = _dependency_states()
    return JsonResponse(body, status=503 if body["status"] == "down" else 200)


_last_states: tuple[float, dict[str, str]] | None = None
_last_states_lock = threading.Lock()


def _dependency_states() -> dict[str, str]:
    """The checks, reused for `HEALTHZ_READY_CACHE_SECONDS` per process: probes from
    several load balancers every second then cost one round of checks, not one each (the
    broker check opens a fresh connection). Kept in memory, since Redis is one of the
    things checked."""
    global _last_states
    with _last_states_lock:
        now = time.monotonic()
        if _last_states and now - _last_states[0] < settings.HEALTHZ_READY_CACHE_SECONDS:
            return _last_states[1]
        checks = {
            "database": _database_answers(),
            "cache": _cache_answers(),
            "broker": _broker_answers(),
        }
        body = {name: "ok" if ok else "down" for name, ok in checks.items()}
        if not checks["database"]:
            body["status"] = "down"
        else:
            body["status"] = "ok" if all(checks.values()) else "degraded"
        _last_states = (now, body)
        return body


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


def _broker_answers() -> bool:
    from musicplatform.celery import app

    try:
        # A fresh connection: a pooled one could still look open after the broker died.
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
        return True
    except Exception:
        logger.exception("healthz: broker check failed")
        return False


def unused_route(request, **kwargs):
    """A third-party route the platform does not use (accounts/leftover_urls.py)."""
    raise Http404("This page does not exist.")
