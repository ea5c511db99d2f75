"""The one way user-written text becomes HTML: a CommonMark subset, then an allow-list.

markdown-it-py renders bold, italics, links, quotes, lists and code; raw HTML is escaped
(its `html` option is off), and images and headings are not recognised (a user's heading
would break the page's outline, an image would load from anywhere). nh3 then keeps only
the tags below, whatever the renderer produced, so a bug or a new rule there cannot let
a script or an event handler through; links may only point to http(s) and mailto and
carry `rel="nofollow ugc noopener"` (no search-engine credit, no `window.opener`).
"""

import nh3
from markdown_it import MarkdownIt

# Part of every cached fragment's key (musicplatform/fragments.py): a change of the
# rules below changes the HTML of text that did not change, so the version moves with it.
MARKUP_VERSION = 1

_markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
    ["image", "heading", "lheading", "html_block", "html_inline"]
)

_BLOCK_TAGS = {"p", "br", "strong", "em", "a", "code", "pre", "blockquote", "ul", "ol", "li", "hr"}
_INLINE_TAGS = {"br", "strong", "em", "a", "code"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_LINK_REL = "nofollow ugc noopener"


def _clean(html: str, tags: set[str]) -> str:
    return nh3.clean(
        html, tags=tags, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, link_rel=_LINK_REL
    )


def render_markdown(text: str | None) -> str:
    """Paragraphs, quotes, lists and code blocks: posts, comments, reviews, bios."""
    if not text:
        return ""
    return _clean(_markdown.render(text), _BLOCK_TAGS)


def render_markdown_inline(text: str | None) -> str:
    """One line of phrasing content (bold, italics, links, code): chat messages."""
    if not text:
        return ""
    return _clean(_markdown.renderInline(text), _INLINE_TAGS)
