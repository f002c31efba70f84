"""Service-level policies (issue 19 item 4): administrators define targets in business hours
per plan and priority: the first response, the next reply after each customer message, and
the resolution, whose clock stands still while the case waits on the customer. A case keeps
the policy it arrived under; with none defined, the first-response goal of the settings holds
(the default policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Order, OrderStatus, Organisation, SlaPolicy, User
from helpdesk.models.sla_policies import ANY, PLANS, PRIORITIES
from helpdesk.rules import priority as priority_rules
from helpdesk.rules import sla_policies as rules
from helpdesk.rules.business_hours import BusinessCalendar, add_business_hours, business_seconds
from helpdesk.rules.eligibility import OrderKind
from helpdesk.services import ServiceError
from helpdesk.services.core import audit

PLAN_LABELS = {
    ANY: "Any plan",
    "priority": "Priority support",
    "after_hours": "After-hours plan",
    "standard": "Standard",
}
PRIORITY_LABELS = {ANY: "Any priority", "high": "High or urgent", "normal": "Normal or low"}
HOURS_MAX = 24 * 365


def policies() -> list[SlaPolicy]:
    return list(db.session.scalars(sa.select(SlaPolicy).order_by(SlaPolicy.id)))


def plan_of(case: Case, at: datetime) -> str:
    """What the organisation bought: priority support (a paid, current term), the after-hours
    plan, or the standard support that comes with a purchase."""
    if case.organisation_id is None:
        return "standard"
    current_priority = db.session.scalar(
        sa.select(Order.id)
        .where(
            Order.organisation_id == case.organisation_id,
            Order.kind == OrderKind.PRIORITY_SUPPORT,
            Order.status == OrderStatus.PAID,
            sa.or_(Order.expires_on.is_(None), Order.expires_on >= at.date()),
        )
        .limit(1)
    )
    if current_priority is not None:
        return "priority"
    organisation = db.session.get(Organisation, case.organisation_id)
    return "after_hours" if organisation and organisation.after_hours_support else "standard"


def priority_of(case: Case) -> str:
    level = priority_rules.level(case.priority_score or 0)
    return "high" if level in (priority_rules.Level.HIGH, priority_rules.Level.URGENT) else "normal"


def policy_for(case: Case, at: datetime) -> SlaPolicy | None:
    found = policies()
    if not found:  # the default goal: no need to look at the plan
        return None
    index = rules.choose(
        [rules.PolicyFit(p.plan, p.priority) for p in found], plan_of(case, at), priority_of(case)
    )
    return found[index] if index is not None else None


def apply(case: Case, at: datetime, calendar: BusinessCalendar) -> float | None:
    """Hold a new case to its policy: its resolution target; the first-response hours (None:
    the default goal). The caller sets the first-response due time."""
    policy = policy_for(case, at)
    case.sla_policy_id = policy.id if policy else None
    case.resolution_due_at = (
        add_business_hours(at, policy.resolution_hours, calendar)
        if policy is not None and policy.resolution_hours
        else None
    )
    return policy.first_response_hours if policy else None


def _policy(case: Case) -> SlaPolicy | None:
    return db.session.get(SlaPolicy, case.sla_policy_id) if case.sla_policy_id else None


def customer_wrote(case: Case, now: datetime, calendar: BusinessCalendar) -> None:
    """A customer's message: the next reply is due, and a paused resolution clock runs again
    (its target moves on by the working time it stood still)."""
    policy = _policy(case)
    if policy is not None and policy.next_reply_hours and case.first_response_at is not None:
        case.next_reply_due_at = add_business_hours(now, policy.next_reply_hours, calendar)
    if case.sla_paused_at is not None:
        if case.resolution_due_at is not None:
            stood = business_seconds(case.sla_paused_at, now, calendar) / 3600
            case.resolution_due_at = add_business_hours(case.resolution_due_at, stood, calendar)
        case.sla_paused_at = None


def agent_answered(case: Case, now: datetime) -> None:
    """An agent's public reply meets the next-reply target; waiting on the customer pauses
    the resolution clock."""
    case.next_reply_due_at = None
    if case.status == CaseStatus.ANSWERED and case.resolution_due_at is not None:
        case.sla_paused_at = case.sla_paused_at or now


# --- what the pages show ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    due_at: datetime
    state: str  # "ok", "near", "breached", "met", "paused"


def targets(case: Case, now: datetime, warn: timedelta = timedelta(hours=1)) -> list[Target]:
    """The next-reply and resolution targets of a case (the first response has its own line)."""
    found = []
    if case.next_reply_due_at is not None:
        found.append(
            Target(
                "Next reply due", case.next_reply_due_at, _state(case.next_reply_due_at, now, warn)
            )
        )
    if case.resolution_due_at is not None:
        if case.status == CaseStatus.CLOSED:
            closed = case.closed_at or now
            state = "met" if closed <= case.resolution_due_at else "breached"
        elif case.sla_paused_at is not None:
            state = "paused"
        else:
            state = _state(case.resolution_due_at, now, warn)
        found.append(Target("Resolution due", case.resolution_due_at, state))
    return found


def _state(due: datetime, now: datetime, warn: timedelta) -> str:
    if now >= due:
        return "breached"
    return "near" if due - now <= warn else "ok"


def policy_name(case: Case) -> str | None:
    policy = _policy(case)
    return policy.name if policy else None


# --- the administrator's list ---------------------------------------------------------------


def _hours(value, field: str, *, required: bool) -> float | None:
    if value in (None, ""):
        if required:
            raise ServiceError("Enter the hours, e.g. 4 or 1.5.", field=field)
        return None
    try:
        hours = float(str(value).replace(",", "."))
    except ValueError:
        raise ServiceError("Enter a number of hours, e.g. 4 or 1.5.", field=field) from None
    if not 0 < hours <= HOURS_MAX or hours != hours:
        raise ServiceError(f"Enter more than 0 and at most {HOURS_MAX} hours.", field=field)
    return round(hours, 2)


def create(
    actor: User,
    *,
    name: str,
    plan: str,
    priority: str,
    first_response_hours,
    next_reply_hours=None,
    resolution_hours=None,
    ip_address: str | None = None,
) -> SlaPolicy:
    """Add a policy; audited; commit. It holds cases that arrive from now on."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise ServiceError("Name the policy, e.g. Priority support.", field="name")
    if db.session.scalar(sa.select(SlaPolicy.id).where(SlaPolicy.name == name)):
        raise ServiceError("A policy of that name exists.", field="name")
    if plan not in (ANY, *PLANS):
        raise ServiceError("Choose a plan from the list.", field="plan")
    if priority not in (ANY, *PRIORITIES):
        raise ServiceError("Choose a priority from the list.", field="priority")
    policy = SlaPolicy(
        name=name,
        plan=plan,
        priority=priority,
        first_response_hours=_hours(first_response_hours, "first_response_hours", required=True),
        next_reply_hours=_hours(next_reply_hours, "next_reply_hours", required=False),
        resolution_hours=_hours(resolution_hours, "resolution_hours", required=False),
    )
    db.session.add(policy)
    db.session.flush()
    audit.record("sla_policy.create", actor=actor, obj=policy, ip_address=ip_address, name=name)
    db.session.commit()
    return policy


def delete(actor: User, policy: SlaPolicy, *, ip_address: str | None = None) -> None:
    """Remove a policy; its cases keep their due times; audited; commit."""
    db.session.execute(
        sa.update(Case).where(Case.sla_policy_id == policy.id).values(sla_policy_id=None)
    )
    audit.record(
        "sla_policy.delete", actor=actor, obj=policy, ip_address=ip_address, name=policy.name
    )
    db.session.delete(policy)
    db.session.commit()


# --- attainment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    policy: str
    cases: int
    first_due: int
    first_met: int
    resolution_due: int
    resolution_met: int
    next_reply_late: int  # cases whose next reply is overdue now


def attainment(start: datetime, end: datetime, now: datetime) -> list[Attainment]:
    """Per policy (and the default), for the cases that arrived in [start, end): how many met
    their first-response and resolution targets, of those that fell due."""
    responded = sa.func.coalesce(Case.first_response_at, Case.closed_at)
    first_due = sa.or_(Case.first_response_at.is_not(None), Case.sla_due_at <= now)
    first_met = sa.and_(responded.is_not(None), responded <= Case.sla_due_at)
    res_due = sa.and_(
        Case.resolution_due_at.is_not(None),
        sa.or_(Case.status == CaseStatus.CLOSED, Case.resolution_due_at <= now),
    )
    res_met = sa.and_(Case.status == CaseStatus.CLOSED, Case.closed_at <= Case.resolution_due_at)
    late = sa.and_(Case.next_reply_due_at.is_not(None), Case.next_reply_due_at <= now)

    def counted(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    rows = db.session.execute(
        sa.select(
            SlaPolicy.name,
            sa.func.count(Case.id),
            counted(sa.and_(Case.sla_due_at.is_not(None), first_due)),
            counted(sa.and_(Case.sla_due_at.is_not(None), first_met)),
            counted(res_due),
            counted(res_met),
            counted(late),
        )
        .select_from(Case)
        .outerjoin(SlaPolicy, SlaPolicy.id == Case.sla_policy_id)
        .where(Case.created_at >= start, Case.created_at < end, Case.merged_into_id.is_(None))
        .group_by(SlaPolicy.name)
        .order_by(SlaPolicy.name)
    )
    return [
        Attainment(name or "Default goal", *(int(v or 0) for v in values)) for name, *values in rows
    ]


def next_target(case: Case, now: datetime) -> tuple[Target, str] | None:
    """The earliest running next-reply or resolution target, with a short remark for lists
    ("reply in 2 h", "resolution 3 h overdue"); None when none runs."""
    from helpdesk.services.tracker.sla import duration_words  # sla builds on this module

    running = [t for t in targets(case, now) if t.state in ("ok", "near", "breached")]
    if not running:
        return None
    target = min(running, key=lambda t: t.due_at)
    what = "reply" if target.label.startswith("Next") else "resolution"
    if target.state == "breached":
        return target, f"{what} {duration_words(now - target.due_at)} overdue"
    return target, f"{what} in {duration_words(target.due_at - now)}"
