"""Apply the admin's routing rules to a case entering the support queue (seed 001)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, ActivityKind, AgentStatus, Case, Role, RoutingRule, User
from helpdesk.rules.routing import CaseFacts, Route, route_case


def _routes() -> list[Route]:
    rules = db.session.scalars(
        sa.select(RoutingRule)
        .where(RoutingRule.active)
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return [
        Route(
            rule.assignee_id,
            rule.fallback_id,
            rule.category,
            rule.case_type_id,
            rule.case_reason_id,
        )
        for rule in rules
    ]


def available_agents(now: datetime) -> set[int]:
    """Active staff who are not away (or whose announced return time has passed)."""
    return set(
        db.session.scalars(
            sa.select(User.id).where(
                User.role.in_((Role.AGENT, Role.ADMIN)),
                User.active,
                sa.or_(
                    User.agent_status.is_(None),
                    User.agent_status != AgentStatus.AWAY,
                    User.away_until <= now,
                ),
            )
        )
    )


def route_new_case(case: Case, now: datetime) -> None:
    """Assign a flushed, unassigned case by the first matching rule; no commit."""
    if case.assignee_id is not None:
        return  # a person already chose (e.g. the agent taking a call at phone intake)
    routes = _routes()
    if not routes:
        return
    facts = CaseFacts(case.category, case.case_type_id, case.case_reason_id)
    assignee_id = route_case(facts, routes, available_agents(now))
    if assignee_id is None:
        return
    assignee = db.session.get(User, assignee_id)
    case.assignee_id, case.assigned_at = assignee_id, now
    db.session.add(
        Activity(
            case_id=case.id,
            kind=ActivityKind.ASSIGNMENT,
            created_at=now,
            summary=f"Routed to {assignee.name}",
        )
    )
