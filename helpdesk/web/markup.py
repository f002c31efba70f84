"""User text to safe HTML, once, at write time (bleach allowlist plus linkify)."""

from __future__ import annotations

import html

import bleach
from bleach.linkifier import DEFAULT_CALLBACKS

ALLOWED_TAGS = ["p", "br", "a", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote"]
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]


def _link_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow noopener"
    return attrs


def render_markup(text: str) -> str:
    """Plain text as paragraphs with clickable links; nothing the user typed is markup."""
    paragraphs = [chunk.strip() for chunk in text.replace("\r\n", "\n").split("\n\n")]
    body = "".join(
        f"<p>{html.escape(chunk).replace(chr(10), '<br>')}</p>" for chunk in paragraphs if chunk
    )
    cleaned = bleach.clean(
        body, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS
    )
    return bleach.linkify(cleaned, callbacks=[*DEFAULT_CALLBACKS, _link_rel])
