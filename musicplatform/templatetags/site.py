"""Tags of templates/base.html, which every HTML page renders."""

from functools import cache

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

register = template.Library()


@register.simple_tag
def site_urls() -> dict[str, str]:
    """The fixed addresses base.html links to: `{% site_urls as site_urls %}`.

    Every HTML page renders base.html, and working out these with `{% url %}` and
    `{% static %}` there each time cost about half a millisecond of CPU. They
    change only with the script prefix the site is mounted under (SCRIPT_NAME, set per
    request), so they are worked out once per process and prefix.
    """
    return _site_urls(get_script_prefix())


@cache
def _site_urls(script_prefix: str) -> dict[str, str]:
    # reverse() reads the prefix itself: here it is the cache's key only.
    return {
        "home": reverse("home"),
        "feed": reverse("content:feed"),
        "explore": reverse("content:explore"),
        "artists": reverse("artists:search"),
        "search": reverse("search"),
        "communities": reverse("communities:list"),
        "shop": reverse("shop:list"),
        "cart": reverse("shop:cart"),
        "notifications": reverse("notifications:list"),
        "settings": reverse("accounts:settings"),
        "my_artist_page": reverse("artists:mine"),
        "become_artist": reverse("artists:become"),
        "admin": reverse("admin:index"),
        "log_out": reverse("account_logout"),
        "log_in": reverse("account_login"),
        "sign_up": reverse("account_signup"),
        "favicon": static("favicon.svg"),
        "stylesheet": static("css/site.css"),
        "htmx": static("vendor/htmx/htmx.min.js"),
    }
