"""A case subject is one line of text (issue 16 item 9).

Mail folds long subjects with CR/LF, and a form or a phone title may carry tabs, NUL or other
control characters. Each control character (Unicode category Cc) and each line or paragraph
separator (U+2028, U+2029) becomes a space; runs of white space collapse to one; the ends are
trimmed. Everything else (accents, emoji, right-to-left text) is kept as typed.
"""

from __future__ import annotations

import unicodedata

LINE_SEPARATORS = frozenset({"\u2028", "\u2029"})


def _breaks_the_line(char: str) -> bool:
    return char in LINE_SEPARATORS or unicodedata.category(char) == "Cc"


def clean_subject(text: str | None) -> str:
    """`text` as one line: control characters as single spaces, collapsed and trimmed."""
    spaced = "".join(" " if _breaks_the_line(char) else char for char in text or "")
    return " ".join(spaced.split())
