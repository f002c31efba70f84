"""Remote sessions on a case (seed 003 "Remote Access"): the identity check by customer number
or case number before connecting (a PCI DSS authentication step), the start after the
disconnect preamble, and the end once the customer has disconnected us and confirmed it.
Each step is on the case's timeline and in the audit trail; a refused check records only
that it was refused."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, ActivityKind, Case, Organisation, User, utcnow
from helpdesk.rules.remote_check import IdentityCheck, as_case_number, check_identity
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import committed, touch
from helpdesk.services.core import audit

DETAIL = "remote_session"  # Activity.details key marking the remote-session steps
RECENT_ACTIVITIES = 200  # how far back the timeline is read for a session in progress


class Step(enum.StrEnum):
    REFUSED = "refused"
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class SessionState:
    """Whether a session is open on the case, since when and by whom."""

    in_progress: bool
    started_at: datetime | None = None
    started_by: str | None = None
    ended_at: datetime | None = None


def state(case: Case) -> SessionState:
    """The last remote-session step on the case's timeline."""
    activities = db.session.scalars(
        sa.select(Activity)
        .where(Activity.case_id == case.id, Activity.kind == ActivityKind.ACTION)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(RECENT_ACTIVITIES)
    )
    for activity in activities:
        step = (activity.details or {}).get(DETAIL)
        if step == Step.STARTED:
            who = activity.actor.name if activity.actor else None
            return SessionState(True, activity.created_at, who)
        if step == Step.ENDED:
            return SessionState(False, ended_at=activity.created_at)
    return SessionState(False)


def verify(case: Case, typed: str | None) -> IdentityCheck:
    """Compare the number the customer read out with the case's organisation (no writes)."""
    organisation = db.session.get(Organisation, case.organisation_id)
    candidate = as_case_number(typed)
    case_numbers: set[int] = set()
    if candidate is not None:
        found = db.session.scalar(
            sa.select(Case.number).where(
                Case.number == candidate, Case.organisation_id == case.organisation_id
            )
        )
        if found is not None:
            case_numbers.add(found)
    return check_identity(
        typed, customer_number=organisation.customer_number, case_numbers=case_numbers
    )


def refusal_message(case: Case, check: IdentityCheck) -> str:
    """What the agent is told when the number does not match."""
    shown = check.typed or "nothing"
    return (
        f"{shown} is neither the customer number of {case.organisation.name} nor one of its "
        "case numbers. Do not connect: ask the customer to read it again from their profile "
        "in the support portal or from our e-mail, or to call back from their organisation."
    )


def _record(case: Case, actor: User, step: Step, summary: str, at: datetime, **details) -> None:
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=actor.id,
            kind=ActivityKind.ACTION,
            summary=summary,
            details={DETAIL: step.value, **details},
            created_at=at,
        )
    )
    touch(case, at)


def check(
    *,
    agent: User,
    case: Case,
    typed: str | None,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> IdentityCheck:
    """Check the number the customer read out. A match records nothing yet (the agent reads
    the disconnect preamble, then starts); a mismatch records the refused check, commits and
    raises ServiceError with what to do."""
    if state(case).in_progress:
        raise ServiceError(
            "A remote session is already in progress on this case: end it first.", field="number"
        )
    verdict = verify(case, typed)
    if verdict.matched:
        return verdict
    at = now or utcnow()

    def refuse(files) -> None:
        _record(
            case,
            agent,
            Step.REFUSED,
            f"Remote session refused: the number read out ({verdict.typed or 'none'}) "
            f"is not {case.organisation.name}'s",
            at,
            typed=verdict.typed,
        )
        audit.record(
            "remote.refused",
            actor=agent,
            obj=case,
            organisation_id=case.organisation_id,
            ip_address=ip_address,
            case_number=case.number,
            typed=verdict.typed,
        )

    committed(refuse)
    raise ServiceError(refusal_message(case, verdict), field="number")


def matched_text(case: Case, verdict: IdentityCheck) -> str:
    """What the screen says of a match: the organisation, and the case the number named."""
    if verdict.case_number is None:
        return f"That is the customer number of {case.organisation.name}."
    if verdict.case_number == case.number:
        return f"That is this case, #{case.number}, of {case.organisation.name}."
    return (
        f"That is case #{verdict.case_number} of {case.organisation.name}; "
        f"the session is logged on this case, #{case.number}."
    )


def start(
    *,
    agent: User,
    case: Case,
    typed: str | None,
    now: datetime | None = None,
    ip_address: str | None = None,
) -> IdentityCheck:
    """The number is checked again and the session's start recorded: identity confirmed,
    disconnect preamble read; commit. A mismatch is refused as by `check`."""
    verdict = check(agent=agent, case=case, typed=typed, now=now, ip_address=ip_address)
    at = now or utcnow()
    by = (
        f"case number #{verdict.case_number}"
        if verdict.case_number is not None
        else "customer number"
    )

    def write(files) -> None:
        _record(
            case,
            agent,
            Step.STARTED,
            f"Remote session started: identity confirmed by {by}; disconnect instructions read",
            at,
            matched_by=verdict.matched_by.value,
            case_number=verdict.case_number,
        )
        audit.record(
            "remote.start",
            actor=agent,
            obj=case,
            organisation_id=case.organisation_id,
            ip_address=ip_address,
            case_number=case.number,
            matched_by=verdict.matched_by.value,
        )

    committed(write)
    return verdict


def end(
    *, agent: User, case: Case, now: datetime | None = None, ip_address: str | None = None
) -> None:
    """The customer disconnected us and confirmed we are gone: the session ends; commit."""
    if not state(case).in_progress:
        raise ServiceError("No remote session is in progress on this case.")
    at = now or utcnow()

    def write(files) -> None:
        _record(
            case,
            agent,
            Step.ENDED,
            "Remote session ended, customer confirmed we are disconnected",
            at,
        )
        audit.record(
            "remote.end",
            actor=agent,
            obj=case,
            organisation_id=case.organisation_id,
            ip_address=ip_address,
            case_number=case.number,
        )

    committed(write)
