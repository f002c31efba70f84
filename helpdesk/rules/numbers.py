"""Numbers and dates typed into a URL or a form, read only as a database can store them.

Python's int() takes any Unicode decimal digit ("٣" is 3, full-width "１２" is 12) and has no
upper bound, while an INTEGER column stops at 2**31 - 1 and the date one day after 9999-12-31
overflows: the attack run of issue 16 (item 1) found pages answering 500 to such values. The
rule: an integer is ASCII digits, with a leading "-" only where the caller allows negatives,
inside the range the caller names (ids and page numbers: 1..2**31 - 1); a date is YYYY-MM-DD
in ASCII digits between 1900-01-01 and 2999-12-31. Anything else reads as "no value".
"""

from __future__ import annotations

import re
from datetime import date

LARGEST_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id and case number
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)

ASCII_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
MAX_DIGITS = 20  # past any 64-bit integer; int() of thousands of digits is slow or refused
ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def is_ascii_integer(text: str) -> bool:
    """True when `text` is an optional "-" and ASCII digits only (no "²", "٣", "1e3", "+1")."""
    return ASCII_INTEGER.fullmatch(text) is not None


def parse_int(text: object, *, low: int = 1, high: int = LARGEST_ID) -> int | None:
    """The integer `text` spells, when it is ASCII digits within low..high, else None."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if low <= text <= high else None
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) > MAX_DIGITS + 1 or not is_ascii_integer(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse_id(text: object) -> int | None:
    """An id, case number or page number (1..2**31 - 1), else None."""
    return parse_int(text)


def parse_ids(texts: list[str]) -> list[int]:
    """The valid ids among `texts`, in order, each once; the others are dropped."""
    ids: dict[int, None] = {}
    for text in texts:
        if (value := parse_id(text)) is not None:
            ids[value] = None
    return list(ids)


def strict_int(value: object) -> int:
    """int() for a form's `coerce=`: ASCII digits within ±(2**31 - 1), else ValueError."""
    number = parse_int(value, low=-LARGEST_ID, high=LARGEST_ID)
    if number is None:
        raise ValueError(f"not a whole number: {value!r}")
    return number


def date_in_range(day: date) -> bool:
    """True for a day people mean: 1900-01-01 through 2999-12-31."""
    return EARLIEST_DATE <= day <= LATEST_DATE


def parse_date(text: object) -> date | None:
    """The day `text` names as YYYY-MM-DD within the sane range, else None."""
    if not isinstance(text, str) or not ASCII_DATE.fullmatch(text.strip()):
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if date_in_range(day) else None


def optional_int(value: object) -> int | None:
    """A select's `coerce=`: "" (or "None") is no choice, else strict_int (ValueError)."""
    if value in (None, "", "None"):
        return None
    return strict_int(value)
