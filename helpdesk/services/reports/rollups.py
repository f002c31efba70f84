"""Each business day's support figures, kept so a report adds up days instead of cases.

The support report (issue 18) once read every case of its period on each view: seconds for a
month at a million cases. It now adds up one summary per local day. A summary holds what the
report's tables need of that day: counts, and the durations its medians and percentiles are
taken from (so they stay exact). Triggers on cases, messages and orders (migration 0025) write
the UTC date of every change that could alter a summary into `report_stale_dates`; a day whose
dates are there, or whose summary was measured with another calendar, is summed up again: by
the report that needs it, or beforehand by the worker's `refresh_stale` pass.

Summaries are rebuilt one at a time (an advisory lock on PostgreSQL, the write lock on SQLite):
the stale dates a rebuild reads are exactly the changes it has seen, so it may delete them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    Holiday,
    Message,
    MessageKind,
    Order,
    ReportDay,
    ReportStaleDate,
    utcnow,
)
from helpdesk.rules.business_hours import BusinessCalendar, business_seconds
from helpdesk.services.core import settings
from helpdesk.services.tracker import sla

# Part of every summary's key: a summary of an older shape is built again.
SHAPE = 1
_LOCK = 180_518  # the advisory lock rebuilds take on PostgreSQL


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of `day` as a naive UTC instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """Today's date in `zone` at the naive UTC instant `now`."""
    return now.replace(tzinfo=UTC).astimezone(zone).date()


class Calendar:
    """The calendar summaries are measured with, and the key that names it."""

    def __init__(self) -> None:
        values = settings.values()
        holidays = sorted(db.session.scalars(sa.select(Holiday.day)))
        self.calendar = sla.calendar_from(values, holidays)
        self.zone = ZoneInfo(self.calendar.time_zone)
        described = [
            SHAPE,
            self.calendar.time_zone,
            str(self.calendar.opens),
            str(self.calendar.closes),
            sorted(self.calendar.weekdays),
            [day.isoformat() for day in holidays],
        ]
        self.key = hashlib.sha256(json.dumps(described).encode()).hexdigest()

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of a local day as naive UTC instants."""
        return local_midnight(day, self.zone), local_midnight(day + timedelta(days=1), self.zone)

    def days_of(self, utc_day: date) -> set[date]:
        """The local days a UTC date overlaps (one or two)."""
        start = datetime.combine(utc_day, time(0))
        return {
            local_today(start, self.zone),
            local_today(start + timedelta(hours=24) - _TICK, self.zone),
        }

    def utc_dates(self, days: Iterable[date]) -> set[date]:
        """The UTC dates the local days overlap."""
        dates = set()
        for day in days:
            start, end = self.bounds(day)
            dates.update({start.date(), (end - _TICK).date()})
        return dates


_TICK = timedelta(microseconds=1)


# --- one day's summary ---------------------------------------------------------------------


def _key(value) -> str:
    return "" if value is None else str(value)


def summarise(day: date, calendar: Calendar) -> dict:
    """What the support report needs of the cases, closings and replies of one local day."""
    start, end = calendar.bounds(day)
    return {
        **_arrivals(start, end, calendar.calendar),
        **_closings(start, end),
        "replies": _replies(start, end),
    }


def _arrivals(start: datetime, end: datetime, calendar: BusinessCalendar) -> dict:
    rows = db.session.execute(
        sa.select(
            Case.origin,
            Case.created_at,
            Case.first_response_at,
            Case.sla_due_at,
            Case.case_type_id,
            Case.case_reason_id,
            Order.product,
            Case.product_version,
            sa.func.lower(sa.func.trim(Case.subject)),
        )
        .outerjoin(Order, Order.id == Case.order_id)
        .where(Case.created_at >= start, Case.created_at < end)
        .order_by(Case.id)
    )
    first_response: dict[str, list] = {}
    counters = {name: Counter() for name in ("type", "reason", "product", "version", "origin")}
    subjects: Counter = Counter()
    for origin, created, answered, due, type_id, reason_id, product, version, subject in rows:
        origin = str(origin)
        figures = first_response.setdefault(origin, [0, 0, 0, []])
        figures[0] += 1
        if answered is not None:
            figures[1] += 1
            figures[2] += int(due is not None and answered <= due)
            figures[3].append(business_seconds(created, answered, calendar))
        for name, value in zip(
            counters, (type_id, reason_id, product, version, origin), strict=True
        ):
            counters[name][_key(value)] += 1
        subjects[subject] += 1
    return {
        "arrived": sum(figures[0] for figures in first_response.values()),
        "first_response": first_response,
        **{name: dict(counter) for name, counter in counters.items()},
        "subjects": dict(subjects),
    }


def _closings(start: datetime, end: datetime) -> dict:
    rows = db.session.execute(
        sa.select(Case.origin, Case.created_at, Case.closed_at, Case.closed_by_id)
        .where(Case.status == CaseStatus.CLOSED, Case.closed_at >= start, Case.closed_at < end)
        .order_by(Case.id)
    )
    resolution: dict[str, list[float]] = defaultdict(list)
    closed_by: Counter = Counter()
    for origin, created, closed, closer in rows:
        resolution[str(origin)].append(max((closed - created).total_seconds(), 0.0))
        closed_by[_key(closer)] += 1
    return {"resolution": dict(resolution), "closed_by": dict(closed_by)}


def _replies(start: datetime, end: datetime) -> dict[str, list]:
    """Per author: public replies sent that day, and the cases they went to."""
    rows = db.session.execute(
        sa.select(Message.author_id, Message.case_id, sa.func.count())
        .where(
            Message.kind == MessageKind.REPLY,
            Message.from_customer.is_(False),
            Message.created_at >= start,
            Message.created_at < end,
        )
        .group_by(Message.author_id, Message.case_id)
        .order_by(Message.author_id, Message.case_id)
    )
    replies: dict[str, list] = {}
    for author, case_id, count in rows:
        figures = replies.setdefault(_key(author), [0, []])
        figures[0] += int(count)
        figures[1].append(case_id)
    return replies


# --- the days of a period ------------------------------------------------------------------


class DaySummaries(list):
    """Summaries of consecutive days, with a `version` that changes whenever one of them is
    summed up again: what merged figures may be remembered by."""

    def __init__(self, items: Iterable[dict], *, version: tuple) -> None:
        super().__init__(items)
        self.version = version


def summaries(days: Sequence[date]) -> DaySummaries:
    """The summaries of `days`, in order: kept ones where nothing they count has changed,
    the others summed up again now (and kept)."""
    calendar = Calendar()
    kept, stale = _read(days, calendar)
    if stale:
        kept.update(_rebuild(stale, calendar))
    return DaySummaries(
        [kept[day][1] for day in days],
        version=(calendar.key, tuple((day, kept[day][0]) for day in days)),
    )


# Decoded summaries by (day, key, built_at): a rebuilt day has a new built_at, so an entry is
# never out of date, and a month's report reads three small columns instead of decoding its
# summaries again. Bounded, per process.
_DECODED: OrderedDict[tuple, dict] = OrderedDict()
DECODED_DAYS = 120


def _decoded(rows: Sequence[tuple]) -> dict[date, tuple[datetime, dict]]:
    """The summaries of `rows` (day, key, built_at), decoding only those not held yet."""
    found, missing = {}, []
    for row in rows:
        entry = tuple(row)
        if entry in _DECODED:
            _DECODED.move_to_end(entry)
            found[row.day] = (row.built_at, _DECODED[entry])
        else:
            missing.append(entry)
    if missing:
        for day, key, built_at, summary in db.session.execute(
            sa.select(ReportDay.day, ReportDay.key, ReportDay.built_at, ReportDay.summary).where(
                ReportDay.day.in_([entry[0] for entry in missing]),
                ReportDay.key == missing[0][1],
            )
        ):
            _DECODED[(day, key, built_at)] = summary
            found[day] = (built_at, summary)
        while len(_DECODED) > DECODED_DAYS:
            _DECODED.popitem(last=False)
    return found


def _read(days: Sequence[date], calendar: Calendar) -> tuple[dict[date, tuple], set[date]]:
    """The kept summaries of `days` still valid, and the days that need summing up."""
    rows = db.session.execute(
        sa.select(ReportDay.day, ReportDay.key, ReportDay.built_at).where(
            ReportDay.day.in_(days), ReportDay.key == calendar.key
        )
    ).all()
    dates = calendar.utc_dates(days)
    changed = set(
        db.session.scalars(
            sa.select(ReportStaleDate.day).where(ReportStaleDate.day.in_(dates)).distinct()
        )
    )
    touched = {day for utc_day in changed for day in calendar.days_of(utc_day)}
    fresh = [row for row in rows if row.day not in touched]
    kept = _decoded(fresh)
    stale = {day for day in days if day not in kept}
    return kept, stale


def _lock() -> None:
    """Hold the lock rebuilds share until the transaction ends."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    else:
        # A write takes SQLite's single write lock at once; nothing commits until we do.
        connection.execute(sa.delete(ReportStaleDate).where(sa.false()))


# Days summed up per hold of the lock: on SQLite it is the write lock, which other writers
# wait for, so a month never rebuilt at a million cases is summed up a few days at a time.
CHUNK_DAYS = 3


def _rebuild(days: Iterable[date], calendar: Calendar) -> dict[date, tuple]:
    """Sum up again those of `days` that still need it, a few under each hold of the lock;
    commits after each."""
    db.session.commit()  # what the caller read stays read; each hold starts afresh
    days = sorted(set(days))
    built: dict[date, tuple] = {}
    for first in range(0, len(days), CHUNK_DAYS):
        chunk = days[first : first + CHUNK_DAYS]
        _lock()
        kept, stale = _read(chunk, calendar)
        built.update(kept)
        built.update(_build(stale, calendar))
        db.session.commit()
    return built


def _build(days: Iterable[date], calendar: Calendar) -> dict[date, tuple]:
    """Sum up `days`, keep them, and forget the stale dates that only concern them; the
    caller holds the lock and commits."""
    days = sorted(set(days))
    if not days:
        return {}
    dates = calendar.utc_dates(days)
    consumed = db.session.execute(
        sa.select(ReportStaleDate.id, ReportStaleDate.day).where(ReportStaleDate.day.in_(dates))
    ).all()
    # A stale date next to the rebuilt days may also concern a day not rebuilt here: that
    # day's kept summary is dropped, so the next report sums it up again.
    neighbours = {day for _, utc_day in consumed for day in calendar.days_of(utc_day)} - set(days)
    now = utcnow()
    built = {day: (now, summarise(day, calendar)) for day in days}
    if neighbours:
        db.session.execute(sa.delete(ReportDay).where(ReportDay.day.in_(neighbours)))
    db.session.execute(sa.delete(ReportDay).where(ReportDay.day.in_(days)))
    db.session.execute(
        sa.insert(ReportDay),
        [
            {"day": day, "key": calendar.key, "summary": summary, "built_at": now}
            for day, (_, summary) in built.items()
        ],
    )
    ids = [row_id for row_id, _ in consumed]
    for chunk in range(0, len(ids), 500):
        db.session.execute(
            sa.delete(ReportStaleDate).where(ReportStaleDate.id.in_(ids[chunk : chunk + 500]))
        )
    return built


def refresh_stale(limit_days: int = 60) -> int:
    """Sum up again the kept days that writes made stale, newest first (the worker's pass, so
    reports seldom have to); stale dates of days nobody kept are simply forgotten. Returns how
    many days were summed up; commits."""
    calendar = Calendar()
    dates = set(db.session.scalars(sa.select(ReportStaleDate.day).distinct()))
    touched = {day for utc_day in dates for day in calendar.days_of(utc_day)}
    kept = set(
        db.session.scalars(
            sa.select(ReportDay.day).where(
                ReportDay.day.in_(touched), ReportDay.key == calendar.key
            )
        )
    )
    chosen = sorted(kept, reverse=True)[:limit_days]
    _rebuild(chosen, calendar)
    # Dates that concern no kept day need no rebuild: a report sums those days up when asked.
    # Under the lock, so no summary is being built from before them.
    _lock()
    kept = set(db.session.scalars(sa.select(ReportDay.day).where(ReportDay.day.in_(touched))))
    orphaned = [utc_day for utc_day in dates if not calendar.days_of(utc_day) & kept]
    if orphaned:
        db.session.execute(sa.delete(ReportStaleDate).where(ReportStaleDate.day.in_(orphaned)))
    db.session.commit()
    return len(chosen)


def forget_all() -> None:
    """Drop every summary and stale date (a bulk load rebuilt what they count); no commit."""
    db.session.execute(sa.delete(ReportDay))
    db.session.execute(sa.delete(ReportStaleDate))
