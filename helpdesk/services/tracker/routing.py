"""Apply the admin's routing rules to a case in the support queue (seeds 000, 001).

Cases are routed when they arrive (a customer's topic may already give them a type) and
again when an agent sets the type and reason of a case nobody holds yet, as seed 001's
protocol does: open each queued case, set its type and reason, delegate by type. The
timeline says who got it and why: the rule, the fallback, who was away (until when, and
the reason they gave) or below the case's tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from helpdesk import formatting, i18n
from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    AgentStatus,
    Case,
    CaseReason,
    CaseStatus,
    CaseType,
    CustomerTopic,
    Role,
    RoutingRule,
    User,
)
from helpdesk.models.accounts import staff_rows
from helpdesk.rules.routing import CaseFacts, Decision, PassedOver, Person, Route, Skip, decide
from helpdesk.rules.tier_fit import staff_tier

ROUTABLE_ROLES = (Role.AGENT, Role.ADMIN)


def _active_rules() -> list[RoutingRule]:
    return list(
        db.session.scalars(
            sa.select(RoutingRule)
            .where(RoutingRule.active)
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    )


def _route(rule: RoutingRule) -> Route:
    return Route(
        rule.assignee_id,
        rule.fallback_id,
        rule.category,
        rule.case_type_id,
        rule.case_reason_id,
    )


def is_away(user: User, now: datetime) -> bool:
    """Away, and the announced return time (if any) has not passed yet."""
    return user.agent_status == AgentStatus.AWAY and (
        user.away_until is None or user.away_until > now
    )


def available_agents(now: datetime) -> set[int]:
    """Active staff who are not away (or whose announced return time has passed)."""
    return set(
        db.session.scalars(
            staff_rows(sa.select(User.id)).where(
                User.role.in_(ROUTABLE_ROLES),
                User.active,
                sa.or_(
                    User.agent_status.is_(None),
                    User.agent_status != AgentStatus.AWAY,
                    User.away_until <= now,
                ),
            )
        )
    )


def _people(users: Iterable[User], now: datetime) -> dict[int, Person]:
    return {
        user.id: Person(
            user.id,
            tier=staff_tier(user.tier),
            away=is_away(user, now),
            active=user.active and user.role in ROUTABLE_ROLES,
        )
        for user in users
    }


def rule_label(rule: RoutingRule) -> str:
    """What a rule matches, as the timeline and the admin name it: "Billing / Refund"."""
    parts = []
    if rule.category is not None:
        parts.append(str(rule.category).replace("_", " ").capitalize())
    for model, key in ((CaseType, rule.case_type_id), (CaseReason, rule.case_reason_id)):
        if key is not None:
            row = db.session.get(model, key)
            parts.append(row.name if row is not None else f"#{key}")
    return " / ".join(parts) or "everything else"


def _why(user: User, passed: PassedOver, case_tier: int) -> str:
    if passed.why == Skip.TIER:
        return f"{user.name} is tier {staff_tier(user.tier)} and this case needs tier {case_tier}"
    if passed.why == Skip.INACTIVE:
        return f"{user.name} is no longer active staff"
    text = f"{user.name} is away"
    if user.away_until is not None:
        # Stored text is read by everyone: the business zone, named.
        with i18n.shown_in(None):
            text += f" until {formatting.when(user.away_until, named=True)}"
    if user.status_note:
        text += f" ({user.status_note})"
    return text


def explain(decision: Decision, rules: list[RoutingRule], case_tier: int) -> str:
    """The timeline's sentence for a routing decision."""
    if decision.rule_index is None:
        return "No routing rule matches: the case waits in the support queue."
    label = f"\u201c{rule_label(rules[decision.rule_index])}\u201d"
    users = {u.id: u for u in _users([p.person_id for p in decision.passed_over])}
    reasons = "; ".join(
        _why(users[p.person_id], p, case_tier) if p.person_id in users else "someone unknown"
        for p in decision.passed_over
    )
    if decision.assignee_id is None:
        if not reasons:
            return f"Rule {label} matched, but names nobody: the case waits in the support queue."
        return f"Rule {label} matched, but {reasons}: the case waits in the support queue."
    assignee = db.session.get(User, decision.assignee_id)
    text = f"Routed to {assignee.name} by rule {label}"
    if decision.by_fallback:
        return f"{text}; {reasons}, so the fallback took it."
    return f"{text}."


def _users(ids: Iterable[int]) -> list[User]:
    ids = set(ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids))))


def route(case: Case, now: datetime, *, explain_no_match: bool = False) -> User | None:
    """Apply the rules to an unassigned case and say so on its timeline; no commit.

    Returns the new assignee, or None when the case stays in the support queue. Without a
    matching rule nothing is written unless `explain_no_match` (an agent asked for it).
    """
    if case.assignee_id is not None or case.status == CaseStatus.CLOSED:
        return None
    rules = _active_rules()
    if not rules:
        return None
    named = {uid for r in rules for uid in (r.assignee_id, r.fallback_id) if uid is not None}
    facts = CaseFacts(case.category, case.case_type_id, case.case_reason_id, case.tier)
    decision = decide(facts, [_route(r) for r in rules], _people(_users(named), now))
    if decision.rule_index is None and not explain_no_match:
        return None
    assignee = db.session.get(User, decision.assignee_id) if decision.assignee_id else None
    if assignee is not None:
        # The id only: a caller may still override it the same way (phone intake's choice).
        case.assignee_id, case.assigned_at = assignee.id, now
        if case.status == CaseStatus.OPEN:
            # The new assignee has not opened it yet: it is New to them (seed 002).
            case.status, case.opened_at = CaseStatus.NEW, None
        from helpdesk.services.tracker import notifications  # it builds on the tracker

        notifications.assigned(case, assignee, None)
    rule = rules[decision.rule_index] if decision.rule_index is not None else None
    db.session.add(
        Activity(
            case_id=case.id,
            kind=ActivityKind.ASSIGNMENT,
            created_at=now,
            summary=explain(decision, rules, case.tier)[:500],
            details={
                "routing": {
                    "rule_id": rule.id if rule else None,
                    "assignee_id": decision.assignee_id,
                    "fallback": decision.by_fallback,
                    "passed_over": [
                        {"user_id": p.person_id, "why": str(p.why)} for p in decision.passed_over
                    ],
                }
            },
        )
    )
    return assignee


def route_new_case(case: Case, now: datetime) -> None:
    """Assign a flushed, unassigned new case by the first matching rule; no commit."""
    route(case, now)


def active_topics() -> list[CustomerTopic]:
    """The topics customers may pick, in the administrator's order (switched-off types not)."""
    return list(
        db.session.scalars(
            sa.select(CustomerTopic)
            .join(CaseType, CaseType.id == CustomerTopic.case_type_id)
            .where(CustomerTopic.active, CaseType.active)
            .order_by(CustomerTopic.position, CustomerTopic.label, CustomerTopic.id)
        )
    )


def usable_topic(topic_id: int) -> CustomerTopic | None:
    """The topic a customer picked, when it may still be picked."""
    return next((t for t in active_topics() if t.id == topic_id), None)
