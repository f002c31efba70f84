"""Shapes every resource shares: times in UTC, references to people, pages, problems."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from helpdesk.rules.numbers import LARGEST_ID


def _utc_text(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


# Stored naive in UTC; sent as RFC 3339 with a Z, so every client reads the same instant.
UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

Id = Annotated[int, Field(ge=1, le=LARGEST_ID)]
PageSize = Annotated[int, Field(ge=1, le=100, description="How many items per page (1-100).")]
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="`next_cursor` of the previous page; leave out for the first page.",
    ),
]


class Strict(BaseModel):
    """A request model: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(BaseModel):
    field: str = Field(description="The refused field, as a dotted path (`attachments.0.name`).")
    message: str


class ProblemDocument(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    reference: str | None = Field(default=None, description="Quote it to support (5xx only).")


class PersonRef(BaseModel):
    id: int
    name: str


class NamedRef(BaseModel):
    id: int
    name: str


def encode_cursor(value: int) -> str:
    """An opaque cursor for the page after the item with this key."""
    return base64.urlsafe_b64encode(f"k{value}".encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> int | None:
    """The key inside a cursor; None for the first page. Raises ValueError for a bad one."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor") from None
    if not raw.startswith("k") or not raw[1:].isascii() or not raw[1:].isdigit():
        raise ValueError("not a cursor")
    value = int(raw[1:])
    if not 0 <= value <= LARGEST_ID:
        raise ValueError("not a cursor")
    return value
