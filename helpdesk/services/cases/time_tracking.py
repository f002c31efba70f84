"""Time agents spend on cases (issue 19 item 6): logged with a reply, a note or a call, or on
its own; listed on the case page (agents only) and summed in the time report.

The day an entry counts for is the agent's working day in the business time zone, so a late
call on the last of the month counts in that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import ActivityKind, Case, TimeEntry, TimeKind, User, utcnow
from helpdesk.rules import durations
from helpdesk.services import ServiceError
from helpdesk.services.cases.casework import log_activity
from helpdesk.services.reports.rollups import local_today

NOTE_MAX = 200
LISTED = 50  # the case page shows the latest entries
KIND_TEXT = {
    TimeKind.REPLY: "with a reply",
    TimeKind.NOTE: "with a note",
    TimeKind.CALL: "on a call",
    TimeKind.WORK: "",
}


def parsed_minutes(text: str | None, *, field: str = "time_spent") -> int | None:
    """The minutes typed (None: nothing typed), or ServiceError with how to type them."""
    try:
        return durations.minutes(text)
    except ValueError as error:
        raise ServiceError(str(error), field=field) from None


def today(zone) -> date:
    return local_today(utcnow(), zone)


def log(
    agent: User,
    case: Case,
    minutes: int,
    kind: TimeKind,
    *,
    worked_on: date,
    note: str = "",
) -> TimeEntry:
    """Record time on the case and say so on its timeline; commit."""
    if not 1 <= minutes <= durations.MAX_MINUTES:
        raise ServiceError(durations.MESSAGE, field="time_spent")
    note = " ".join((note or "").split())[:NOTE_MAX]
    entry = TimeEntry(
        case_id=case.id,
        agent_id=agent.id,
        minutes=minutes,
        kind=kind,
        note=note,
        worked_on=worked_on,
    )
    db.session.add(entry)
    said = " ".join(p for p in ("Time logged:", durations.spoken(minutes), KIND_TEXT[kind]) if p)
    log_activity(case, agent, ActivityKind.TIME, said + (f" ({note})" if note else ""), utcnow())
    db.session.commit()
    return entry


@dataclass(frozen=True)
class CaseTime:
    total_minutes: int
    entries: list[TimeEntry]

    @property
    def total_text(self) -> str:
        return durations.spoken(self.total_minutes) if self.total_minutes else "none yet"


def of_case(case: Case) -> CaseTime:
    """The case's total and its latest entries, with who logged them."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.case_id == case.id
        )
    )
    entries = db.session.scalars(
        sa.select(TimeEntry)
        .options(selectinload(TimeEntry.agent))
        .where(TimeEntry.case_id == case.id)
        .order_by(TimeEntry.worked_on.desc(), TimeEntry.id.desc())
        .limit(LISTED)
    ).all()
    return CaseTime(int(total or 0), list(entries))
