"""The time report (issue 19 item 6): hours agents logged on cases in a period, by agent,
organisation, case type and month; each table exports as CSV like the other reports."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseType, Organisation, TimeEntry, User
from helpdesk.services.reports.reports import NONE_LABEL, Period, Table

HEADER_TAIL = ("Cases", "Entries", "Hours")


def _hours(minutes: int | None) -> Decimal:
    return (Decimal(int(minutes or 0)) / 60).quantize(Decimal("0.01"))


def _grouped(label, period: Period, *joins, order=None) -> list[tuple]:
    """(label, cases, entries, hours) per value of `label`, most hours first."""
    minutes = sa.func.sum(TimeEntry.minutes)
    query = sa.select(
        label, sa.func.count(sa.distinct(TimeEntry.case_id)), sa.func.count(), minutes
    ).select_from(TimeEntry)
    for target, condition in joins:
        query = query.outerjoin(target, condition)
    rows = db.session.execute(
        query.where(TimeEntry.worked_on >= period.first, TimeEntry.worked_on <= period.last)
        .group_by(label)
        .order_by(*(order if order is not None else (minutes.desc(), label)))
    )
    return [
        (NONE_LABEL if name in (None, "") else name, cases, entries, _hours(total))
        for name, cases, entries, total in rows
    ]


_CASE = (Case, Case.id == TimeEntry.case_id)


def by_agent(period: Period) -> Table:
    rows = _grouped(User.name, period, (User, User.id == TimeEntry.agent_id))
    return Table("by-agent", "Time by agent", ("Agent", *HEADER_TAIL), rows)


def by_organisation(period: Period) -> Table:
    rows = _grouped(
        Organisation.name, period, _CASE, (Organisation, Organisation.id == Case.organisation_id)
    )
    return Table("by-organisation", "Time by organisation", ("Organisation", *HEADER_TAIL), rows)


def by_type(period: Period) -> Table:
    rows = _grouped(CaseType.name, period, _CASE, (CaseType, CaseType.id == Case.case_type_id))
    return Table("by-type", "Time by case type", ("Case type", *HEADER_TAIL), rows)


def by_month(period: Period) -> Table:
    # Month as text the same way on both databases: the first day's ISO form, cut to YYYY-MM.
    month = sa.func.substr(sa.cast(TimeEntry.worked_on, sa.String), 1, 7)
    rows = _grouped(month, period, order=(month,))
    return Table("by-month", "Time by month", ("Month", *HEADER_TAIL), rows)


TIME_TABLES: dict[str, Callable[[Period], Table]] = {
    "by-agent": by_agent,
    "by-organisation": by_organisation,
    "by-type": by_type,
    "by-month": by_month,
}


def time_report(period: Period) -> dict[str, Table]:
    return {name: build(period) for name, build in TIME_TABLES.items()}
