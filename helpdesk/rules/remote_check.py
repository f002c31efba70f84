"""The identity check before a remote session (seed 003 "Remote Access", a PCI DSS
authentication step): before we connect to a customer's computer, the customer reads out
their customer number or the number of the case that needs the session, and it must be the
organisation's. The number the customer reads is compared as typed by the agent, ignoring
spaces, hyphens, a leading "#" and letter case; anything else is a refused check.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass

from helpdesk.rules.numbers import parse_int

TYPED_MAX = 40
_IGNORED = re.compile(r"[\s\-#.]+")


class MatchedBy(enum.StrEnum):
    CUSTOMER_NUMBER = "customer number"
    CASE_NUMBER = "case number"


@dataclass(frozen=True)
class IdentityCheck:
    """The verdict: matched by which number (and which case), or refused."""

    typed: str  # normalised, at most TYPED_MAX characters
    matched_by: MatchedBy | None
    case_number: int | None = None  # the case the number named, when it was a case number

    @property
    def matched(self) -> bool:
        return self.matched_by is not None


def normalise(typed: str | None) -> str:
    """The number as read out, without spaces, hyphens, dots or "#", upper case."""
    return _IGNORED.sub("", typed or "").upper()[:TYPED_MAX]


def as_case_number(typed: str | None) -> int | None:
    """The typed number as a case number, when it can be one."""
    value = normalise(typed)
    return parse_int(value, low=0)


def check_identity(
    typed: str | None, *, customer_number: str, case_numbers: Collection[int]
) -> IdentityCheck:
    """Matched when the typed number is the organisation's customer number or one of its
    case numbers (`case_numbers`: the organisation's cases among those the number could be)."""
    value = normalise(typed)
    if value and value == normalise(customer_number):
        return IdentityCheck(value, MatchedBy.CUSTOMER_NUMBER)
    number = as_case_number(value)
    if number is not None and number in case_numbers:
        return IdentityCheck(value, MatchedBy.CASE_NUMBER, number)
    return IdentityCheck(value, None)
