"""The support report's kept day summaries (issue 18) against summing every day up afresh.

Writes of every kind the report counts (new cases, answers, closings and reopenings, types,
subjects, replies, deletions, an order's product, a holiday) land on random days of a period
and just outside it; after each round the report read through the kept summaries must equal,
figure for figure, the report built from nothing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    CaseStatus,
    CaseType,
    Holiday,
    Message,
    MessageKind,
    Order,
    Origin,
    ReportDay,
    ReportStaleDate,
    Role,
)
from helpdesk.services.reports import reports, rollups
from helpdesk.services.reports.reports import Period
from helpdesk.services.tracker import sla
from tests.factories import make_case, make_order, make_user

pytestmark = pytest.mark.usefixtures("ctx")

DENVER = ZoneInfo("America/Denver")
PERIOD = Period(date(2025, 3, 3), date(2025, 3, 16))
COUNTED = ("first-response", "resolution", "by-day", *reports.BREAKDOWNS, "patterns", "agents")


def figures(period: Period = PERIOD) -> dict[str, list]:
    return {name: reports.SUPPORT_TABLES[name](period).rows for name in COUNTED}


def afresh(period: Period = PERIOD) -> dict[str, list]:
    """The report with every kept summary and stale date thrown away first."""
    rollups.forget_all()
    db.session.commit()
    return figures(period)


class World:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.agents = [make_user(Role.AGENT, name=f"Agent {n}") for n in range(3)]
        self.customer = make_user(Role.CUSTOMER)
        self.org = self.customer.organisation
        self.types = [CaseType(name="Licensing"), CaseType(name="Bug")]
        db.session.add_all(self.types)
        db.session.flush()
        self.orders = [
            make_order(self.org, product=name) for name in ("AbleCommerce", "Theatre Manager")
        ]
        db.session.commit()

    def moment(self) -> datetime:
        """A random instant from two days before the period to two days after it."""
        start = datetime.combine(PERIOD.first - timedelta(days=2), datetime.min.time())
        local = start + timedelta(minutes=self.rng.randrange((PERIOD.days + 4) * 24 * 60))
        return local.replace(tzinfo=DENVER).astimezone(UTC).replace(tzinfo=None)

    def cases(self) -> list[Case]:
        return list(db.session.scalars(sa.select(Case).order_by(Case.id)))

    def new_case(self) -> None:
        created = self.moment()
        case = make_case(
            self.org,
            origin=self.rng.choice([Origin.WEB, Origin.EMAIL, Origin.PHONE]),
            created_at=created,
            subject=self.rng.choice(["Printer jam", " printer JAM", "Key lost", "Other"]),
            order_id=self.rng.choice([None, *(order.id for order in self.orders)]),
            case_type_id=self.rng.choice([None, *(kind.id for kind in self.types)]),
            product_version=self.rng.choice([None, "9.2", "10.1"]),
        )
        sla.apply_first_response_due(case, created)

    def answer(self, case: Case) -> None:
        when = case.created_at + timedelta(minutes=self.rng.randrange(10, 4000))
        case.first_response_at = when
        agent = self.rng.choice(self.agents)
        db.session.add(
            Message(
                case_id=case.id,
                author_id=agent.id,
                kind=MessageKind.REPLY,
                from_customer=False,
                origin=Origin.WEB,
                body="text",
                body_html="<p>text</p>",
                created_at=self.moment(),
            )
        )

    def close(self, case: Case) -> None:
        case.status = CaseStatus.CLOSED
        case.closed_at = max(case.created_at + timedelta(hours=1), self.moment())
        case.closed_by_id = self.rng.choice(self.agents).id

    def reopen(self, case: Case) -> None:
        case.status, case.closed_at, case.closed_by_id = CaseStatus.OPEN, None, None

    def retype(self, case: Case) -> None:
        case.case_type_id = self.rng.choice(self.types).id
        case.subject = self.rng.choice(["Key lost", "Printer jam"])

    def delete(self, case: Case) -> None:
        db.session.execute(sa.delete(Message).where(Message.case_id == case.id))
        db.session.delete(case)

    def round(self) -> None:
        for _ in range(6):
            self.new_case()
        db.session.flush()
        for case in self.rng.sample(self.cases(), k=min(8, len(self.cases()))):
            action = self.rng.choice(
                [self.answer, self.close, self.reopen, self.retype, self.answer, self.close]
            )
            action(case)
        if self.rng.random() < 0.3:
            self.delete(self.rng.choice(self.cases()))
        if self.rng.random() < 0.3:
            order = self.rng.choice(self.orders)
            order.product = f"{order.product.split(' #')[0]} #{self.rng.randrange(9)}"
        db.session.commit()


def test_kept_summaries_equal_a_report_built_afresh_after_every_kind_of_write():
    world = World(seed=18)
    for round_number in range(8):
        world.round()
        kept = figures()
        assert kept == afresh(), f"round {round_number}"
        figures()  # keep the summaries again for the next round


def denver(day: int, hour: int) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=DENVER).astimezone(UTC).replace(tzinfo=None)


def test_a_holiday_changes_the_calendar_so_every_day_is_summed_up_again():
    world = World(seed=5)
    case = make_case(world.org, created_at=denver(4, 16), first_response_at=denver(6, 10))
    sla.apply_first_response_due(case, case.created_at)
    db.session.commit()
    assert figures()["first-response"][0][3] == 12.0  # 1 h on the 4th, 9 on the 5th, 2 on the 6th
    db.session.add(Holiday(day=date(2025, 3, 5), name="Staff day"))
    db.session.commit()
    assert figures()["first-response"][0][3] == 3.0
    assert figures() == afresh()


def test_the_workers_pass_rebuilds_stale_days_so_the_report_need_not():
    world = World(seed=9)
    world.round()
    figures()
    world.round()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportStaleDate)) > 0
    assert rollups.refresh_stale() > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportStaleDate)) == 0
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        kept = figures()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # The month came from the kept summaries alone: no statement read the cases themselves.
    assert not [sql for sql in statements if "FROM cases" in sql]
    assert kept == afresh()


def test_a_change_of_an_order_product_reaches_the_days_of_its_cases():
    world = World(seed=3)
    order = db.session.get(Order, world.orders[1].id)
    make_case(world.org, created_at=datetime(2025, 3, 5, 18), order_id=order.id)
    db.session.commit()
    assert figures()["by-product"] == [("Theatre Manager", 1)]
    order.product = "Box Office"
    db.session.commit()
    assert figures()["by-product"] == [("Box Office", 1)]


def test_summaries_are_kept_per_day_with_the_calendars_key():
    World(seed=1).round()
    figures()
    days = db.session.scalars(sa.select(ReportDay.day).order_by(ReportDay.day)).all()
    assert days == [PERIOD.first + timedelta(days=n) for n in range(PERIOD.days)]
    assert len(set(db.session.scalars(sa.select(ReportDay.key)))) == 1


def test_the_worker_runs_the_pass_every_minute():
    from helpdesk.services.core import jobs

    job = next(job for job in jobs.JOBS if job.name == "report-days")
    world = World(seed=11)
    world.round()
    figures()
    world.round()
    outcome = job.run(datetime(2025, 3, 20, 12), lambda: False)
    assert outcome.ok and outcome.counts["days"] > 0
    assert not db.session.scalar(sa.select(sa.func.count()).select_from(ReportStaleDate))
