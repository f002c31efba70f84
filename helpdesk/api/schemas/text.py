"""Fields of request bodies: text the database can store, and fields that may not be null.

JSON can carry a NUL (`\\u0000`) that no form post could, and PostgreSQL text cannot hold one:
a request model refuses it (422 naming the field) before any service or driver sees it. A
one-line field refuses every control character as well.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Contains a character we cannot store (NUL).")
    return value


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Keep this on one line, without control characters.")
    return value


def line(max_length: int, min_length: int = 0):
    """A one-line string of at most `max_length` characters (`min_length` when required)."""
    return Annotated[
        str,
        # The pattern tells the document's readers (and schemathesis) what the validator,
        # with its plainer message, refuses.
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f]*$"},
        ),
        AfterValidator(_one_line),
    ]


def text(max_length: int, min_length: int = 0):
    """A multi-line string (new lines allowed) of at most `max_length` characters."""
    return Annotated[
        str,
        Field(
            min_length=min_length,
            max_length=max_length,
            json_schema_extra={"pattern": r"^[^\x00]*$"},
        ),
        AfterValidator(_storable),
    ]


def not_null(value):
    """A field of a partial update sent as null: refused (leave it out to keep it)."""
    if value is None:
        raise ValueError("Leave this out to keep it as it is; it cannot be null.")
    return value
