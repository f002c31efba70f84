"""Tiers, sub-cases, cloning, agent status, team panel, hand-over, end of day, queue health."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    AuditLog,
    Case,
    CaseStatus,
    Message,
    MessageKind,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from helpdesk.services.tracker import queue_health
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        lena = make_user(Role.AGENT, name="Lena Lind")
        tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
        admin = make_user(Role.ADMIN, name="Ada Admin", email="ada@example.test")
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        ben = make_user(Role.CUSTOMER, name="Ben Harris")
        order = make_order(anna.organisation)
        other_order = make_order(ben.organisation)
        db.session.commit()
        return {
            "lena": lena.id,
            "tomas": tomas.id,
            "admin": admin.id,
            "anna": anna.id,
            "ben": ben.id,
            "order": order.number,
            "other_order": other_order.number,
        }


def add_case(app, desk, customer="anna", **fields) -> int:
    with app.app_context():
        person = db.session.get(User, desk[customer])
        case = make_case(person.organisation, requester_id=person.id, **fields)
        db.session.commit()
        return case.number


def load(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def post(client, number, action, data, **kwargs):
    token = csrf_from(client.get(f"/tracker/cases/{number}").text)
    return client.post(
        f"/tracker/cases/{number}/{action}", data={"csrf_token": token, **data}, **kwargs
    )


def test_escalate_record_tier2_details_and_send_back(app, client, desk):
    number = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.OPEN)
    as_user(app, client, desk["lena"])
    assert post(client, number, "escalate", {"note": "Reproduced on 9.2"}).status_code == 302
    case = load(app, number)
    assert (case.tier, case.assignee_id, case.status) == (2, None, CaseStatus.NEW)
    response = post(
        client,
        number,
        "tier2",
        {"estimate_minutes": "240", "kind": "bug", "criticality": "high", "note": "Race in save"},
    )
    assert response.status_code == 302
    case = load(app, number)
    assert (case.estimate_minutes, case.tier2_kind, case.criticality) == (240, "bug", "high")
    page = client.get(f"/tracker/cases/{number}").text
    assert "Escalated to tier 2: Reproduced on 9.2" in page
    # Lena is tier 1: the case is above her now, so she is not offered tier 3; Tomas is.
    assert "Escalate to tier" not in page and "tier 2 decides whether it goes further" in page
    as_user(app, client, desk["tomas"])
    assert "Escalate to tier 3" in client.get(f"/tracker/cases/{number}").text
    assert post(client, number, "send-back", {"note": ""}).status_code == 422
    assert post(client, number, "send-back", {"note": "Config issue"}).status_code == 302
    assert load(app, number).tier == 1


def test_tier_three_is_the_top(app, client, desk):
    number = add_case(app, desk, tier=3)
    as_user(app, client, desk["tomas"])
    response = post(client, number, "escalate", {})
    assert response.status_code == 422 and "already at tier 3" in response.text


def test_tier2_details_need_tier2(app, client, desk):
    number = add_case(app, desk, tier=1)
    as_user(app, client, desk["lena"])
    response = post(client, number, "tier2", {"estimate_minutes": "30"})
    assert response.status_code == 422 and "Escalate the case to tier II first." in response.text


def test_subcase_of_a_tier2_item_tells_the_customer(app, client, desk):
    parent = add_case(app, desk, tier=2, subject="Orders saved twice")
    child = add_case(app, desk, subject="Duplicate orders again")
    foreign = add_case(app, desk, customer="ben", tier=2)
    as_user(app, client, desk["lena"])
    assert post(client, child, "subcase", {"parent_number": str(parent)}).status_code == 302
    case = load(app, child)
    assert case.parent_id == load(app, parent).id and case.tier == 2
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "anna@northwind.example"
        assert f"#{parent}" in mail.body_text and "nothing more you need to do" in mail.body_text
    assert f"#{parent}" in client.get(f"/tracker/cases/{child}").text
    other = add_case(app, desk)
    refused = post(client, other, "subcase", {"parent_number": str(foreign)})
    assert refused.status_code == 422 and "another customer" in refused.text
    assert post(client, other, "subcase", {"parent_number": str(other)}).status_code == 422


def test_clone_for_another_department_links_the_copy(app, client, desk):
    number = add_case(app, desk, subject="Refund for cancelled category")
    as_user(app, client, desk["lena"])
    response = post(
        client,
        number,
        "clone",
        {"assignee_id": str(desk["tomas"]), "reason": "Finance must refund"},
        follow_redirects=True,
    )
    assert "Cloned as #" in response.text
    with app.app_context():
        original = db.session.scalar(sa.select(Case).where(Case.number == number))
        copy = db.session.scalar(sa.select(Case).where(Case.cloned_from_id == original.id))
        assert copy.assignee_id == desk["tomas"] and copy.subject == original.subject
    assert (
        post(client, number, "clone", {"assignee_id": str(desk["tomas"]), "reason": ""}).status_code
        == 422
    )


def test_clone_one_case_per_affected_order(app, client, desk):
    number = add_case(app, desk)
    as_user(app, client, desk["admin"])
    response = post(
        client,
        number,
        "clone-orders",
        {
            "order_numbers": f"{desk['order']}, {desk['other_order']}",
            "subject": "Category cancelled: refund or move",
            "body": "Your submission is affected.",
        },
        follow_redirects=True,
    )
    assert "2 cases opened, each linked to" in response.text
    with app.app_context():
        original = db.session.scalar(sa.select(Case).where(Case.number == number))
        clones = db.session.scalars(sa.select(Case).where(Case.cloned_from_id == original.id))
        assert {c.organisation_id for c in clones} == {
            db.session.get(User, desk["anna"]).organisation_id,
            db.session.get(User, desk["ben"]).organisation_id,
        }
    unknown = post(
        client, number, "clone-orders", {"order_numbers": "NOPE-1", "subject": "x", "body": "y"}
    )
    assert unknown.status_code == 422 and "Unknown order numbers: NOPE-1." in unknown.text


def test_status_from_the_header_and_team_panel(app, client, desk):
    as_user(app, client, desk["lena"])
    token = csrf_from(client.get("/tracker/team").text)
    response = client.post(
        "/tracker/status",
        data={
            "csrf_token": token,
            "status": "away",
            "note": "Dentist",
            "away_until": "2030-01-02T13:30",
            "back": "/tracker/team",
        },
    )
    assert response.headers["Location"] == "/tracker/team"
    with app.app_context():
        lena = db.session.get(User, desk["lena"])
        assert lena.agent_status == AgentStatus.AWAY and lena.status_note == "Dentist"
    page = client.get("/tracker/team").text
    assert "Dentist" in page and "Tomas Tran" in page
    bad = client.post(
        "/tracker/status", data={"csrf_token": token, "status": "asleep"}, follow_redirects=True
    )
    assert "Choose a status from the list." in bad.text


def test_end_of_day_returns_unanswered_personal_cases(app, client, desk):
    waiting = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    answered_once = add_case(
        app, desk, assignee_id=desk["lena"], status=CaseStatus.OPEN, first_response_at=utcnow()
    )
    theirs = add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.OPEN)
    as_user(app, client, desk["lena"])
    token = csrf_from(client.get("/tracker/team").text)
    response = client.post("/tracker/end-of-day", data={"csrf_token": token}, follow_redirects=True)
    assert "1 unanswered case returned to the support queue." in response.text
    assert load(app, waiting).assignee_id is None
    assert load(app, answered_once).assignee_id == desk["lena"]
    assert load(app, theirs).assignee_id == desk["tomas"]  # only an admin returns everyone's


def test_end_of_day_command_for_everyone(app, desk):
    add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    add_case(app, desk, assignee_id=desk["tomas"], status=CaseStatus.OPEN)
    result = app.test_cli_runner().invoke(args=["end-of-day"])
    assert result.exit_code == 0 and "2 unanswered cases returned" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(AuditLog.action)) == "tracker.end_of_day"
    bad = app.test_cli_runner().invoke(args=["end-of-day", "--agent", "ghost@example.test"])
    assert bad.exit_code != 0 and "No agent" in bad.output


def test_hand_over_before_leave(app, client, desk):
    first = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.OPEN)
    kept = add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.WAITING)
    as_user(app, client, desk["lena"])
    page = client.get("/tracker/handover").text
    assert f"#{first}" in page and f"#{kept}" in page
    with app.app_context():
        first_id = db.session.scalar(sa.select(Case.id).where(Case.number == first))
        kept_id = db.session.scalar(sa.select(Case.id).where(Case.number == kept))
    token = csrf_from(page)
    response = client.post(
        "/tracker/handover",
        data={
            "csrf_token": token,
            f"assignee_{first_id}": str(desk["tomas"]),
            f"note_{first_id}": "Customer prefers mornings",
            f"assignee_{kept_id}": "",
        },
        follow_redirects=True,
    )
    assert "1 case handed over." in response.text
    assert load(app, first).assignee_id == desk["tomas"]
    assert load(app, kept).assignee_id == desk["lena"]
    with app.app_context():
        note = db.session.scalar(sa.select(Message).where(Message.kind == MessageKind.NOTE))
        assert note.body == "Hand-over note: Customer prefers mornings"
    # Agents hand over their own cases only; administrators anyone's.
    assert client.get(f"/tracker/handover?agent_id={desk['tomas']}").status_code == 403
    admin = app.test_client()
    as_user(app, admin, desk["admin"])
    assert admin.get(f"/tracker/handover?agent_id={desk['tomas']}").status_code == 200


def test_queue_health_banner_and_one_mail_to_the_director(app, client, desk):
    now = utcnow()
    for n in range(5):
        add_case(
            app,
            desk,
            subject=f"Checkout error on payment page #{n}",
            created_at=now - timedelta(minutes=n),
        )
    as_user(app, client, desk["lena"])
    page = client.get("/tracker/").text
    assert "5 cases in the last 60 minutes look alike" in page
    with app.app_context():
        assert queue_health.notify_director(utcnow()) == 1
        assert queue_health.notify_director(utcnow()) == 0  # once
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "ada@example.test" and "look alike" in mail.body_text


def test_oversized_queue_is_flagged(app, client, desk, monkeypatch):
    monkeypatch.setitem(app.config, "QUEUE_ALERT_SIZE", 2)
    for n in range(3):
        add_case(app, desk, subject=f"Different thing {n} {'x' * n}")
    as_user(app, client, desk["lena"])
    assert "The support queue holds 3 unassigned cases" in client.get("/tracker/").text


def test_sidebar_poll_keeps_the_current_page_highlighted(app, client, desk):
    as_user(app, client, desk["lena"])
    page = client.get("/tracker/team").text
    known = re.search(r"/tracker/counts\?known=(\w+)", page).group(1)
    add_case(app, desk, assignee_id=desk["lena"], status=CaseStatus.NEW)
    polled = client.get(
        f"/tracker/counts?known={known}&at=tracker.team_panel", headers={"HX-Request": "true"}
    ).text
    assert 'href="/tracker/team" aria-current="page"' in polled
