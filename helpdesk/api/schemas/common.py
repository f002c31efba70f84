"""Shapes every resource shares: times in UTC, references to people, pages, problems."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from helpdesk.rules.numbers import LARGEST_ID


def _utc_text(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


# Stored naive in UTC; sent as RFC 3339 with a Z, so every client reads the same instant.
UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

FIRST_YEAR, LAST_YEAR = 1900, 2999  # every time read from a request is held inside these


def _in_utc(moment: datetime) -> datetime:
    # Held to the range before converting: 9999-12-31T23:59-14:00 has no UTC time a datetime
    # can hold. Any RFC 3339 time is a valid value, so the far past reads as the first moment
    # of 1900 ("changed since year 483": everything) rather than as an error.
    if moment.year < FIRST_YEAR:
        return datetime(FIRST_YEAR, 1, 1)
    if moment.year > LAST_YEAR:
        return datetime(LAST_YEAR, 12, 31, 23, 59, 59)
    return moment.astimezone(UTC).replace(tzinfo=None)


# A time a client sends: RFC 3339 with its offset, read as naive UTC (how times are stored).
SentTime = Annotated[AwareDatetime, AfterValidator(_in_utc)]

Id = Annotated[int, Field(ge=1, le=LARGEST_ID)]
PageSize = Annotated[int, Field(ge=1, le=100, description="How many items per page (1-100).")]
# A position in a list: every value the pattern allows is one (after the item with this key), so
# a client never holds a cursor we would refuse. Nine digits stay inside a database integer.
Cursor = Annotated[
    str | None,
    Field(
        default=None,
        pattern=r"^[0-9]{1,9}$",
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
    """The cursor of the page after the item with this key."""
    return str(value)


def decode_cursor(text: str | None) -> int | None:
    """The key inside a cursor the pattern admitted; None for the first page."""
    return int(text) if text else None
