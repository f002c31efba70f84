"""Time spent as agents type it: "25", "1:30", "1h 30m", "1.5h", "90 min" (no Flask, no DB)."""

from __future__ import annotations

import re

MAX_MINUTES = 24 * 60  # one entry covers at most a day
_CLOCK = re.compile(r"(\d{1,2}):([0-5]\d)")
_PARTS = re.compile(r"(\d+(?:[.,]\d+)?)\s*(hours?|hrs?|h|minutes?|mins?|m)", re.IGNORECASE)
_PLAIN = re.compile(r"\d{1,4}")
MESSAGE = f"Type minutes (25), hours and minutes (1:30 or 1h 30m), at most {MAX_MINUTES // 60} h."


def minutes(text: str | None) -> int | None:
    """The minutes `text` says, or None when it is empty. ValueError (with MESSAGE) when it
    cannot be read, is zero, or is more than a day."""
    text = (text or "").strip()
    if not text:
        return None
    total = _read(text)
    if total is None or not 1 <= total <= MAX_MINUTES:
        raise ValueError(MESSAGE)
    return total


def _read(text: str) -> int | None:
    if _PLAIN.fullmatch(text):
        return int(text)
    if clock := _CLOCK.fullmatch(text):
        return int(clock[1]) * 60 + int(clock[2])
    parts = list(_PARTS.finditer(text))
    if not parts or _PARTS.sub("", text).strip():
        return None  # something besides amounts and units
    total = 0.0
    for amount, unit in (p.groups() for p in parts):
        value = float(amount.replace(",", "."))
        total += value * 60 if unit[0].lower() == "h" else value
    return round(total)


def spoken(total: int) -> str:
    """ "1 h 30 min", "45 min", "2 h"."""
    hours, rest = divmod(int(total), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")
