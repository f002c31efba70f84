"""No page runs a query per row: the SQL statements each busy page runs stay the same when the
database grows from 10 to 1,000 cases (issue 9: a regression fails here without timing)."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, Payment, PaymentMethod, Role, User, utcnow
from helpdesk.sample_data import bench_data
from tests.conftest import as_user
from tests.factories import make_user


def statements_for(app, client, url: str, expected: int = 200) -> int:
    with app.app_context():
        engine = db.engine
    executed = []

    def count(*_args):
        executed.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == expected, url
    return len(executed)


def poll_url(client) -> str:
    page = client.get("/tracker/folders/all").text
    return html.unescape(re.search(r'hx-get="(/tracker/counts[^"]*)"', page).group(1))


def grow_to_the_same_people(app, agent_id: int, customer_id: int) -> None:
    """990 more cases, all the agent's and half of them the customer's: every list they see
    grows a hundredfold."""
    with app.app_context():
        bench_data.load(990, messages_per_case=2)
        organisation_id = db.session.get(User, customer_id).organisation_id
        db.session.execute(sa.update(Case).values(assignee_id=agent_id))
        db.session.execute(
            sa.update(Case)
            .where(Case.id % 2 == 0)
            .values(requester_id=customer_id, organisation_id=organisation_id)
        )
        db.session.commit()


@pytest.fixture
def small_desk(app) -> dict:
    with app.app_context():
        bench_data.load(10, messages_per_case=2)
        case = db.session.scalars(sa.select(Case).order_by(Case.id)).first()
        if case.assignee_id is None:
            case.assignee_id = db.session.scalar(
                sa.select(User.id).where(User.role == Role.AGENT).order_by(User.id).limit(1)
            )
        # Every measured folder lists something already (an empty page skips its loads).
        others = db.session.scalars(sa.select(Case).where(Case.id != case.id).limit(2)).all()
        for other, status in zip(others, (CaseStatus.NEW, CaseStatus.WAITING), strict=True):
            other.status, other.assignee_id, other.awaiting_agent_since = (
                status,
                case.assignee_id,
                utcnow(),
            )
        billing = make_user(Role.BILLING)
        payment = Payment(
            organisation_id=case.organisation_id, method=PaymentMethod.PREPAID, amount_cents=500
        )
        db.session.add(payment)
        db.session.commit()
        return {
            "agent": case.assignee_id,
            "customer": case.requester_id,
            "number": case.number,
            "billing": billing.id,
            "payment": payment.id,
        }


def test_busy_pages_cost_the_same_at_10_and_1000_cases(app, small_desk, frozen_clock):
    """The clock stands still: a minute ending mid-test would recount the sidebar once."""
    agent, customer, billing = app.test_client(), app.test_client(), app.test_client()
    as_user(app, agent, small_desk["agent"])
    as_user(app, customer, small_desk["customer"])
    as_user(app, billing, small_desk["billing"])
    number, payment = small_desk["number"], small_desk["payment"]

    def costs() -> dict[str, int]:
        return {
            "folder new": statements_for(app, agent, "/tracker/folders/new"),
            "folder waiting": statements_for(app, agent, "/tracker/folders/waiting"),
            "folder all": statements_for(app, agent, "/tracker/folders/all"),
            "case page": statements_for(app, agent, f"/tracker/cases/{number}"),
            "poll": statements_for(app, agent, poll_url(agent), expected=204),
            "search": statements_for(app, agent, "/tracker/search?q=licence"),
            "customer list": statements_for(app, customer, "/cases"),
            "customer case": statements_for(app, customer, f"/cases/{number}"),
            "refund form": statements_for(app, billing, f"/billing/payments/{payment}"),
            "caller lookup": statements_for(app, agent, "/tracker/callers?q=bench"),
            "dashboard": statements_for(app, agent, "/reports/"),
            "support report": statements_for(app, agent, "/reports/support"),
        }

    costs()  # the first look writes once (the customer has now seen the answer)
    few = costs()
    grow_to_the_same_people(app, small_desk["agent"], small_desk["customer"])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1000

    costs()  # again a first look: what the pages remember (counts, report days) is new
    assert costs() == few


def test_an_idle_poll_reads_only_the_login_and_the_change_stamp(app, small_desk):
    agent = app.test_client()
    as_user(app, agent, small_desk["agent"])
    url = poll_url(agent)

    assert statements_for(app, agent, url, expected=204) == 2

    with app.app_context():  # someone else changes a case: the same poll counts again
        case = db.session.scalars(sa.select(Case).where(Case.number == small_desk["number"])).one()
        case.tier = 3
        db.session.commit()
    assert statements_for(app, agent, url, expected=204) > 2


def test_a_busy_idle_poll_rereads_the_stamp_at_most_once_a_second(app, small_desk, monkeypatch):
    monkeypatch.setitem(app.config, "CHANGE_STAMP_CACHE_SECONDS", 60)
    agent = app.test_client()
    as_user(app, agent, small_desk["agent"])
    url = poll_url(agent)
    statements_for(app, agent, url, expected=204)  # reads the stamp

    assert statements_for(app, agent, url, expected=204) == 1  # the login only


def test_the_sidebar_counts_are_counted_again_only_when_the_minute_ends(
    app, small_desk, frozen_clock
):
    agent = app.test_client()
    as_user(app, agent, small_desk["agent"])
    counted = statements_for(app, agent, "/tracker/folders/all")
    remembered = statements_for(app, agent, "/tracker/folders/all")
    frozen_clock.advance(29)  # still the same minute (the clock stands 30 s into one)
    still_remembered = statements_for(app, agent, "/tracker/folders/all")
    frozen_clock.advance(1)

    assert remembered == still_remembered < counted
    assert statements_for(app, agent, "/tracker/folders/all") == counted


def test_a_busy_idle_poll_reads_the_stamp_again_after_its_seconds(
    app, small_desk, monkeypatch, frozen_clock
):
    monkeypatch.setitem(app.config, "CHANGE_STAMP_CACHE_SECONDS", 5)
    agent = app.test_client()
    as_user(app, agent, small_desk["agent"])
    url = poll_url(agent)
    statements_for(app, agent, url, expected=204)  # reads the stamp
    frozen_clock.advance(4.9)

    assert statements_for(app, agent, url, expected=204) == 1  # the login only
    frozen_clock.advance(0.1)
    assert statements_for(app, agent, url, expected=204) == 2  # the login and the stamp
