"""Who a new case goes to (seed 001, "Delegating case assignment").

Seed 001 routes by case type and reason ("all finance related cases should be assigned to
Chelsea ... if SNK is out of the office, assign to the appropriate liaison or to Chelsea ...
any cases you are not sure of should be assigned to Chelsea"). So: the first matching rule
in order wins; a rule's empty field matches anything (an all-empty rule is the catch-all);
when its assignee is away the fallback takes it; when both are away the case stays in the
support queue for a person to delegate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """One admin-defined routing rule."""

    assignee_id: int
    fallback_id: int | None = None
    category: str | None = None
    case_type_id: int | None = None
    case_reason_id: int | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What routing looks at on a new case."""

    category: str
    case_type_id: int | None = None
    case_reason_id: int | None = None


def _matches(route: Route, case: CaseFacts) -> bool:
    return all(
        wanted is None or wanted == actual
        for wanted, actual in (
            (route.category, case.category),
            (route.case_type_id, case.case_type_id),
            (route.case_reason_id, case.case_reason_id),
        )
    )


def route_case(case: CaseFacts, routes: Iterable[Route], available: set[int]) -> int | None:
    """The agent to assign, or None to leave the case in the support queue."""
    for route in routes:
        if not _matches(route, case):
            continue
        for candidate in (route.assignee_id, route.fallback_id):
            if candidate is not None and candidate in available:
                return candidate
        return None  # the matching rule's people are away: a person delegates it
    return None
