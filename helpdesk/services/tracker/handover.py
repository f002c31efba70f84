"""End of day (seed 001) and hand-over before leave (seed 003 "Transfer ownership of a case")."""

from __future__ import annotations

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import ActivityKind, Case, CaseStatus, MessageKind, User, utcnow
from helpdesk.rules.folders import AWAITING_AGENT
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import add_message, log_activity, touch
from helpdesk.services.core import audit
from helpdesk.services.tracker import notifications


def unanswered_personal_cases(agent_id: int | None = None) -> sa.Select:
    """Cases in personal queues that have had no response from support yet."""
    query = sa.select(Case).where(
        Case.assignee_id.is_not(None),
        Case.status.in_([CaseStatus.NEW, CaseStatus.OPEN]),
        Case.first_response_at.is_(None),
    )
    return query if agent_id is None else query.where(Case.assignee_id == agent_id)


def end_of_day(actor: User | None, agent_id: int | None = None) -> int:
    """Seed 001: "At the end of your work day, move all cases that have not been responded
    to, back to the support queue." Logged on each case; commit. Returns how many moved."""
    now = utcnow()
    moved = 0
    for case in db.session.scalars(unanswered_personal_cases(agent_id).with_for_update()):
        previous = case.assignee.name if case.assignee else "someone"
        case.assignee_id = None
        case.assigned_at = None
        case.status = CaseStatus.NEW
        case.opened_at = None
        log_activity(
            case,
            actor,
            ActivityKind.ASSIGNMENT,
            f"End of day: returned to the support queue from {previous}",
            now,
        )
        touch(case, now)
        moved += 1
    audit.record("tracker.end_of_day", actor=actor, moved=moved, agent_id=agent_id)
    db.session.commit()
    return moved


def open_cases_of(agent_id: int) -> list[Case]:
    """An agent's cases that still need support: what a hand-over must cover."""
    return list(
        db.session.scalars(
            sa.select(Case)
            .where(
                Case.assignee_id == agent_id,
                Case.status.in_([*[s.value for s in AWAITING_AGENT], CaseStatus.ANSWERED]),
            )
            .order_by(Case.priority_score.desc(), Case.created_at)
        )
    )


def hand_over(actor: User, leaving: User, plan: dict[int, tuple[int | None, str]]) -> int:
    """Reassign each listed case of `leaving` (case id -> new assignee or keep, note); commit.

    Seed 003: discuss each case with a colleague and assign it with their permission; a case
    kept (None) stays with the leaving agent, who is then expected to follow it.
    """
    now = utcnow()
    cases = {c.id: c for c in open_cases_of(leaving.id)}
    changed = 0
    for case_id, (assignee_id, note) in plan.items():
        case = cases.get(case_id)
        if case is None or assignee_id is None or assignee_id == leaving.id:
            continue
        assignee = db.session.get(User, assignee_id)
        if assignee is None or not assignee.is_staff or not assignee.active:
            raise ServiceError(f"Case #{case.number}: choose an active colleague.")
        case.assignee_id, case.assigned_at = assignee.id, now
        if case.status == CaseStatus.OPEN:
            case.status, case.opened_at = CaseStatus.NEW, None
        log_activity(
            case,
            actor,
            ActivityKind.ASSIGNMENT,
            f"Handed over from {leaving.name} to {assignee.name}",
            now,
        )
        if note.strip():
            add_message(
                case,
                actor,
                kind=MessageKind.NOTE,
                body=f"Hand-over note: {note.strip()[:2000]}",
                at=now,
            )
        touch(case, now)
        notifications.handed_over(case, assignee, actor, leaving)
        changed += 1
    db.session.commit()
    return changed
