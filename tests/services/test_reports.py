"""Report figures checked against a hand-built week (3 to 9 February 2025, Denver time, with
a holiday on Tuesday 4th): every number below was worked out by hand from `build_week`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from helpdesk.extensions import db
from helpdesk.models import (
    Article,
    BlockedAttempt,
    BlockedAttemptKind,
    CaseReason,
    CaseStatus,
    CaseType,
    Holiday,
    Message,
    MessageKind,
    Origin,
    PaymentStatus,
    Refund,
    RefundDestination,
    Role,
    utcnow,
)
from helpdesk.rules.business_hours import BusinessCalendar
from helpdesk.rules.folders import FolderSettings
from helpdesk.services.reports import reports
from helpdesk.services.reports.reports import Period
from helpdesk.services.tracker import sla
from tests.factories import make_case, make_order, make_organisation, make_user
from tests.services.test_refunds import make_payment

DENVER = ZoneInfo("America/Denver")
WEEK = Period(date(2025, 2, 3), date(2025, 2, 9))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Denver wall-clock time in 2025 as naive UTC."""
    return (
        datetime(2025, month, day, hour, minute, tzinfo=DENVER).astimezone(UTC).replace(tzinfo=None)
    )


def _case(organisation, origin, created, *, answered=None, closed=None, closed_by=None, **extra):
    case = make_case(
        organisation, origin=origin, created_at=created, first_response_at=answered, **extra
    )
    sla.apply_first_response_due(case, created)
    if closed:
        case.status, case.closed_at, case.closed_by_id = CaseStatus.CLOSED, closed, closed_by.id
    return case


def _reply(case, author, when, *, kind=MessageKind.REPLY, from_customer=False):
    db.session.add(
        Message(
            case_id=case.id,
            author_id=author.id,
            kind=kind,
            from_customer=from_customer,
            origin=Origin.WEB,
            body="text",
            body_html="<p>text</p>",
            created_at=when,
        )
    )


def build_week() -> dict:
    """The hand-built data set; needs an application context; commits."""
    db.session.add(Holiday(day=date(2025, 2, 4), name="Staff day"))
    db.session.flush()
    alice = make_user(Role.AGENT, name="Alice Agent")
    bob = make_user(Role.AGENT, name="Bob Tier", tier=2)
    make_user(Role.ADMIN, name="Carol Admin")
    make_user(Role.AGENT, name="Dave Departed", active=False)
    make_user(Role.BILLING, name="Bea Billing")
    customer = make_user(Role.CUSTOMER, name="Cleo Customer")
    org = customer.organisation
    licensing = CaseType(name="Licensing")
    bug = CaseType(name="Bug")
    db.session.add_all([licensing, bug])
    db.session.flush()
    lost_key = CaseReason(name="Lost key", case_type_id=licensing.id)
    db.session.add(lost_key)
    db.session.flush()
    able = make_order(org, product="AbleCommerce")
    theatre = make_order(org, product="Theatre Manager", version="10.1")
    key = {"case_type_id": licensing.id, "product_version": "9.2"}
    c1 = _case(org, Origin.WEB, at(2, 3, 9), answered=at(2, 3, 10), closed=at(2, 4, 11),
               closed_by=alice, subject="Licence key missing", case_reason_id=lost_key.id,
               order_id=able.id, assignee_id=alice.id, **key)  # fmt: skip
    c2 = _case(org, Origin.WEB, at(2, 3, 9), answered=at(2, 3, 11), closed=at(2, 11, 9),
               closed_by=alice, subject="Licence key missing", case_reason_id=lost_key.id,
               order_id=able.id, **key)  # fmt: skip
    c3 = _case(org, Origin.EMAIL, at(2, 3, 16), answered=at(2, 5, 9), closed=at(2, 6, 16),
               closed_by=customer, subject=" LICENCE Key missing ", **key)  # fmt: skip
    _case(org, Origin.EMAIL, at(2, 7, 16, 30), answered=at(2, 10, 10, 30), subject="Printer jam")
    c5 = _case(org, Origin.PHONE, at(2, 5, 8), answered=at(2, 5, 15), closed=at(2, 7, 8),
               closed_by=bob, case_type_id=bug.id, order_id=theatre.id, product_version="10.1",
               tier=2, subject="Box office down")  # fmt: skip
    c6 = _case(org, Origin.PHONE, at(2, 8, 11), answered=at(2, 10, 8, 30), subject="Voice mail")
    _case(org, Origin.WEB, at(2, 6, 10), subject="Still waiting", status=CaseStatus.OPEN)
    _case(org, Origin.WEB, at(2, 2, 23), subject="Licence key missing")  # Sunday before
    _case(org, Origin.EMAIL, at(2, 9, 22), answered=at(2, 10, 9), subject="printer jam")
    _case(org, Origin.WEB, at(2, 10, 0, 30), subject="Licence key missing")  # Monday after

    _reply(c1, alice, at(2, 3, 10))
    _reply(c2, alice, at(2, 3, 11))
    _reply(c1, alice, at(2, 4, 10))
    _reply(c3, alice, at(2, 3, 17), kind=MessageKind.NOTE)  # private: not an answer
    _reply(c1, customer, at(2, 3, 12), from_customer=True)
    _reply(c5, bob, at(2, 5, 15))
    _reply(c6, bob, at(2, 10, 8, 30))  # after the period

    db.session.add_all(
        [
            Article(slug="a", title="Installation checklist", body="", body_html="", link_count=5),
            Article(
                slug="b",
                title="Request a key",
                body="",
                body_html="",
                link_count=2,
                deflection_count=7,
            ),  # fmt: skip
            Article(slug="c", title="Never used", body="", body_html=""),
        ]
    )
    _money(make_organisation(name="Payer Ltd"), make_user(Role.BILLING, name="Bill Clerk"))
    db.session.commit()
    return {"alice": alice.id, "bob": bob.id}


def _money(org, clerk) -> None:
    p1 = make_payment(org, created_at=at(2, 3, 10), refunded_cents=1000)
    p2 = make_payment(org, amount_cents=5000, created_at=at(2, 5, 12), refunded_cents=2100)
    make_payment(org, amount_cents=2000, status=PaymentStatus.FAILED, created_at=at(2, 5, 13))
    make_payment(org, card=False, amount_cents=3000, created_at=at(2, 9, 22))
    p5 = make_payment(org, amount_cents=99900, created_at=at(2, 12, 9), refunded_cents=100)
    for payment, cents, reason, when in [
        (p1, 1000, "Goodwill", at(2, 4, 9)),
        (p2, 600, "Goodwill", at(2, 6, 9)),
        (p2, 1500, "Duplicate charge", at(2, 6, 10)),
        (p5, 100, "Goodwill", at(2, 12, 10)),
    ]:
        db.session.add(
            Refund(
                payment_id=payment.id,
                amount_cents=cents,
                reason=reason,
                destination=RefundDestination.CARD,
                idempotency_key=f"key-{payment.id}-{cents}",
                created_by_id=clerk.id,
                created_at=when,
            )
        )
    for kind, when in [
        (BlockedAttemptKind.REGISTRATION, at(2, 3, 9)),
        (BlockedAttemptKind.REGISTRATION, at(2, 8, 23)),
        (BlockedAttemptKind.ORDER, at(2, 5, 9)),
        (BlockedAttemptKind.ACCOUNT, at(2, 20, 9)),
    ]:
        db.session.add(BlockedAttempt(kind=kind, ip_address="203.0.113.9", created_at=when))


@pytest.fixture
def week(ctx):
    return build_week()


# --- Pure helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "middle", "p90"),
    [
        ([], None, None),
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0], 1.5, 2.0),
        ([3.0, 1.0, 2.0], 2.0, 3.0),
        ([float(n) for n in range(1, 11)], 5.5, 9.0),
        ([float(n) for n in range(1, 12)], 6.0, 10.0),
    ],
)
def test_median_and_nearest_rank_percentile(values, middle, p90):
    assert reports.median(values) == middle
    assert reports.percentile(values, 0.9) == p90


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(2, 3, 9), at(2, 3, 10), 1),
        (at(2, 3, 7), at(2, 3, 8, 30), 0.5),  # the clock starts at opening
        (at(2, 3, 16), at(2, 5, 9), 2),  # Monday 1 h, Tuesday a holiday, Wednesday 1 h
        (at(2, 7, 16, 30), at(2, 10, 10, 30), 3),  # over the weekend
        (at(2, 8, 11), at(2, 8, 15), 0),  # Saturday
        (at(2, 3, 10), at(2, 3, 9), 0),  # backwards
        (at(3, 7, 16), at(3, 10, 9), 2),  # over the daylight-saving change of 9 March
    ],
)
def test_business_seconds(start, end, hours):
    calendar = BusinessCalendar(holidays=frozenset({date(2025, 2, 4)}))
    assert reports.business_seconds(start, end, calendar) == hours * 3600


def test_a_period_is_whole_local_days():
    start, end = WEEK.bounds(DENVER)
    assert (start, end) == (datetime(2025, 2, 3, 7), datetime(2025, 2, 10, 7))
    assert WEEK.days == 7
    assert reports.default_period(date(2025, 2, 9)) == Period(date(2025, 1, 11), date(2025, 2, 9))


# --- The support report --------------------------------------------------------------------


def test_first_response_in_business_hours_against_the_goal(week):
    table = reports.first_response_table(WEEK)
    assert table.rows == [
        # origin, arrived, answered, median h, p90 h, met the due time, met %
        ("All origins", 8, 7, 2.0, 7.0, 6, 85.7),
        ("email", 3, 3, 2.0, 3.0, 3, 100.0),
        ("phone", 2, 2, 3.75, 7.0, 1, 50.0),
        ("web", 3, 2, 1.5, 2.0, 2, 100.0),
    ]
    assert "4 business hours" in table.note


def test_resolution_time_of_cases_closed_in_the_period(week):
    assert reports.resolution_table(WEEK).rows == [
        ("All origins", 3, 48.0, 72.0),
        ("email", 1, 72.0, 72.0),
        ("phone", 1, 48.0, 48.0),
        ("web", 1, 26.0, 26.0),
    ]


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("by-type", [("(none)", 4), ("Licensing", 3), ("Bug", 1)]),
        ("by-reason", [("(none)", 6), ("Lost key", 2)]),
        ("by-product", [("(none)", 5), ("AbleCommerce", 2), ("Theatre Manager", 1)]),
        ("by-version", [("(none)", 4), ("9.2", 3), ("10.1", 1)]),
        ("by-origin", [("email", 3), ("web", 3), ("phone", 2)]),
    ],
)
def test_cases_by_type_reason_product_version_origin(week, name, rows):
    assert reports.breakdown_table(name, WEEK).rows == rows


def test_cases_per_local_day(week):
    assert reports.arrivals_by_day_table(WEEK).rows == [
        ("2025-02-03", 3),
        ("2025-02-04", 0),
        ("2025-02-05", 1),
        ("2025-02-06", 1),
        ("2025-02-07", 1),
        ("2025-02-08", 1),
        ("2025-02-09", 1),  # 22:00 in Denver is already the 10th in UTC
    ]


def test_day_buckets_are_exact_at_midnight(ctx):
    org = make_organisation()
    make_case(org, created_at=at(2, 4, 0))
    make_case(org, created_at=at(2, 4, 0) - timedelta(microseconds=1))
    db.session.commit()
    rows = dict(reports.arrivals_by_day_table(WEEK).rows)
    assert (rows["2025-02-03"], rows["2025-02-04"]) == (1, 1)


def test_recurring_subjects_ignore_case_and_spaces(week):
    assert reports.patterns_table(WEEK).rows == [("licence key missing", 3), ("printer jam", 2)]


def test_articles_most_linked_and_most_deflecting(week):
    assert reports.article_table("articles-linked", WEEK).rows == [
        ("Installation checklist", 5),
        ("Request a key", 2),
    ]
    assert reports.article_table("articles-deflecting", WEEK).rows == [("Request a key", 7)]


def test_answered_and_closed_per_agent(week):
    assert reports.agents_table(WEEK).rows == [
        ("Alice Agent", 3, 2, 1),
        ("Bob Tier", 1, 1, 1),
        ("Carol Admin", 0, 0, 0),
    ]


def test_an_empty_period_has_empty_tables(week):
    tables = reports.support_report(Period(date(2024, 1, 1), date(2024, 1, 2)))
    assert tables["first-response"].rows == []
    assert tables["resolution"].rows == []
    assert tables["by-day"].rows == [("2024-01-01", 0), ("2024-01-02", 0)]
    assert tables["agents"].rows[0] == ("Alice Agent", 0, 0, 0)


# --- The billing report --------------------------------------------------------------------


def test_payments_by_method_and_status(week):
    assert reports.payments_table(WEEK).rows == [
        ("card", "failed", "USD", 1, Decimal("20.00"), Decimal("0.00")),
        ("card", "succeeded", "USD", 2, Decimal("150.00"), Decimal("31.00")),
        ("prepaid", "succeeded", "USD", 1, Decimal("30.00"), Decimal("0.00")),
    ]


def test_money_received_per_day(week):
    rows = dict(reports.payments_by_day_table(WEEK).rows)
    assert rows == {
        "2025-02-03": Decimal("100.00"),
        "2025-02-04": 0,
        "2025-02-05": Decimal("50.00"),  # the failed payment is not money received
        "2025-02-06": 0,
        "2025-02-07": 0,
        "2025-02-08": 0,
        "2025-02-09": Decimal("30.00"),
    }


def test_refunds_by_reason_and_blocked_attempts(week):
    assert reports.refunds_table(WEEK).rows == [
        ("Goodwill", 2, Decimal("16.00")),
        ("Duplicate charge", 1, Decimal("15.00")),
    ]
    assert reports.blocked_table(WEEK).rows == [("registration", 2), ("order", 1)]


def test_report_table_by_name(week):
    assert reports.report_table("billing", "refunds", WEEK).title == "Refunds by reason"
    assert reports.report_table("billing", "agents", WEEK) is None
    assert reports.report_table("nonsense", "refunds", WEEK) is None


# --- The dashboard -------------------------------------------------------------------------


def test_live_counts_and_lists(ctx):
    now = utcnow()
    midnight = reports.local_midnight(reports.local_today(now, DENVER), DENVER)
    today = midnight + (now - midnight) / 2
    agent = make_user(Role.AGENT)
    org = make_organisation()
    breached = make_case(org, created_at=today, sla_due_at=now - timedelta(minutes=5))
    soon = make_case(org, origin=Origin.PHONE, created_at=today, assignee_id=agent.id,
                     sla_due_at=now + timedelta(minutes=30))  # fmt: skip
    make_case(org, created_at=today, sla_due_at=now + timedelta(hours=3))
    make_case(org, created_at=today, sla_due_at=now - timedelta(hours=1), first_response_at=now)
    make_case(org, created_at=midnight - timedelta(days=2), status=CaseStatus.CLOSED,
              sla_due_at=now - timedelta(days=1), awaiting_agent_since=None)  # fmt: skip
    make_case(org, tier=2, assignee_id=agent.id, created_at=midnight - timedelta(days=3),
              awaiting_agent_since=midnight - timedelta(days=3))  # fmt: skip
    make_case(org, tier=2, created_at=midnight - timedelta(days=1))
    db.session.commit()

    live = reports.live_counts(now, FolderSettings())
    assert (live.breached, live.due_soon) == (1, 1)
    assert (live.tier2_open, live.tier2_unassigned) == (2, 1)
    assert live.arrived_today == 4
    assert live.folders["queue"] == 4 and live.folders["new"] == 2
    assert [case.id for case in reports.sla_at_risk(now)] == [breached.id, soon.id]
    assert reports.waiting_longest()[0].tier == 2

    hour = int((today - midnight).total_seconds() // 3600)
    arrivals = reports.arrivals_today(now)
    assert set(arrivals) == {"web", "phone"}
    assert arrivals["web"][hour] == 3 and sum(arrivals["web"]) == 3
    assert arrivals["phone"][hour] == 1
