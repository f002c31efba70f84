"""The first-response clock of seed 003 on real cases, and the start-of-day list.

`rules.business_hours` decides; this module feeds it the configured hours and the Holiday
table, stamps new cases with their due time, tells templates how a case stands, and lists
the morning round of seed 003 ("Daily Activities") in its order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel import dates
from sqlalchemy.orm import contains_eager, joinedload

from helpdesk import i18n
from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Holiday, Organisation, Origin, Role, User, utcnow
from helpdesk.rules.business_hours import (
    DEFAULT_FIRST_RESPONSE_HOURS,
    BusinessCalendar,
    describe_weekdays,
    first_response_due,
    last_close,
    parse_clock,
    parse_weekdays,
    sla_state,
)
from helpdesk.services.core import settings

# Holidays loaded around "now": enough for any first-response clock (a few business days
# ahead) and for finding the last close of business behind us.
HOLIDAYS_BEHIND = timedelta(days=31)
HOLIDAYS_AHEAD = timedelta(days=366)
WARN_MINUTES = 60


def calendar_from(config: Mapping[str, Any], holidays: Iterable[date] = ()) -> BusinessCalendar:
    """The business calendar described by the BUSINESS_* settings, with these holidays."""
    return BusinessCalendar(
        time_zone=config.get("BUSINESS_TIME_ZONE") or "America/Denver",
        opens=parse_clock(config.get("BUSINESS_HOURS_START") or "08:00"),
        closes=parse_clock(config.get("BUSINESS_HOURS_END") or "17:00"),
        weekdays=parse_weekdays(config.get("BUSINESS_DAYS") or "mon,tue,wed,thu,fri"),
        holidays=frozenset(holidays),
    )


def current_calendar(around: datetime | None = None) -> BusinessCalendar:
    """The app's calendar, with the Holiday rows near `around` (default: today); one query."""
    around = around or utcnow()
    today = around.date()
    days = db.session.scalars(
        sa.select(Holiday.day).where(
            Holiday.day >= today - HOLIDAYS_BEHIND, Holiday.day <= today + HOLIDAYS_AHEAD
        )
    )
    return calendar_from(settings.values(), days)


def support_hours() -> str:
    """The configured support hours for customers: "8:00 to 17:00 Mountain Time, Monday to
    Friday" (the administrator's settings, so e-mails never promise other hours)."""
    calendar = calendar_from(settings.values())
    locale = i18n.locale()
    names = dates.get_day_names("wide", locale=locale)
    days = describe_weekdays(calendar.weekdays, [names[day] for day in range(7)])
    zone = dates.get_timezone_name(calendar.zone, locale=locale)
    opens, closes = (f"{t.hour}:{t.minute:02d}" for t in (calendar.opens, calendar.closes))
    return f"{opens} to {closes} {zone}, {days}"


def first_response_hours() -> float:
    """FIRST_RESPONSE_HOURS from the settings (seed 003: 4)."""
    return float(settings.setting("FIRST_RESPONSE_HOURS") or DEFAULT_FIRST_RESPONSE_HOURS)


def apply_first_response_due(case: Case, at: datetime) -> None:
    """Set `case.sla_due_at` from its origin, arrival time and service-level policy (or the
    default goal), and its other targets; the caller commits."""
    from helpdesk.services.tracker import sla_policies  # it builds on the calendar here

    calendar = current_calendar(at)
    hours = sla_policies.apply(case, at, calendar) or first_response_hours()
    case.sla_due_at = first_response_due(case.origin, at, calendar, hours)


def customer_wrote(case: Case, now: datetime) -> None:
    """A customer's message moves the next-reply and resolution targets; no commit."""
    from helpdesk.services.tracker import sla_policies

    if case.sla_policy_id is not None or case.sla_paused_at is not None:
        sla_policies.customer_wrote(case, now, current_calendar(now))


def _responded_at(case: Case) -> datetime | None:
    # Closing a case without an answer stops the clock too: nobody is left waiting.
    if case.first_response_at is not None:
        return case.first_response_at
    if case.status == CaseStatus.CLOSED:
        return case.closed_at or case.updated_at
    return None


def sla_state_of(case: Case, now: datetime) -> str | None:
    """'met', 'ok', 'near' or 'breached' for the first response; None without a due time."""
    if case.sla_due_at is None:
        return None
    return sla_state(case.sla_due_at, _responded_at(case), now, WARN_MINUTES)


@dataclass(frozen=True)
class SlaSummary:
    """What the case page and lists show about the first-response clock."""

    state: str
    due_at: datetime  # naive UTC; pages write it in the viewer's zone (helpdesk.formatting)
    remark: str  # "in 2 h 10 min", "35 min overdue", "met", "answered 20 min late"


def duration_words(delta: timedelta) -> str:
    """A span as "2 d 3 h", "2 h 10 min", "35 min" or "under 1 min" (rounded down)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes == 0:
        return "under 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def summary_of(case: Case, now: datetime) -> SlaSummary | None:
    """The due time and how the case stands against it."""
    state = sla_state_of(case, now)
    if state is None or case.sla_due_at is None:
        return None
    responded = _responded_at(case)
    if state == "met":
        remark = "met"
    elif responded is not None:
        remark = f"answered {duration_words(responded - case.sla_due_at)} late"
    elif state == "breached":
        remark = f"{duration_words(now - case.sla_due_at)} overdue"
    else:
        remark = f"in {duration_words(case.sla_due_at - now)}"
    return SlaSummary(
        state=state,
        due_at=case.sla_due_at,
        remark=remark,
    )


# --- The start-of-day list (seed 003 "Daily Activities": First Thing, Morning) -------------

SECTION_LIMIT = 50
AWAITING = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING)


@dataclass(frozen=True)
class Section:
    """One block of the start-of-day list: at most `SECTION_LIMIT` cases, and whether more."""

    key: str
    title: str
    hint: str
    cases: list[Case]
    more: bool


def start_of_day(
    user: User, now: datetime, calendar: BusinessCalendar, limit: int = SECTION_LIMIT
) -> tuple[datetime, list[Section]]:
    """The morning round in seed 003's order, and the last close of support it counts from.

    1. voice mails since the last close, not yet answered, after-hours-plan customers first;
    2. other cases of after-hours-plan customers awaiting an agent;
    3. cases where the customer replied (Waiting);
    4. everything else awaiting an agent, by priority score then age.
    A case appears in the first section it fits. Agents see their own cases and the
    unassigned queue; administrators see everyone's. One bounded query per section.
    """
    since = last_close(now, calendar)
    after_hours = Organisation.after_hours_support.is_(True)
    overnight_phone = sa.and_(
        Case.origin == Origin.PHONE,
        Case.created_at >= since,
        Case.first_response_at.is_(None),
    )
    base = [Case.status.in_([status.value for status in AWAITING])]
    if user.role != Role.ADMIN:
        base.append(sa.or_(Case.assignee_id == user.id, Case.assignee_id.is_(None)))
    by_priority = [Case.priority_score.desc(), Case.created_at, Case.id]
    plan = [
        (
            "overnight_phone",
            "Voice mails since close of support",
            "Listen to and prioritise these first; call back after-hours support customers first.",
            [overnight_phone],
            [Organisation.after_hours_support.desc(), *by_priority],
        ),
        (
            "after_hours",
            "After-hours support customers",
            "Other cases of customers with the after-hours (911) plan, awaiting an agent.",
            [after_hours, sa.not_(overnight_phone)],
            by_priority,
        ),
        (
            "customer_replied",
            "Customer replied",
            "Further customer replies: deal with these before new work.",
            [Case.status == CaseStatus.WAITING, sa.not_(after_hours), sa.not_(overnight_phone)],
            [Case.priority_score.desc(), Case.awaiting_agent_since, Case.id],
        ),
        (
            "priority",
            "Everything else, in priority order",
            "Awaiting an agent: highest priority score first, then first come, first served.",
            [
                Case.status.in_([CaseStatus.NEW.value, CaseStatus.OPEN.value]),
                sa.not_(after_hours),
                sa.not_(overnight_phone),
            ],
            by_priority,
        ),
    ]
    sections = []
    for key, title, hint, conditions, order in plan:
        query = (
            sa.select(Case)
            .join(Case.organisation)
            .options(contains_eager(Case.organisation), joinedload(Case.assignee))
            .where(*base, *conditions)
            .order_by(*order)
            .limit(limit + 1)
        )
        rows = list(db.session.scalars(query))
        sections.append(Section(key, title, hint, rows[:limit], len(rows) > limit))
    return since, sections
