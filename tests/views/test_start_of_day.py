"""The start-of-day list and the first-response display through the test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import CaseStatus, Origin, Role, utcnow
from helpdesk.tracker import start_of_day as start_of_day_views
from tests.conftest import as_user
from tests.factories import make_case, make_organisation, make_user

DENVER = ZoneInfo("America/Denver")
SECTIONS = ["overnight_phone", "after_hours", "customer_replied", "priority"]


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Denver wall-clock time in 2025 as naive UTC."""
    local = datetime(2025, month, day, hour, minute, tzinfo=DENVER)
    return local.astimezone(UTC).replace(tzinfo=None)


# Tuesday 2025-03-04, first thing; support closed on Monday at 17:00.
NOW = at(3, 4, 7, 50)


@pytest.fixture
def morning(monkeypatch):
    monkeypatch.setattr(start_of_day_views, "utcnow", lambda: NOW)


def sections_of(html: str) -> dict[str, list[int]]:
    """Section key -> case numbers listed in it, in page order."""
    keys = re.findall(r'data-section="(\w+)"', html)
    parts = re.split(r'data-section="\w+"', html)[1:]
    return {
        key: [int(n) for n in re.findall(r'data-case="(\d+)"', part)]
        for key, part in zip(keys, parts, strict=True)
    }


@pytest.fixture
def desk(app):
    """Agents Lena and Tomas, an admin, a plain customer and an after-hours (911) one."""
    with app.app_context():
        people = {
            "lena": make_user(Role.AGENT, name="Lena Lind").id,
            "tomas": make_user(Role.AGENT, name="Tomas Tran").id,
            "admin": make_user(Role.ADMIN).id,
            "customer": make_user(Role.CUSTOMER).id,
            "billing": make_user(Role.BILLING).id,
        }
        plain = make_organisation(name="Plain Theatre")
        nine11 = make_organisation(name="Night Opera", after_hours_support=True)
        lena, tomas = people["lena"], people["tomas"]

        def case(org, **fields) -> int:
            return make_case(org, **fields).number

        people["cases"] = {
            # (1) voice mails since Monday's close, unanswered: the 911 customer first.
            "vm_plain": case(plain, origin=Origin.PHONE, created_at=at(3, 3, 20), priority_score=3),
            "vm_911": case(nine11, origin=Origin.PHONE, created_at=at(3, 4, 6)),
            # A voice mail from before the close belongs with everything else.
            "vm_before_close": case(plain, origin=Origin.PHONE, created_at=at(3, 3, 15)),
            # (2) the 911 customer's other cases awaiting an agent, answered calls included.
            "web_911": case(
                nine11, assignee_id=lena, status=CaseStatus.OPEN, created_at=at(3, 1, 9)
            ),
            "vm_911_replied": case(
                nine11,
                origin=Origin.PHONE,
                status=CaseStatus.WAITING,
                created_at=at(3, 3, 21),
                first_response_at=at(3, 3, 22),
            ),
            # (3) the customer replied.
            "replied": case(
                plain,
                assignee_id=lena,
                status=CaseStatus.WAITING,
                created_at=at(2, 27, 9),
                first_response_at=at(2, 27, 10),
            ),
            # (4) everything else by priority score, then age.
            "urgent": case(plain, priority_score=10, created_at=at(2, 25, 9)),
            "older": case(plain, assignee_id=lena, created_at=at(3, 3, 9)),
            # Not listed for Lena: Tomas's; nobody's: answered or closed.
            "tomas": case(plain, assignee_id=tomas, created_at=at(3, 3, 10)),
            "answered": case(plain, status=CaseStatus.ANSWERED, created_at=at(3, 3, 11)),
            "closed_vm": case(
                plain, origin=Origin.PHONE, status=CaseStatus.CLOSED, created_at=at(3, 4, 5)
            ),
        }
        db.session.commit()
        return people


def test_sections_come_in_seed_order_with_the_right_cases(app, client, desk, morning):
    c = desk["cases"]
    as_user(app, client, desk["lena"])
    response = client.get("/tracker/start-of-day")
    assert response.status_code == 200
    html = response.text
    assert list(sections_of(html)) == SECTIONS
    assert sections_of(html) == {
        "overnight_phone": [c["vm_911"], c["vm_plain"]],
        "after_hours": [c["web_911"], c["vm_911_replied"]],
        "customer_replied": [c["replied"]],
        "priority": [c["urgent"], c["older"], c["vm_before_close"]],
    }
    # Since the close of support, shown in the agent's zone (Denver) like every time.
    assert "3 Mar 2025, 17:00" in html
    for number in c.values():
        if f'data-case="{number}"' in html:
            assert f'href="/tracker/cases/{number}"' in html


def test_administrators_see_everyones_cases(app, client, desk, morning):
    c = desk["cases"]
    as_user(app, client, desk["admin"])
    listed = sections_of(client.get("/tracker/start-of-day").text)
    assert listed["priority"] == [c["urgent"], c["older"], c["tomas"], c["vm_before_close"]]


def test_rows_show_their_due_state(app, client, desk, morning):
    with app.app_context():
        org = make_organisation()
        overdue = make_case(
            org,
            origin=Origin.PHONE,
            created_at=at(3, 3, 18),
            sla_due_at=NOW - timedelta(minutes=35),
        ).number
        near = make_case(
            org,
            origin=Origin.PHONE,
            created_at=at(3, 3, 19),
            sla_due_at=NOW + timedelta(minutes=20),
        ).number
        db.session.commit()
    as_user(app, client, desk["lena"])
    html = client.get("/tracker/start-of-day").text
    row = re.search(rf'data-case="{overdue}".*?</tr>', html, re.S).group(0)
    assert "sla-breached" in row and "35 min overdue" in row
    row = re.search(rf'data-case="{near}".*?</tr>', html, re.S).group(0)
    assert "sla-near" in row and "in 20 min" in row


@pytest.mark.parametrize("role", ["customer", "billing"])
def test_customers_and_billing_are_refused(app, client, desk, role):
    as_user(app, client, desk[role])
    assert client.get("/tracker/start-of-day").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/tracker/start-of-day")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_sidebar_links_to_the_page(app, client, desk):
    as_user(app, client, desk["lena"])
    assert 'href="/tracker/start-of-day"' in client.get("/tracker/").text


def test_case_page_shows_the_first_response_clock(app, client, desk):
    with app.app_context():
        number = make_case(
            make_organisation(),
            assignee_id=desk["lena"],
            sla_due_at=utcnow() - timedelta(minutes=35, seconds=10),
        ).number
        db.session.commit()
    as_user(app, client, desk["lena"])
    html = client.get(f"/tracker/cases/{number}").text
    clock = re.search(r'<p id="sla" class="sla sla-(\w+)"[^>]*>(.*?)</p>', html, re.S)
    assert clock is not None
    assert clock.group(1) == "breached"
    assert "First response due" in clock.group(2) and "(35 min overdue)" in clock.group(2)


def test_folder_due_column_highlights_near_and_breached(app, client, desk):
    now = utcnow()
    with app.app_context():
        org = make_organisation()
        lena = desk["lena"]
        due = {
            "breached": now - timedelta(minutes=5),
            "near": now + timedelta(minutes=30),
            "ok": now + timedelta(hours=3),
        }
        numbers = {
            state: make_case(org, assignee_id=lena, sla_due_at=when).number
            for state, when in due.items()
        }
        answered = make_case(
            org,
            assignee_id=lena,
            status=CaseStatus.WAITING,
            sla_due_at=now - timedelta(hours=1),
            first_response_at=now - timedelta(hours=2),
        ).number
        db.session.commit()
    as_user(app, client, desk["lena"])
    new_folder = client.get("/tracker/").text
    assert "<th>Due</th>" in new_folder
    for state, number in numbers.items():
        row = re.search(rf'value="{number}".*?</tr>', new_folder, re.S).group(0)
        assert f'data-sla="{state}"' in row
    waiting = client.get("/tracker/folders/waiting").text
    row = re.search(rf'value="{answered}".*?</tr>', waiting, re.S).group(0)
    assert 'data-sla="met"' in row


def test_the_page_costs_the_same_queries_for_few_or_many_rows(app, client, desk, morning):
    def statements() -> int:
        seen = []
        with app.app_context():
            engine = db.engine

        def listen(conn, cursor, statement, *rest):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert client.get("/tracker/start-of-day").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(seen)

    as_user(app, client, desk["lena"])
    few = statements()
    with app.app_context():
        org = make_organisation(after_hours_support=True)
        for n in range(6):
            make_case(org, origin=Origin.PHONE, created_at=at(3, 4, 5, n), assignee_id=desk["lena"])
            make_case(org, created_at=at(3, 2, 5, n))
        db.session.commit()
    assert statements() == few
