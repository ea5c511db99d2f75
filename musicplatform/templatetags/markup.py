"""`|markdown` and `|markdown_inline`: user text as safe HTML (musicplatform/markup.py).

A builtin (settings TEMPLATES), like `site`, so that no template showing user text can
forget to load it and fall back to printing the text raw.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from musicplatform.markup import render_markdown, render_markdown_inline

register = template.Library()


@register.filter(is_safe=False)
def markdown(text: str | None) -> SafeString:
    # The sanitiser's output is the allow-list's HTML only, escaped everywhere else.
    return mark_safe(render_markdown(text))  # noqa: S308


@register.filter(is_safe=False)
def markdown_inline(text: str | None) -> SafeString:
    return mark_safe(render_markdown_inline(text))  # noqa: S308
