"""Cloning (seed 001): "ONLY reasons to clone": another department must act on the case too,
or one case requires cases for many affected customers (a cancelled category: one per order).
Every clone is linked to its original."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    ActivityKind,
    Case,
    CaseStatus,
    Order,
    Origin,
    User,
    utcnow,
)
from helpdesk.rules.subjects import clean_subject
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import clean_text, log_activity, touch
from helpdesk.services.cases.eligibility import record_at_opening
from helpdesk.services.core.counters import next_number
from helpdesk.services.fraud import fraud_flags

MAX_ORDERS = 500


def _copy(original: Case, actor: User, now, **fields) -> Case:
    clone = copy_case(original, actor, now, **fields)
    log_activity(clone, actor, ActivityKind.LINK, f"Cloned from #{original.number}", now)
    return clone


def copy_case(original: Case, actor: User, now, **fields) -> Case:
    """A new case like `original` (its organisation, order, type, tier ...), flushed; the
    caller logs why it exists."""
    values = {
        "number": next_number("case"),
        "subject": original.subject,
        "body": original.body,
        "body_html": original.body_html,
        "organisation_id": original.organisation_id,
        "order_id": original.order_id,
        "requester_id": original.requester_id,
        "correspondent_email": original.correspondent_email,
        "origin": Origin.GENERATED,
        "category": original.category,
        "case_type_id": original.case_type_id,
        "case_reason_id": original.case_reason_id,
        "tier": original.tier,
        "priority_score": original.priority_score,
        "priority_factors": original.priority_factors,
        "product_version": original.product_version,
        "status": CaseStatus.NEW,
        "created_at": now,
        "updated_at": now,
        "awaiting_agent_since": now,
        "cloned_from_id": original.id,
        **fields,
    }
    clone = Case(**values)
    # A clone is a new case: it keeps its own organisation's eligibility of today (the tier
    # is the original's, as the work handed on is the same).
    record_at_opening(clone, now)
    db.session.add(clone)
    db.session.flush()
    fraud_flags.flag_new_case(clone, now)
    return clone


def clone_for_department(actor: User, original: Case, assignee_id: int, reason: str) -> Case:
    """Hand a copy to another department's person, linked to the original; commit."""
    reason = clean_text(reason, field="reason", label="the reason", limit=500)
    assignee = db.session.get(User, assignee_id)
    if assignee is None or not assignee.is_staff or not assignee.active:
        raise ServiceError("Choose the person in the other department.", field="assignee_id")
    now = utcnow()
    clone = _copy(original, actor, now, assignee_id=assignee.id, assigned_at=now)
    log_activity(
        original,
        actor,
        ActivityKind.LINK,
        f"Cloned as #{clone.number} for {assignee.name}: {reason}",
        now,
    )
    touch(original, now)
    db.session.commit()
    return clone


def clone_for_orders(
    actor: User, original: Case, order_numbers: Iterable[str], subject: str, body: str
) -> list[Case]:
    """One case per affected order (each against that order's organisation); commit."""
    subject = clean_text(clean_subject(subject), field="subject", label="a subject", limit=200)
    body = clean_text(body, field="body", label="a description", limit=20_000)
    wanted = sorted({n.strip() for n in order_numbers if n.strip()})
    if not wanted:
        raise ServiceError("List the affected order numbers.", field="order_numbers")
    if len(wanted) > MAX_ORDERS:
        raise ServiceError(f"At most {MAX_ORDERS} orders at once.", field="order_numbers")
    orders = db.session.scalars(sa.select(Order).where(Order.number.in_(wanted))).all()
    missing = sorted(set(wanted) - {o.number for o in orders})
    if missing:
        raise ServiceError(
            f"Unknown order numbers: {', '.join(missing[:10])}.", field="order_numbers"
        )
    now = utcnow()
    clones = [
        _copy(
            original,
            actor,
            now,
            organisation_id=order.organisation_id,
            order_id=order.id,
            requester_id=order.purchaser_id,
            correspondent_email=None,
            subject=subject,
            body=body,
            body_html=render_markup(body),
            product_version=order.version,
        )
        for order in orders
    ]
    log_activity(
        original, actor, ActivityKind.LINK, f"Cloned for {len(clones)} affected orders", now
    )
    touch(original, now)
    db.session.commit()
    return clones
