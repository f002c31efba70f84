"""Who a case goes to, and why (seed 001, "Delegating case assignment"; seed 000 tiers).

Seed 001 routes by case type and reason ("all finance related cases should be assigned to
Chelsea ... if SNK is out of the office, assign to the appropriate liaison or to Chelsea ...
any cases you are not sure of should be assigned to Chelsea"). So: the first matching rule
in order wins; a rule's empty field matches anything (an all-empty rule is the catch-all);
when its assignee cannot take the case the fallback takes it; when neither can, the case
stays in the support queue for a person to delegate.

Seed 000: priority-support customers, eligible requests and bug reports go to a level-two
technician. So a person of a lower tier than the case never gets it by routing: they are
passed over like someone away, and with nobody of the tier the case waits in the queue,
where that tier's people pick it up.

The answer says not just who but why (which rule, whether the fallback took it, who was
passed over and for what), so the timeline can tell the agent.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
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
    """What routing looks at on a case: what it is about, and the tier it needs."""

    category: str
    case_type_id: int | None = None
    case_reason_id: int | None = None
    tier: int = 1


@dataclass(frozen=True)
class Person:
    """Someone a rule names, as routing sees them right now."""

    id: int
    tier: int = 1  # staff without a tier count as primary support
    away: bool = False
    active: bool = True  # still active staff who may take cases


class Skip(enum.StrEnum):
    """Why a person a rule names did not get the case."""

    AWAY = "away"
    TIER = "tier"  # their tier is below the case's
    INACTIVE = "inactive"  # no longer active staff


@dataclass(frozen=True)
class PassedOver:
    person_id: int
    why: Skip


@dataclass(frozen=True)
class Decision:
    """The outcome: the assignee (None: the support queue) and why."""

    assignee_id: int | None
    rule_index: int | None = None  # the matching rule's place in the given order
    by_fallback: bool = False
    passed_over: tuple[PassedOver, ...] = ()


def matches(route: Route, case: CaseFacts) -> bool:
    """True when every field the rule sets equals the case's (empty fields match anything)."""
    return all(
        wanted is None or wanted == actual
        for wanted, actual in (
            (route.category, case.category),
            (route.case_type_id, case.case_type_id),
            (route.case_reason_id, case.case_reason_id),
        )
    )


def skip_reason(person: Person | None, case_tier: int) -> Skip | None:
    """Why `person` cannot take a case of `case_tier` now, or None when they can."""
    if person is None or not person.active:
        return Skip.INACTIVE
    if person.tier < case_tier:
        return Skip.TIER
    if person.away:
        return Skip.AWAY
    return None


def decide(case: CaseFacts, routes: Sequence[Route], people: Mapping[int, Person]) -> Decision:
    """The first matching rule's assignee, else its fallback, else the queue; with why."""
    for index, route in enumerate(routes):
        if not matches(route, case):
            continue
        passed: list[PassedOver] = []
        for candidate, is_fallback in ((route.assignee_id, False), (route.fallback_id, True)):
            if candidate is None:
                continue
            why = skip_reason(people.get(candidate), case.tier)
            if why is None:
                return Decision(candidate, index, is_fallback, tuple(passed))
            passed.append(PassedOver(candidate, why))
        # The matching rule's people cannot take it: a person delegates it from the queue.
        return Decision(None, index, False, tuple(passed))
    return Decision(None)


def route_case(case: CaseFacts, routes: Iterable[Route], available: set[int]) -> int | None:
    """The agent to assign, or None to leave the case in the support queue (no tiers)."""
    routes = list(routes)
    ids = {i for r in routes for i in (r.assignee_id, r.fallback_id) if i is not None}
    people = {i: Person(i, tier=3, away=i not in available) for i in ids}
    return decide(case, routes, people).assignee_id
