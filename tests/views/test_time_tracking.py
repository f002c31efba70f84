"""Time tracking (issue 19 item 6): agents log time with a reply, a note, a call or on its own;
the case page shows the total (never the customer's page); the time report sums it by agent,
organisation, case type and month, each table with a CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaseType, Role, TimeEntry, TimeKind
from helpdesk.services.cases import time_tracking
from helpdesk.services.reports.reports import business_zone
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_case, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        agent = make_user(Role.AGENT, name="Ann Agent")
        other = make_user(Role.AGENT, name="Bo Builder")
        customer = make_user(Role.CUSTOMER)
        customer.organisation.name = "Acme Widgets"
        bug = CaseType(name="Bug report")
        db.session.add(bug)
        db.session.flush()
        case = make_case(
            customer.organisation,
            requester_id=customer.id,
            assignee_id=agent.id,
            status="open",
            case_type_id=bug.id,
        )
        db.session.commit()
        return {
            "agent": agent.id,
            "other": other.id,
            "customer": customer.id,
            "number": case.number,
            "case_id": case.id,
        }


def entries(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(TimeEntry.minutes, TimeEntry.kind, TimeEntry.note).order_by(TimeEntry.id)
        )
        return [(m, k.value, n) for m, k, n in rows]


def case_url(desk) -> str:
    return f"/tracker/cases/{desk['number']}"


def test_time_with_a_reply_a_note_and_a_call(app, desk):
    client = as_user(app, app.test_client(), desk["agent"])
    url = case_url(desk)
    sent = post_form(
        client,
        f"{url}/messages",
        {"kind": "reply", "body": "Fixed it.", "then": "", "time_spent": "1h 30m"},
        page=url,
    )
    assert sent.status_code == 302
    post_form(
        client,
        f"{url}/messages",
        {"kind": "note", "body": "Checked the logs.", "then": "", "time_spent": "10"},
        page=url,
    )
    post_form(
        client,
        f"{url}/calls",
        {"notes": "Walked them through it", "outcome": "solved", "call_minutes": "0:20"},
        page=url,
    )
    assert entries(app) == [(90, "reply", ""), (10, "note", ""), (20, "call", "")]
    page = client.get(url).get_data(as_text=True)
    assert "Spent so far: <strong>2 h</strong>" in page
    assert "Time logged: 1 h 30 min with a reply" in page


def test_unreadable_time_sends_nothing(app, desk):
    client = as_user(app, app.test_client(), desk["agent"])
    url = case_url(desk)
    refused = post_form(
        client,
        f"{url}/messages",
        {"kind": "reply", "body": "Fixed it.", "then": "", "time_spent": "a while"},
        page=url,
    )
    assert refused.status_code == 422
    assert "Type minutes (25)" in refused.get_data(as_text=True)
    assert entries(app) == []
    with app.app_context():
        from helpdesk.models import Message

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_time_on_its_own_for_an_earlier_day(app, desk):
    client = as_user(app, app.test_client(), desk["agent"])
    url = case_url(desk)
    with app.app_context():
        today = time_tracking.today(business_zone())
    yesterday = today - timedelta(days=1)
    logged = post_form(
        client,
        f"{url}/time",
        {"time_minutes": "45", "time_day": yesterday.isoformat(), "time_note": "Reproduced"},
        page=url,
    )
    assert logged.status_code == 302
    assert entries(app) == [(45, "work", "Reproduced")]
    with app.app_context():
        assert db.session.scalar(sa.select(TimeEntry.worked_on)) == yesterday
    future = post_form(
        client,
        f"{url}/time",
        {"time_minutes": "5", "time_day": (today + timedelta(days=1)).isoformat()},
        page=url,
    )
    assert future.status_code == 422
    assert "today or an earlier day" in future.get_data(as_text=True)
    for bad in ("", "0", "25:00", "²"):
        response = post_form(client, f"{url}/time", {"time_minutes": bad}, page=url)
        assert response.status_code == 422
    assert len(entries(app)) == 1


def test_customers_never_see_the_time(app, desk):
    agent = as_user(app, app.test_client(), desk["agent"])
    post_form(agent, f"{case_url(desk)}/time", {"time_minutes": "30"}, page=case_url(desk))
    customer = as_user(app, app.test_client(), desk["customer"])
    page = customer.get(f"/cases/{desk['number']}").get_data(as_text=True)
    assert "30 min" not in page and "Time logged" not in page
    token = csrf_from(page)
    refused = customer.post(
        f"{case_url(desk)}/time", data={"time_minutes": "5", "csrf_token": token}
    )
    assert refused.status_code == 403


def row_html(label, *cells) -> str:
    tail = "".join(f'<td class="num">{cell}</td>' for cell in cells)
    return f'<th scope="row">{label}</th>{tail}'


def test_the_time_report_sums_by_agent_organisation_type_and_month(app, desk):
    with app.app_context():
        from helpdesk.models import Case, User

        case = db.session.get(Case, desk["case_id"])
        agent, other = db.session.get(User, desk["agent"]), db.session.get(User, desk["other"])
        today = time_tracking.today(business_zone())
        time_tracking.log(agent, case, 90, TimeKind.REPLY, worked_on=today)
        time_tracking.log(other, case, 30, TimeKind.WORK, worked_on=today)
        time_tracking.log(agent, case, 60, TimeKind.CALL, worked_on=date(2001, 1, 1))  # outside
    client = as_user(app, app.test_client(), desk["agent"])
    page = client.get("/reports/time").get_data(as_text=True)
    assert "Time by agent" in page and "Time by organisation" in page
    assert row_html("Ann Agent", 1, 1, "1.50") in page
    assert row_html("Acme Widgets", 1, 2, "2.00") in page
    assert '<th scope="row">Bug report</th>' in page
    month = today.isoformat()[:7]
    assert f'<th scope="row">{month}</th>' in page

    exported = client.get(
        "/reports/time/by-agent.csv",
        query_string={"from": today.isoformat(), "to": today.isoformat()},
    )
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Agent", "Cases", "Entries", "Hours"]
    assert ["Ann Agent", "1", "1", "1.50"] in rows and ["Bo Builder", "1", "1", "0.50"] in rows


def test_only_support_staff_read_the_time_report(app, desk):
    with app.app_context():
        billing = make_user(Role.BILLING)
        db.session.commit()
        billing_id = billing.id
    assert as_user(app, app.test_client(), billing_id).get("/reports/time").status_code == 403
    customer = as_user(app, app.test_client(), desk["customer"])
    assert customer.get("/reports/time").status_code == 403
