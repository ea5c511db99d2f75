"""Tags of templates/base.html, which every HTML page renders, and the filters every page
uses for times and money."""

import datetime
import hashlib
import zoneinfo
from decimal import Decimal
from functools import cache

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from musicplatform.formatting import money_format
from musicplatform.fragments import (
    CSRF_PLACEHOLDER,
    CURRENT_PAGE,
    SECTIONS_MARKED,
    render_site_header,
    section_placeholder,
)

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
        "time_zone_guess": reverse("accounts:time_zone_guess"),
        "favicon": static("favicon.svg"),
        "stylesheet": static("css/site.css"),
        "htmx": static("vendor/htmx/htmx.min.js"),
        "script": static("js/site.js"),
        "player": static("js/player.js"),
    }


# base.html's icon, stylesheet and scripts, as `_site_assets()` writes them with this
# slot where each script's nonce attribute goes.
_NONCE_SLOT = "\x00nonce\x00"


@register.simple_tag(takes_context=True)
def site_assets(context) -> str:
    """base.html's `<link>`s and `<script>`s, each script with the response's CSP nonce.

    Written by one tag rather than nine template variables: each `{{ csp_nonce }}` went
    through the nonce's lazy object, and the page's own cost is what every page pays.
    """
    nonce = context.get("csp_nonce")
    # As Django's `{% csp_nonce_attr %}`: no attribute without the CSP middleware.
    attribute = "" if nonce is None else format_html(' nonce="{}"', nonce)
    return mark_safe(_site_assets(get_script_prefix()).replace(_NONCE_SLOT, attribute))  # noqa: S308 - escaped


@cache
def _site_assets(script_prefix: str) -> str:
    urls = _site_urls(script_prefix)
    return format_html(
        '<link rel="icon" href="{}" type="image/svg+xml">\n'
        '  <link rel="stylesheet" href="{}">\n'
        '  <script src="{}" defer{}></script>\n'
        '  <script src="{}" defer{}></script>\n'
        '  <script src="{}" defer{}></script>',
        urls["favicon"],
        urls["stylesheet"],
        *(part for name in ("htmx", "script", "player") for part in (urls[name], _NONCE_SLOT)),
    )


@register.simple_tag(takes_context=True)
def time_zone_attribute(context) -> str:
    """The `<body>`'s time zone for static/js/site.js: the signed-in user's
    (`data-time-zone`), or, when they have none yet, where their browser's guess is sent
    (`data-time-zone-guess`); nothing signed out."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return ""
    if user.time_zone:
        return format_html(' data-time-zone="{}"', user.time_zone)
    return format_html(
        ' data-time-zone-guess="{}"', _site_urls(get_script_prefix())["time_zone_guess"]
    )


class SiteHeaderNode(template.Node):
    # Not searched for `{% block %}`s, which a page's `{% extends %}` does on every render
    # (about a hundred nodes in the header): none may be inside.
    child_nodelists = ()

    def __init__(self, nodelist, vary_on, source_digest: str):
        self.nodelist = nodelist
        self.vary_on = vary_on
        self.source_digest = source_digest

    def render(self, context) -> str:
        request = context.get("request")
        match = getattr(request, "resolver_match", None)
        here = match.view_name if match is not None else ""

        def render_with_placeholders() -> str:
            with context.push(csrf_token=CSRF_PLACEHOLDER, here=SECTIONS_MARKED):
                return self.nodelist.render(context)

        if request is None:  # rendered outside a request: nothing to keep
            with context.push(here=here):
                return self.nodelist.render(context)
        return render_site_header(
            request=request,
            vary_on=(
                self.source_digest,
                get_script_prefix(),
                *(value.resolve(context) for value in self.vary_on),
            ),
            render=render_with_placeholders,
            here=here,
        )


@register.tag
def site_header(parser, token):
    """`{% site_header value … %}…{% endsite_header %}`: base.html's header, kept per user
    (musicplatform/fragments.py). The values are everything in it that is not the same
    for every page: the user's name and roles, the counts. Inside, `here` is the page's
    view name, read only through `{% aria_current %}`, and `csrf_token` a placeholder.
    """
    nodelist = parser.parse(("endsite_header",))
    parser.delete_first_token()
    # A deployment that changes base.html does not show the header cached before it.
    source = parser.origin.loader.get_contents(parser.origin) if parser.origin.loader else ""
    return SiteHeaderNode(
        nodelist,
        [parser.compile_filter(bit) for bit in token.split_contents()[1:]],
        hashlib.blake2b(source.encode(), digest_size=8).hexdigest(),
    )


@register.simple_tag(takes_context=True)
def aria_current(context, view_name: str) -> str:
    """` aria-current="page"` on the link to the page the reader is on (`here`)."""
    here = context.get("here")
    if here is SECTIONS_MARKED:  # a header being kept: marked per request
        return mark_safe(section_placeholder(escape(view_name)))  # noqa: S308 - escaped
    return mark_safe(CURRENT_PAGE) if here == view_name else ""  # noqa: S308 - a constant


# How a time reads: "3 hours ago", "2 Mar 2026", "2 Mar 2026, 18:30" or "18:30".
TIME_STYLES = {
    "relative": None,
    "date": "DATE_FORMAT",
    "datetime": "DATETIME_FORMAT",
    "clock": "TIME_FORMAT",
}


def viewer_zone(user) -> zoneinfo.ZoneInfo | None:
    """The time zone the signed-in user chose (or their browser sent), if any."""
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    if name:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
    return None


@register.simple_tag(takes_context=True)
def when(context, value: datetime.datetime | datetime.date | None, style: str = "relative") -> str:
    """`<time>` with a valid `datetime` (milliseconds at most, which the HTML standard
    allows, not Python's microseconds) and the time as the viewer's zone reads it (their
    profile's `time_zone`, else UTC), named on hover. static/js/site.js rewrites it in the
    same zone, or the browser's own when the viewer has none, and names that one.
    """
    if value is None:
        return ""
    if not isinstance(value, datetime.datetime):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value))
    request = context.get("request")
    local = timezone.localtime(value, viewer_zone(getattr(request, "user", None)))
    text = (
        f"{timesince(value)} ago" if style == "relative" else date_format(local, TIME_STYLES[style])
    )
    return format_html(
        '<time datetime="{}" title="{}" data-style="{}">{}</time>',
        value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        f"{date_format(local, 'DATETIME_FORMAT')} ({local.tzname()})",
        style,
        text,
    )


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """An amount in the reader's locale, in the platform's currency (PAYMENTS_CURRENCY)
    unless another is given: "$12.50", "12,50 €"."""
    if amount is None or amount == "":
        return ""
    return money_format(Decimal(amount), currency)


@register.simple_tag
def breadcrumbs(*trail) -> str:
    """`{% breadcrumbs "Shop" shop_url artist_name artist_url product.name %}`: the way
    up from a deep page, as label, address pairs, ending with the page's own label unless
    the page names itself in its heading."""
    pairs = list(zip(trail[::2], trail[1::2], strict=False))
    steps = format_html_join(
        "", '<li><a href="{}">{}</a></li>', ((url, label) for label, url in pairs)
    )
    here = format_html('<li aria-current="page">{}</li>', trail[-1]) if len(trail) % 2 else ""
    return format_html(
        '<nav class="breadcrumbs" aria-label="Breadcrumb"><ol>{}{}</ol></nav>', steps, here
    )
