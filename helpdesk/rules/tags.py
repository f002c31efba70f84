"""What a tag may be, and how typed tags are read (no Flask, no DB).

A tag is one short label, lower-case, words joined by dashes: "VIP customer" is "vip-customer".
Several are typed separated by commas.
"""

from __future__ import annotations

import re
import unicodedata

TAG_MAX = 40
TAGS_PER_CASE = 20
_JOINERS = re.compile(r"[\s_]+")
_ALLOWED = re.compile(r"[^\w\-.]+")  # letters of any script, digits, dash, dot


def normalised(text: str | None) -> str:
    """One tag as stored: "  VIP customer " -> "vip-customer", "#Refund" -> "refund"."""
    text = unicodedata.normalize("NFC", text or "").strip().lstrip("#").lower()
    text = _ALLOWED.sub("", _JOINERS.sub("-", text))
    return re.sub(r"-{2,}", "-", text).strip("-.")


def parsed(text: str | None) -> list[str]:
    """The distinct tags in a comma-separated text, in the order typed.

    ValueError, with a message to show, when one is too long or a list is too long."""
    tags: list[str] = []
    for part in (text or "").split(","):
        tag = normalised(part)
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            raise ValueError(f"A tag has at most {TAG_MAX} characters: {tag[:TAG_MAX]}...")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_PER_CASE:
        raise ValueError(f"A case has at most {TAGS_PER_CASE} tags.")
    return tags
