"""@mentions in private notes (no Flask, no DB): a colleague is named by a handle made of
their name, "@lena.lind" for Lena Lind, which the composer completes from the staff list."""

from __future__ import annotations

import re
import unicodedata

HANDLE_MAX = 60
_MENTION = re.compile(r"(?<![\w@.])@([\w][\w.-]{0,59})", re.UNICODE)


def handle_of(name: str) -> str:
    """The handle of a person's name: lower-case, words joined by dots, accents kept."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", name or "").lower())
    return ".".join(words)[:HANDLE_MAX]


def mentioned(text: str) -> set[str]:
    """The handles @mentioned in `text` (an e-mail address is not a mention)."""
    return {match.rstrip(".-").lower() for match in _MENTION.findall(text or "")}
