"""User text to safe HTML, once, at write time: Markdown, then a bleach allowlist, then links."""

from __future__ import annotations

import functools

import bleach
from bleach.linkifier import DEFAULT_CALLBACKS
from markdown_it import MarkdownIt

ALLOWED_TAGS = [
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
]
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


@functools.cache
def _markdown() -> MarkdownIt:
    # "html": False makes raw HTML in the text come out as text, before bleach even looks.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")


def _link_rel(attrs, new=False):
    if (None, "href") in attrs:
        attrs[(None, "rel")] = "nofollow noopener"
    return attrs


def render_markup(text: str) -> str:
    """Plain text or Markdown as sanitised HTML: no script, style, handler or javascript: URL."""
    html = _markdown().render(text)
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
    )
    # No skip_tags: bleach escapes the skipped text twice.
    return bleach.linkify(cleaned, callbacks=[*DEFAULT_CALLBACKS, _link_rel])
