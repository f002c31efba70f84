"""Dashboards and reports (issue 8): live support figures and a period's support and billing.

Counting and grouping run in SQL over indexed columns, on SQLite and PostgreSQL alike. Only
the medians and 90th percentiles are computed here, over (start, end) pairs fetched for the
period, because business-hours arithmetic (seed 003's clock) is not SQL. Report figures come
back as `Table`s, so a page, its charts and its CSV export show the very same numbers.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    BlockedAttempt,
    Case,
    CaseReason,
    CaseStatus,
    CaseTally,
    CaseType,
    Organisation,
    Payment,
    PaymentStatus,
    Refund,
    Role,
    User,
)
from helpdesk.rules.folders import AWAITING_AGENT, FolderSettings
from helpdesk.services.core import settings
from helpdesk.services.reports import rollups
from helpdesk.services.reports.rollups import (  # noqa: F401  (the report's clock and days)
    business_seconds,
    local_midnight,
    local_today,
)
from helpdesk.services.tracker import folders, sla, team

STAFF = (Role.AGENT, Role.ADMIN)
DEFAULT_DAYS = 30
MAX_DAYS = 366
LIST_LIMIT = 10
PATTERN_MIN = 2  # a subject seen twice is already a pattern worth a look (seed 001)
NONE_LABEL = "(none)"
HOUR = 3600
DAY = 24 * HOUR


# --- SQL: whole buckets of time since an instant, on both databases ----------------------


class time_bucket(FunctionElement):  # noqa: N801  (an SQL function, named like one)
    """The number of whole `seconds`-long buckets from `origin` to a timestamp column."""

    type = sa.Integer()
    inherit_cache = True


@compiles(time_bucket, "sqlite")
def _time_bucket_sqlite(element, compiler, **kw) -> str:
    column, origin, width = (compiler.process(c, **kw) for c in element.clauses)
    # Whole seconds (the stored text cut before its fraction, which SQLite would round) and
    # integer division: exact at bucket edges, where julianday() arithmetic is not.
    return (
        f"((CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) - "
        f"CAST(strftime('%s', substr({origin}, 1, 19)) AS INTEGER)) / {width})"
    )


@compiles(time_bucket, "postgresql")
def _time_bucket_postgresql(element, compiler, **kw) -> str:
    column, origin, width = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({column} - {origin})) / {width}) AS INTEGER)"


def _bucket(column, origin: datetime, seconds: int) -> time_bucket:
    return time_bucket(
        column,
        sa.literal(origin, sa.DateTime()),
        sa.literal_column(str(int(seconds))),
    )


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# --- Periods and statistics ----------------------------------------------------------------


def business_zone() -> ZoneInfo:
    """The zone whose calendar days the reports count in (the business hours' zone)."""
    return ZoneInfo(settings.setting("BUSINESS_TIME_ZONE"))


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.last - self.first).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as naive UTC instants: local midnight to the midnight after `last`."""
        return local_midnight(self.first, zone), local_midnight(self.last + timedelta(days=1), zone)

    def slug(self) -> str:
        """For file names: 2025-03-01_2025-03-30."""
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def default_period(today: date) -> Period:
    """The last 30 days, today included."""
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)


def median(values: Sequence[float], *, ordered: bool = False) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty.
    `ordered`: the values are sorted already."""
    if not values:
        return None
    values = values if ordered else sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def percentile(values: Sequence[float], share: float, *, ordered: bool = False) -> float | None:
    """Nearest rank: the smallest value at or above which `share` of the values fall."""
    if not values:
        return None
    values = values if ordered else sorted(values)
    return values[max(math.ceil(share * len(values)), 1) - 1]


def period_summaries(period: Period) -> list[dict]:
    """The kept summary of each day of the period (see `rollups`), first day first."""
    return rollups.summaries([period.first + timedelta(days=n) for n in range(period.days)])


def summed(period: Period, summaries: list[dict] | None) -> list[dict]:
    """`summaries` when the caller read them already (a whole report reads them once)."""
    return period_summaries(period) if summaries is None else summaries


# Figures merged from a period's summaries, by the summaries' version: while no day of the
# period is summed up again, a view reuses them instead of merging a month of days. Bounded,
# per process.
_MERGED: OrderedDict[tuple, object] = OrderedDict()
MERGED_ENTRIES = 64


def merged(name: str, days: list[dict], merge: Callable[[list[dict]], object]):
    """`merge(days)`, remembered by `name` and the days' version when they carry one."""
    version = getattr(days, "version", None)
    if version is None:
        return merge(days)
    key = (name, version)
    if key in _MERGED:
        _MERGED.move_to_end(key)
        return _MERGED[key]
    result = _MERGED[key] = merge(days)
    while len(_MERGED) > MERGED_ENTRIES:
        _MERGED.popitem(last=False)
    return result


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


def _dollars(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


# --- Tables --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One report table: what the page lists, what the chart draws, what the CSV holds."""

    name: str  # the URL slug of its CSV export
    title: str
    header: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    note: str = ""


def _labelled(rows: Iterable[tuple]) -> list[tuple]:
    return [(NONE_LABEL if label in (None, "") else str(label), *rest) for label, *rest in rows]


def _in_period(column, period: Period) -> list:
    start, end = period.bounds(business_zone())
    return [column >= start, column < end]


def first_response_table(period: Period, summaries: list[dict] | None = None) -> Table:
    """First-response time in business hours per origin, against the goal (seed 003)."""
    rows = merged("first-response", summed(period, summaries), _first_response_rows)
    goal = sla.first_response_hours()
    return Table(
        "first-response",
        "First response (business hours)",
        ("Origin", "Cases", "Answered", "Median h", "90th percentile h", "Met goal", "Met %"),
        rows,
        note=f"Goal: a first answer within {goal:g} business hours (phone: the same day).",
    )


def _first_response_rows(days: list[dict]) -> list[tuple]:
    figures: dict[str, list] = {}
    for summary in days:
        for origin, (arrived, answered, met, values) in summary["first_response"].items():
            total = figures.setdefault(origin, [0, 0, 0, []])
            total[0], total[1], total[2] = total[0] + arrived, total[1] + answered, total[2] + met
            total[3].extend(values)
    rows = [_response_row(origin, *figures[origin]) for origin in sorted(figures)]
    if rows:
        every = [sum(figures[origin][n] for origin in figures) for n in range(3)]
        values = [value for origin in sorted(figures) for value in figures[origin][3]]
        rows.insert(0, _response_row("All origins", *every, values))
    return rows


def _response_row(label: str, arrived: int, answered: int, met: int, values: list[float]):
    met_share = round(100 * met / answered, 1) if answered else None
    return (
        label,
        int(arrived),
        int(answered),
        *_median_and_tail(values),
        int(met),
        met_share,
    )


def resolution_table(period: Period, summaries: list[dict] | None = None) -> Table:
    """Cases closed in the period, per origin: elapsed hours from arrival to closing."""
    return Table(
        "resolution",
        "Resolution time (elapsed hours)",
        ("Origin", "Closed", "Median h", "90th percentile h"),
        merged("resolution", summed(period, summaries), _resolution_rows),
    )


def _resolution_rows(days: list[dict]) -> list[tuple]:
    durations: dict[str, list[float]] = defaultdict(list)
    for summary in days:
        for origin, values in summary["resolution"].items():
            durations[origin].extend(values)
    rows = [_resolution_row(origin, durations[origin]) for origin in sorted(durations)]
    if rows:
        every = [value for origin in sorted(durations) for value in durations[origin]]
        rows.insert(0, _resolution_row("All origins", every))
    return rows


def _resolution_row(label: str, values: list[float]) -> tuple:
    return (label, len(values), *_median_and_tail(values))


def _median_and_tail(values: list[float]) -> tuple[float | None, float | None]:
    """Median and 90th percentile in hours, from one sort."""
    ordered = sorted(values)
    return (
        _hours(median(ordered, ordered=True)),
        _hours(percentile(ordered, 0.9, ordered=True)),
    )


def _names(model) -> Callable[[str], str | None]:
    names = dict(db.session.execute(sa.select(model.id, model.name)).all())
    return lambda key: names.get(int(key)) if key else None


BREAKDOWNS = {
    # name: (title, the summary's counter, how a counter's key reads)
    "by-type": ("Type", "type", lambda: _names(CaseType)),
    "by-reason": ("Reason", "reason", lambda: _names(CaseReason)),
    "by-product": ("Product", "product", lambda: str),
    "by-version": ("Version", "version", lambda: str),
    "by-origin": ("Origin", "origin", lambda: str),
}


def _added_up(counters: Iterable[dict]) -> Counter:
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


def breakdown_table(name: str, period: Period, summaries: list[dict] | None = None) -> Table:
    """Cases that arrived in the period, counted by one of `BREAKDOWNS`."""
    title, counter, reader = BREAKDOWNS[name]
    label_of = reader()
    total = merged(
        counter, summed(period, summaries), lambda days: _added_up(day[counter] for day in days)
    )
    counts: Counter = Counter()
    for key, n in total.items():
        counts[label_of(key) or NONE_LABEL] += n
    rows = sorted(counts.items(), key=lambda row: (-row[1], row[0]))
    return Table(name, f"Cases by {title.lower()}", (title, "Cases"), rows)


def arrivals_by_day_table(period: Period, summaries: list[dict] | None = None) -> Table:
    """How many cases arrived on each local day of the period (zero days included)."""
    rows = [
        ((period.first + timedelta(days=index)).isoformat(), summary["arrived"])
        for index, summary in enumerate(summed(period, summaries))
    ]
    return Table("by-day", "Cases arriving per day", ("Day", "Cases"), rows)


def patterns_table(period: Period, summaries: list[dict] | None = None) -> Table:
    """Subjects that keep coming back: a problem in the system, or spam (seed 001)."""
    return Table(
        "patterns",
        "Recurring subjects",
        ("Subject", "Cases"),
        merged("patterns", summed(period, summaries), _pattern_rows),
        note="Subjects seen at least twice in the period, ignoring case.",
    )


def _pattern_rows(days: list[dict]) -> list[tuple]:
    counts = _added_up(day["subjects"] for day in days)
    recurring = [(subject, n) for subject, n in counts.items() if n >= PATTERN_MIN]
    return sorted(recurring, key=lambda row: (-row[1], row[0]))[:LIST_LIMIT]


ARTICLE_COUNTERS = {
    "articles-linked": ("Help articles most linked", Article.link_count),
    "articles-deflecting": ("Help articles most deflecting", Article.deflection_count),
}


def article_table(name: str, period: Period) -> Table:
    """Help articles linked in answers most, or that saved most cases (running totals)."""
    title, column = ARTICLE_COUNTERS[name]
    rows = db.session.execute(
        sa.select(Article.title, column)
        .where(column > 0)
        .order_by(column.desc(), Article.title)
        .limit(LIST_LIMIT)
    ).all()
    return Table(
        name,
        title,
        ("Article", "Times"),
        [tuple(row) for row in rows],
        note="Running totals since each article was written, whatever the period.",
    )


def macros_table(period: Period) -> Table:
    """Macros by uses in the period (replies sent with one, system e-mails sent by phone)."""
    from helpdesk.services.tracker import (
        macros,  # imported here: macros builds on the case services
    )

    start, end = period.bounds(business_zone())
    rows = [
        # Stored UTC to the minute: the page shows it in the viewer's zone, the CSV as ISO.
        (use.title, use.uses, use.last_used_at.replace(second=0, microsecond=0))
        for use in macros.usage(start, end, limit=LIST_LIMIT * 2)
    ]
    return Table(
        "macros",
        "Macros",
        ("Macro", "Uses", "Last used"),
        rows,
        note="Replies sent with a macro and system e-mails sent from the phone procedure.",
    )


def agents_table(period: Period, summaries: list[dict] | None = None) -> Table:
    """Per agent: public replies, cases answered and cases closed in the period."""
    replies, answered, closed = merged("agents", summed(period, summaries), _agent_figures)
    staff = db.session.execute(
        sa.select(User.id, User.name, User.active)
        .where(User.role.in_(STAFF))
        .order_by(User.name, User.id)
    ).all()
    rows = [
        (name, replies[str(user_id)], answered[str(user_id)], closed[str(user_id)])
        for user_id, name, active in staff
        if active or str(user_id) in replies or str(user_id) in closed
    ]
    return Table(
        "agents",
        "Answered and closed per agent",
        ("Agent", "Replies", "Cases answered", "Cases closed"),
        rows,
    )


def _agent_figures(days: list[dict]) -> tuple[Counter, Counter, Counter]:
    """Per author id: replies, distinct cases replied to, cases closed."""
    replies: Counter = Counter()
    answered: dict[str, set[int]] = defaultdict(set)
    closed: Counter = Counter()
    for summary in days:
        for author, (count, case_ids) in summary["replies"].items():
            replies[author] += count
            answered[author].update(case_ids)
        closed.update(summary["closed_by"])
    return replies, Counter({author: len(ids) for author, ids in answered.items()}), closed


# -- feedback --
FEEDBACK_TABLES = ("solved-agents", "solved-emails", "solved-articles")


def feedback_table(name: str, period: Period) -> Table:
    """A "Did this solve it?" table (per agent, system e-mail or help article)."""
    from helpdesk.services.reports import feedback_report  # imported here: it builds on this module

    return feedback_report.TABLES[name](period)


SUPPORT_TABLES: dict[str, Callable[[Period], Table]] = {
    "first-response": first_response_table,
    "resolution": resolution_table,
    "by-day": arrivals_by_day_table,
    **{name: partial(breakdown_table, name) for name in BREAKDOWNS},
    "patterns": patterns_table,
    **{name: partial(article_table, name) for name in ARTICLE_COUNTERS},
    "macros": macros_table,
    "agents": agents_table,
    **{name: partial(feedback_table, name) for name in FEEDBACK_TABLES},
}


SUMMED_TABLES = {"first-response", "resolution", "by-day", *BREAKDOWNS, "patterns", "agents"}


def support_report(period: Period) -> dict[str, Table]:
    """Every table of the support report, by name; the day summaries are read once."""
    summaries = period_summaries(period)
    return {
        name: build(period, summaries) if name in SUMMED_TABLES else build(period)
        for name, build in SUPPORT_TABLES.items()
    }


# --- Billing -------------------------------------------------------------------------------


def payments_table(period: Period) -> Table:
    """Payments received in the period by method and status: how many, how much."""
    rows = db.session.execute(
        sa.select(
            Payment.method,
            Payment.status,
            Payment.currency,
            sa.func.count(),
            sa.func.sum(Payment.amount_cents),
            sa.func.sum(Payment.refunded_cents),
        )
        .where(*_in_period(Payment.created_at, period))
        .group_by(Payment.method, Payment.status, Payment.currency)
        .order_by(Payment.method, Payment.status, Payment.currency)
    ).all()
    return Table(
        "payments",
        "Payments by method and status",
        ("Method", "Status", "Currency", "Payments", "Amount", "Refunded since"),
        [
            (str(method), str(status), currency, int(count), _dollars(amount), _dollars(refunded))
            for method, status, currency, count, amount, refunded in rows
        ],
    )


def payments_by_day_table(period: Period) -> Table:
    """Money received on each local day of the period (succeeded payments)."""
    start, _ = period.bounds(business_zone())
    bucket = _bucket(Payment.created_at, start, DAY).label("day")
    sums = dict(
        db.session.execute(
            sa.select(bucket, sa.func.sum(Payment.amount_cents))
            .where(
                Payment.status == PaymentStatus.SUCCEEDED,
                *_in_period(Payment.created_at, period),
            )
            .group_by(bucket)
        ).all()
    )
    rows = [
        ((period.first + timedelta(days=index)).isoformat(), _dollars(sums.get(index)))
        for index in range(period.days)
    ]
    return Table("payments-by-day", "Money received per day", ("Day", "Amount"), rows)


def refunds_table(period: Period) -> Table:
    """Refunds issued in the period, grouped by the reason given."""
    rows = db.session.execute(
        sa.select(Refund.reason, sa.func.count(), sa.func.sum(Refund.amount_cents).label("total"))
        .where(*_in_period(Refund.created_at, period))
        .group_by(Refund.reason)
        .order_by(sa.desc("total"), Refund.reason)
    ).all()
    return Table(
        "refunds",
        "Refunds by reason",
        ("Reason", "Refunds", "Amount"),
        [(reason, int(count), _dollars(total)) for reason, count, total in rows],
    )


def blocked_table(period: Period) -> Table:
    """Registrations, accounts and orders refused by FRAUD-STOP in the period."""
    rows = db.session.execute(
        sa.select(BlockedAttempt.kind, sa.func.count().label("attempts"))
        .where(*_in_period(BlockedAttempt.created_at, period))
        .group_by(BlockedAttempt.kind)
        .order_by(sa.desc("attempts"), BlockedAttempt.kind)
    ).all()
    return Table(
        "blocked",
        "Blocked attempts",
        ("Kind", "Attempts"),
        [(str(kind), int(count)) for kind, count in rows],
    )


BILLING_TABLES: dict[str, Callable[[Period], Table]] = {
    "payments": payments_table,
    "payments-by-day": payments_by_day_table,
    "refunds": refunds_table,
    "blocked": blocked_table,
}
REPORTS = {"support": SUPPORT_TABLES, "billing": BILLING_TABLES}


def billing_report(period: Period) -> dict[str, Table]:
    """Every table of the billing report, by name."""
    return {name: build(period) for name, build in BILLING_TABLES.items()}


def report_table(report: str, name: str, period: Period) -> Table | None:
    """One table of a report by its CSV name, or None for an unknown report or table."""
    from helpdesk.services.reports.sla_report import SLA_TABLES  # they build on this module
    from helpdesk.services.reports.time_report import TIME_TABLES

    build = {**REPORTS, "time": TIME_TABLES, "sla": SLA_TABLES}.get(report, {}).get(name)
    return build(period) if build is not None else None


# --- The support dashboard -----------------------------------------------------------------


@dataclass(frozen=True)
class LiveCounts:
    """The dashboard figures that refresh by themselves."""

    folders: dict[str, int]
    breached: int
    due_soon: int
    tier2_open: int
    tier2_unassigned: int
    arrived_today: int
    # The service-level policies' other targets missed now (issue 19 item 4).
    next_reply_overdue: int = 0
    resolution_overdue: int = 0

    def key(self) -> tuple:
        """What the live poll compares: any change re-renders the counts."""
        return (
            sorted(self.folders.items()),
            self.breached,
            self.due_soon,
            self.next_reply_overdue,
            self.resolution_overdue,
            self.tier2_open,
            self.tier2_unassigned,
            self.arrived_today,
        )


OPEN_STATUSES = [status.value for status in CaseStatus if status != CaseStatus.CLOSED]


def _awaiting_first_answer(status: str | None = None):
    # Closing a case stops the clock (services.sla): only open cases can breach. Named
    # statuses, not "not closed", so the due-time index answers each as a range.
    return sa.and_(
        Case.status.in_(OPEN_STATUSES) if status is None else Case.status == status,
        Case.first_response_at.is_(None),
        Case.sla_due_at.is_not(None),
    )


def _count(*conditions) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).where(*conditions)) or 0)


def _tier_2_open() -> tuple[int, int]:
    """Open tier-2 cases, and how many of them nobody holds, from the kept tallies."""
    nobody = sa.func.sum(sa.case((CaseTally.assignee_key == 0, CaseTally.n), else_=0))
    every, unassigned = db.session.execute(
        sa.select(sa.func.sum(CaseTally.n), nobody).where(CaseTally.tier == 2)
    ).one()
    return int(every or 0), int(unassigned or 0)


def live_counts(now: datetime, settings: FolderSettings) -> LiveCounts:
    """Folder counts for everyone, SLA breached and due soon, tier 2 load, arrivals today.

    Each figure is a kept tally or an indexed range (due times, today's arrivals): the
    dashboard costs the same at any number of cases."""
    folder_counts = folders.folder_counts(folders.Scope(user_id=0, everyone=True), now, settings)
    midnight = local_midnight(local_today(now, business_zone()), business_zone())
    warn = now + timedelta(minutes=sla.WARN_MINUTES)
    tier2_open, tier2_unassigned = _tier_2_open()
    return LiveCounts(
        folder_counts,
        breached=_count(_awaiting_first_answer(), Case.sla_due_at <= now),
        due_soon=_count(_awaiting_first_answer(), Case.sla_due_at > now, Case.sla_due_at <= warn),
        tier2_open=tier2_open,
        tier2_unassigned=tier2_unassigned,
        arrived_today=_count(Case.created_at >= midnight),
        # Indexed ranges too: a reply target is set only while a customer waits, and a
        # paused or met resolution target is not overdue.
        next_reply_overdue=_count(Case.next_reply_due_at <= now),
        resolution_overdue=_count(
            Case.resolution_due_at <= now,
            Case.sla_paused_at.is_(None),
            Case.status.in_(OPEN_STATUSES),
        ),
    )


def _first_by(order_column, conditions_per_status, limit: int) -> list[Case]:
    """The first `limit` cases by `order_column` over several statuses: one index range per
    status, merged here (an IN over statuses would make the database sort every match)."""
    ids: list[tuple] = []
    for conditions in conditions_per_status:
        ids.extend(
            db.session.execute(
                sa.select(order_column, Case.id)
                .where(*conditions)
                .order_by(order_column, Case.id)
                .limit(limit)
            ).all()
        )
    chosen = [case_id for _, case_id in sorted(ids)[:limit]]
    found = {
        case.id: case
        for case in db.session.scalars(
            sa.select(Case)
            .options(joinedload(Case.organisation), joinedload(Case.assignee))
            .where(Case.id.in_(chosen))
        )
    }
    return [found[case_id] for case_id in chosen]


def waiting_longest(limit: int = LIST_LIMIT) -> list[Case]:
    """Cases awaiting an agent, longest-waiting first."""
    return _first_by(
        Case.awaiting_agent_since,
        [
            (Case.status == status, Case.awaiting_agent_since.is_not(None))
            for status in AWAITING_AGENT
        ],
        limit,
    )


def sla_at_risk(now: datetime, limit: int = LIST_LIMIT) -> list[Case]:
    """Unanswered cases already past or within the warning time of their due time."""
    warn = now + timedelta(minutes=sla.WARN_MINUTES)
    return _first_by(
        Case.sla_due_at,
        [(_awaiting_first_answer(status), Case.sla_due_at <= warn) for status in OPEN_STATUSES],
        limit,
    )


def arrivals_today(now: datetime) -> dict[str, list[int]]:
    """Today's arrivals per origin, as 24 local-hour counts (one grouped query)."""
    zone = business_zone()
    midnight = local_midnight(local_today(now, zone), zone)
    # Hours since local midnight: on a daylight-saving day, later hours shift by one.
    hour = _bucket(Case.created_at, midnight, HOUR).label("hour")
    rows = db.session.execute(
        sa.select(Case.origin, hour, sa.func.count())
        .where(Case.created_at >= midnight)
        .group_by(Case.origin, hour)
    ).all()
    grid: dict[str, list[int]] = {}
    for origin, index, count in rows:
        if 0 <= index < 24:
            grid.setdefault(str(origin), [0] * 24)[index] += int(count)
    return dict(sorted(grid.items()))


@dataclass(frozen=True)
class Dashboard:
    """Everything the support dashboard shows, in a fixed number of queries."""

    live: LiveCounts
    waiting: list[Case]
    at_risk: list[Case]
    arrivals: dict[str, list[int]]
    members: list[tuple[User, int]]


def dashboard(now: datetime, settings: FolderSettings) -> Dashboard:
    """The support dashboard: live counts, oldest waiting, SLA at risk, arrivals, the team."""
    return Dashboard(
        live=live_counts(now, settings),
        waiting=waiting_longest(),
        at_risk=sla_at_risk(now),
        arrivals=arrivals_today(now),
        members=team.team(),
    )


# --- Case lists for export -----------------------------------------------------------------

CASE_COLUMNS = (
    "Number",
    "Subject",
    "Status",
    "Origin",
    "Type",
    "Customer",
    "Assignee",
    "Tier",
    "Priority",
    "Created (UTC)",
    "First response (UTC)",
    "Due (UTC)",
    "Closed (UTC)",
)


def case_list_query(conditions: Sequence, order: Sequence) -> Select:
    """A case list as plain columns (no ORM objects), for streaming out row by row."""
    assignee = aliased(User)
    return (
        sa.select(
            Case.number,
            Case.subject,
            Case.status,
            Case.origin,
            CaseType.name,
            Organisation.name,
            assignee.name,
            Case.tier,
            Case.priority_score,
            Case.created_at,
            Case.first_response_at,
            Case.sla_due_at,
            Case.closed_at,
        )
        .join(Organisation, Organisation.id == Case.organisation_id)
        .outerjoin(CaseType, CaseType.id == Case.case_type_id)
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .where(*conditions)
        .order_by(*order)
    )
