"""Tier II (seeds 000, 003, 004): escalate, record the developer's verdict, send back,
attach a new case to an item already with tier II as its sub-case."""

from __future__ import annotations

from helpdesk.extensions import db
from helpdesk.models import (
    ActivityKind,
    Case,
    CaseStatus,
    Criticality,
    MessageKind,
    Tier2Kind,
    User,
    utcnow,
)
from helpdesk.rules.tier_fit import escalation_target, staff_tier
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import add_message, clean_text, log_activity, touch
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import notifications

NOTE_MAX = 2000


def _note(actor: User, case: Case, note: str, now, label: str) -> None:
    if note.strip():
        text = clean_text(note, field="note", label="a note", limit=NOTE_MAX)
        add_message(case, actor, kind=MessageKind.NOTE, body=f"{label}: {text}", at=now)


def escalate(actor: User, case: Case, note: str = "") -> Case:
    """Move a case one tier up (1 -> 2 -> 3), back to that tier's queue, with a note; commit."""
    if case.tier >= 3:
        raise ServiceError("This case is already at tier 3.")
    if case.status == CaseStatus.CLOSED:
        raise ServiceError("This case is closed.")
    if escalation_target(actor.tier, case.tier) is None:
        # Seed 003: tier II accepts only what primary support cannot complete, and decides
        # itself what goes further up; below the case's tier there is nothing to escalate.
        raise ServiceError(
            f"This case is already at tier {case.tier}, above your tier "
            f"{staff_tier(actor.tier)}: its tier decides whether it goes further."
        )
    now = utcnow()
    case.tier += 1
    _note(actor, case, note, now, f"Escalated to tier {case.tier}")
    # The tier's people pick it up from the support queue (seed 003: Tier II accepts only
    # items that primary support cannot complete).
    case.assignee_id = None
    case.assigned_at = None
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.NEW
        case.opened_at = None
    log_activity(case, actor, ActivityKind.ACTION, f"Escalated to tier {case.tier}", now)
    touch(case, now)
    notifications.escalated(case, actor)
    db.session.commit()
    return case


def send_back(actor: User, case: Case, note: str) -> Case:
    """Tier II returns a case to primary support with the reason; commit."""
    if case.tier == 1:
        raise ServiceError("This case is already with primary support.")
    if not note.strip():
        raise ServiceError("Say why it goes back to primary support.", field="note")
    now = utcnow()
    case.tier = 1
    _note(actor, case, note, now, "Sent back to primary support")
    case.assignee_id = None
    case.assigned_at = None
    log_activity(case, actor, ActivityKind.ACTION, "Sent back to tier 1", now)
    touch(case, now)
    db.session.commit()
    return case


def record_tier2(
    actor: User,
    case: Case,
    *,
    estimate_minutes: int | None,
    kind: str | None,
    criticality: str | None,
    note: str = "",
) -> Case:
    """Seed 003: tier II records an estimate, bug or enhancement, and how critical; commit."""
    if case.tier < 2:
        raise ServiceError("Escalate the case to tier II first.")
    if estimate_minutes is not None and not 0 <= estimate_minutes <= 100_000:
        raise ServiceError("Estimate between 0 and 100,000 minutes.", field="estimate_minutes")
    now = utcnow()
    case.estimate_minutes = estimate_minutes
    case.tier2_kind = Tier2Kind(kind) if kind else None
    case.criticality = Criticality(criticality) if criticality else None
    case.tier2_note = note.strip()[:NOTE_MAX] or None
    parts = [
        f"estimate {estimate_minutes} min" if estimate_minutes is not None else None,
        kind,
        f"criticality {criticality}" if criticality else None,
    ]
    log_activity(
        case,
        actor,
        ActivityKind.ACTION,
        "Tier II: " + (", ".join(p for p in parts if p) or "cleared"),
        now,
    )
    touch(case, now)
    db.session.commit()
    return case


def attach_as_subcase(actor: User, case: Case, parent: Case) -> Case:
    """Seed 003: a new case about an item already at tier II becomes its sub-case, and the
    customer is e-mailed that the information was attached to the existing case; commit."""
    if parent.id == case.id:
        raise ServiceError("A case cannot be its own sub-case.", field="parent_number")
    if parent.organisation_id != case.organisation_id:
        raise ServiceError("The parent case belongs to another customer.", field="parent_number")
    if parent.tier < 2:
        raise ServiceError(f"Case #{parent.number} is not with tier II.", field="parent_number")
    if parent.parent_id == case.id:
        raise ServiceError("That would make a loop of sub-cases.", field="parent_number")
    now = utcnow()
    case.parent_id = parent.id
    case.tier = parent.tier
    log_activity(case, actor, ActivityKind.LINK, f"Attached as a sub-case of #{parent.number}", now)
    log_activity(parent, actor, ActivityKind.LINK, f"Sub-case #{case.number} attached", now)
    touch(case, now)
    touch(parent, now)
    if case.requester is not None:
        outbox.queue_mail(
            to_address=case.requester.email,
            to_name=case.requester.name,
            case=case,
            user=case.requester,
            subject=f"Added to case #{parent.number}",
            template="attached_to_parent",
            parent=parent,
        )
    db.session.commit()
    return case
