"""User text to safe HTML, once, at write time: Markdown with links, then an nh3 allowlist."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "strong",
        "em",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
# "rel" is not listed: nh3 sets it on every link itself (LINK_REL) and refuses both at once.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"


@functools.cache
def _markdown() -> MarkdownIt:
    # "html": False makes raw HTML in the text come out as text, before nh3 even looks.
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True})
    parser.enable(["table", "linkify"])
    # Bare addresses stay text, as they did before links were found by the parser.
    parser.linkify.set({"fuzzy_email": False})
    return parser


def render_markup(text: str) -> str:
    """Plain text or Markdown as sanitised HTML: no script, style, handler or javascript: URL."""
    return nh3.clean(
        _markdown().render(text),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_PROTOCOLS),
        link_rel=LINK_REL,
        strip_comments=True,
    )
