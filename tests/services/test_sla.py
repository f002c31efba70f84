"""The first-response clock on real cases: the calendar from settings and the Holiday table,
due times set at triage by origin, states and wording for templates, the start-of-day list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Category, Holiday, Origin, Role
from helpdesk.rules.business_hours import BusinessCalendar, add_business_hours
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import AttachmentPolicy
from helpdesk.services.tracker import sla
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")
DENVER = ZoneInfo("America/Denver")
MINUTE = timedelta(minutes=1)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Denver wall-clock time in 2025 as naive UTC."""
    local = datetime(2025, month, day, hour, minute, tzinfo=DENVER)
    return local.astimezone(UTC).replace(tzinfo=None)


def test_calendar_from_reads_the_business_settings():
    calendar = sla.calendar_from(
        {
            "BUSINESS_TIME_ZONE": "America/New_York",
            "BUSINESS_HOURS_START": "7:30",
            "BUSINESS_HOURS_END": "16:00",
            "BUSINESS_DAYS": "mon,tue,wed,thu",
        },
        [date(2025, 12, 25)],
    )
    assert calendar == BusinessCalendar(
        time_zone="America/New_York",
        opens=time(7, 30),
        closes=time(16),
        weekdays=frozenset({0, 1, 2, 3}),
        holidays=frozenset({date(2025, 12, 25)}),
    )


def test_calendar_from_the_app_defaults_is_the_seeds(app):
    assert sla.calendar_from(app.config) == BusinessCalendar()


def test_current_calendar_loads_the_holidays_near_the_given_time():
    db.session.add_all(
        [
            Holiday(day=date(2025, 3, 10), name="Staff day"),
            Holiday(day=date(2025, 12, 25), name="Christmas"),
            Holiday(day=date(2019, 12, 25), name="Long ago"),
        ]
    )
    db.session.commit()
    calendar = sla.current_calendar(at(3, 7, 16, 30))
    assert calendar.holidays == {date(2025, 3, 10), date(2025, 12, 25)}


@pytest.mark.parametrize(
    ("origin", "received", "expected"),
    [
        pytest.param(Origin.PHONE, at(3, 4, 10), at(3, 4, 14), id="phone-same-day"),
        pytest.param(Origin.PHONE, at(3, 4, 16, 30), at(3, 5, 12), id="phone-last-hour"),
        pytest.param(Origin.EMAIL, at(3, 4, 16, 30), at(3, 5, 11, 30), id="email-carries-over"),
        pytest.param(Origin.WEB, at(3, 7, 16, 30), at(3, 10, 11, 30), id="web-over-weekend"),
        pytest.param(Origin.GENERATED, at(3, 8, 9), at(3, 10, 12), id="generated-saturday"),
    ],
)
def test_apply_first_response_due_by_origin(origin, received, expected):
    case = make_case(make_organisation(), origin=origin, created_at=received)
    sla.apply_first_response_due(case, received)
    assert case.sla_due_at == expected


def test_holidays_from_the_table_stop_the_clock():
    db.session.add(Holiday(day=date(2025, 3, 10), name="Staff day"))
    db.session.commit()
    email = make_case(make_organisation(), origin=Origin.EMAIL)
    phone = make_case(make_organisation(), origin=Origin.PHONE)
    sla.apply_first_response_due(email, at(3, 7, 16, 30))
    sla.apply_first_response_due(phone, at(3, 7, 16, 30))
    assert (email.sla_due_at, phone.sla_due_at) == (at(3, 11, 11, 30), at(3, 11, 12))


def test_configured_first_response_hours_apply(app, monkeypatch):
    monkeypatch.setitem(app.config, "FIRST_RESPONSE_HOURS", 2)
    case = make_case(make_organisation(), origin=Origin.WEB)
    sla.apply_first_response_due(case, at(3, 4, 16, 30))
    assert case.sla_due_at == at(3, 5, 9, 30)


def test_triage_sets_the_due_time_of_a_new_phone_case():
    case = make_case(make_organisation(), origin=Origin.PHONE, created_at=at(3, 4, 16, 30))
    cases._triage(case, at(3, 4, 16, 30))
    assert case.sla_due_at == at(3, 5, 12)


def test_a_case_opened_on_the_web_gets_its_due_time(app, tmp_path):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    policy = AttachmentPolicy.from_config({**app.config, "ATTACHMENT_DIR": str(tmp_path)})
    with app.test_request_context():
        case = cases.open_case(
            customer=customer,
            order_id=order.id,
            category=Category.SUPPORT,
            subject="Printer",
            body="It jams.",
            uploads=[],
            policy=policy,
        )
    stored = db.session.get(Case, case.id)
    expected = add_business_hours(stored.created_at, 4, sla.current_calendar(stored.created_at))
    assert stored.sla_due_at == expected
    assert stored.sla_due_at > stored.created_at


DUE = at(3, 4, 14)


def case_with(**fields) -> Case:
    return Case(
        **{
            "status": CaseStatus.NEW,
            "sla_due_at": DUE,
            "first_response_at": None,
            "closed_at": None,
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "now", "state", "remark"),
    [
        pytest.param({}, DUE - 130 * MINUTE, "ok", "in 2 h 10 min", id="ok"),
        pytest.param({}, DUE - 35 * MINUTE, "near", "in 35 min", id="near"),
        pytest.param({}, DUE - MINUTE / 2, "near", "in under 1 min", id="seconds-left"),
        pytest.param({}, DUE + 35 * MINUTE, "breached", "35 min overdue", id="breached"),
        pytest.param({}, DUE + 26 * 60 * MINUTE, "breached", "1 d 2 h overdue", id="days"),
        pytest.param(
            {"first_response_at": DUE - MINUTE}, DUE + 60 * MINUTE, "met", "met", id="met"
        ),
        pytest.param(
            {"first_response_at": DUE + 20 * MINUTE},
            DUE + 60 * MINUTE,
            "breached",
            "answered 20 min late",
            id="answered-late",
        ),
        pytest.param(
            {"status": CaseStatus.CLOSED, "closed_at": DUE - MINUTE},
            DUE + 60 * MINUTE,
            "met",
            "met",
            id="closed-unanswered-stops-the-clock",
        ),
    ],
)
def test_state_and_remark_for_templates(fields, now, state, remark):
    case = case_with(**fields)
    assert sla.sla_state_of(case, now) == state
    summary = sla.summary_of(case, now)
    assert (summary.state, summary.remark) == (state, remark)
    assert summary.due_at == DUE


def test_no_due_time_no_state():
    case = case_with(sla_due_at=None)
    assert sla.sla_state_of(case, DUE) is None
    assert sla.summary_of(case, DUE) is None


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (0, "under 1 min"),
        (1, "1 min"),
        (60, "1 h"),
        (61, "1 h 1 min"),
        (1440, "1 d"),
        (1500, "1 d 1 h"),
    ],
)
def test_duration_words(minutes, words):
    assert sla.duration_words(timedelta(minutes=minutes)) == words


def test_start_of_day_scope_agent_sees_own_and_queue_admin_everyone():
    now = at(3, 4, 7, 50)
    lena = make_user(Role.AGENT)
    tomas = make_user(Role.AGENT)
    admin = make_user(Role.ADMIN)
    org = make_organisation()
    mine = make_case(org, assignee_id=lena.id, created_at=at(3, 3, 10))
    queue = make_case(org, created_at=at(3, 3, 11))
    theirs = make_case(org, assignee_id=tomas.id, created_at=at(3, 3, 12))
    db.session.commit()

    def listed(user) -> list[int]:
        since, sections = sla.start_of_day(user, now, BusinessCalendar())
        assert since == at(3, 3, 17)
        return [case.id for section in sections for case in section.cases]

    assert listed(lena) == [mine.id, queue.id]
    assert listed(admin) == [mine.id, queue.id, theirs.id]


def test_start_of_day_sections_are_bounded():
    now = at(3, 4, 7, 50)
    agent = make_user(Role.AGENT)
    org = make_organisation()
    for n in range(4):
        make_case(org, created_at=at(3, 3, 9, n))
    db.session.commit()
    _, sections = sla.start_of_day(agent, now, BusinessCalendar(), limit=3)
    everything = sections[-1]
    assert (len(everything.cases), everything.more) == (3, True)
    assert not any(section.more for section in sections[:-1])
