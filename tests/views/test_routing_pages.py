"""What agents, admins and customers see of routing by type, tiers and agent status."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    AuditLog,
    Case,
    CaseType,
    CustomerTopic,
    Role,
    RoutingRule,
    User,
    utcnow,
)
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_order, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        billing = CaseType(name="Billing")
        retired = CaseType(name="Retired", active=False)
        db.session.add_all([billing, retired])
        lena = make_user(Role.AGENT, name="Lena Lind", tier=1)
        tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
        priya = make_user(Role.AGENT, name="Priya Patel", tier=3)
        admin = make_user(Role.ADMIN, name="Ada Admin")
        finn = make_user(Role.CUSTOMER, name="Finn Walsh")
        # Bought long ago: no active plan, so Finn's new cases are tier 1.
        order = make_order(finn.organisation, ordered_at=utcnow() - timedelta(days=200))
        db.session.flush()
        db.session.add(
            RoutingRule(
                position=1, case_type_id=billing.id, assignee_id=tomas.id, fallback_id=priya.id
            )
        )
        db.session.commit()
        return {
            "billing": billing.id,
            "retired": retired.id,
            "lena": lena.id,
            "tomas": tomas.id,
            "priya": priya.id,
            "admin": admin.id,
            "finn": finn.id,
            "order": order.id,
        }


def add_case(app, desk, **fields) -> int:
    with app.app_context():
        finn = db.session.get(User, desk["finn"])
        case = make_case(finn.organisation, requester_id=finn.id, **fields)
        db.session.commit()
        return case.number


def load(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def post(client, url, data, page="/tracker/team"):
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **data})


def test_classifying_a_queued_case_shows_where_it_went_and_why(app, client, desk):
    with app.app_context():
        tomas = db.session.get(User, desk["tomas"])
        tomas.agent_status, tomas.status_note = AgentStatus.AWAY, "at the bank"
        tomas.away_until = datetime(2030, 1, 2, 21, 0)
        db.session.commit()
    number = add_case(app, desk)
    as_user(app, client, desk["lena"])
    page = client.get(f"/tracker/cases/{number}").text
    assert "Nobody holds this case yet: saving hands it to whoever the routing rules" in page
    url = f"/tracker/cases/{number}"
    response = post(client, f"{url}/classify", {"case_type_id": str(desk["billing"])}, page=url)
    assert response.status_code == 302
    page = client.get(url).text
    assert "Type and reason saved. Routed to Priya Patel." in page
    assert (
        "Routed to Priya Patel by rule \u201cBilling\u201d; Tomas Tran is away until "
        "2 Jan 2030, 14:00 MST (at the bank), so the fallback took it." in page
    )
    assert load(app, number).assignee_id == desk["priya"]
    # Once someone holds it, classifying again only saves.
    response = post(client, f"{url}/classify", {"case_type_id": ""}, page=url)
    assert "Type and reason saved." in client.get(url).text
    assert load(app, number).assignee_id == desk["priya"]


def test_a_tier1_agent_accepts_a_tier2_case_only_with_a_reason(app, client, desk):
    number = add_case(app, desk, tier=2)
    url = f"/tracker/cases/{number}"
    as_user(app, client, desk["lena"])
    page = client.get(url).text
    assert "This case needs tier 2 and you are tier 1" in page
    assert "Accept into my queue" not in page and "Accept anyway" in page
    assert "Escalate to tier" not in page  # the case is already above her
    refused = post(client, f"{url}/accept", {"override_reason": " "}, page=url)
    assert refused.status_code == 422
    assert "Leave it for tier 2, or accept it anyway and say why." in refused.text
    assert load(app, number).assignee_id is None
    done = post(client, f"{url}/accept", {"override_reason": "Tier 2 is at a customer"}, page=url)
    assert done.status_code == 302 and load(app, number).assignee_id == desk["lena"]
    page = client.get(url).text
    assert "Override: Lena Lind gave this tier 2 case to themselves (tier 1)" in page
    with app.app_context():
        assert db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "case.assign_below_tier")
        )


def test_a_tier2_agent_accepts_it_and_may_escalate_to_tier3(app, client, desk):
    number = add_case(app, desk, tier=2)
    url = f"/tracker/cases/{number}"
    as_user(app, client, desk["tomas"])
    page = client.get(url).text
    assert "Accept into my queue" in page and "Accept anyway" not in page
    assert "Escalate to tier 3" in page
    assert post(client, f"{url}/accept", {}, page=url).status_code == 302
    assert load(app, number).assignee_id == desk["tomas"]


def test_the_assign_form_marks_and_overrides_lower_tiers(app, client, desk):
    number = add_case(app, desk, tier=2)
    url = f"/tracker/cases/{number}"
    as_user(app, client, desk["priya"])
    page = client.get(url).text
    assert re.search(r"Lena Lind \(agent, tier 1, available\) - below tier 2</option>", page)
    refused = post(client, f"{url}/assign", {"assignee_id": str(desk["lena"])}, page=url)
    assert refused.status_code == 422
    assert "This case needs tier 2 and Lena Lind is tier 1." in refused.text
    done = post(
        client,
        f"{url}/assign",
        {"assignee_id": str(desk["lena"]), "override_reason": "Her customer"},
        page=url,
    )
    assert done.status_code == 302 and load(app, number).assignee_id == desk["lena"]


def test_the_team_page_sets_a_reason_and_a_return_time_in_my_zone(app, client, desk):
    with app.app_context():
        db.session.get(User, desk["tomas"]).time_zone = "Europe/Paris"
        db.session.commit()
    as_user(app, client, desk["tomas"])
    page = client.get("/tracker/team").text
    assert "My status" in page and "Back at (optional)" in page and "Reason (optional)" in page
    response = post(
        client,
        "/tracker/status",
        {
            "status": "away",
            "note": "at the bank",
            "away_until": "2030-01-02T14:00",
            "back": "/tracker/team",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        tomas = db.session.get(User, desk["tomas"])
        # 14:00 in Paris (CET, UTC+1) is 13:00 UTC.
        assert (tomas.agent_status, tomas.status_note) == (AgentStatus.AWAY, "at the bank")
        assert tomas.away_until == datetime(2030, 1, 2, 13, 0)
    page = client.get("/tracker/team").text
    assert "2 Jan 2030, 14:00" in page and "at the bank" in page
    assert 'value="2030-01-02T14:00"' in page  # the form shows it back in my zone
    as_user(app, client, desk["lena"])  # Denver: the same instant is 06:00 there
    assert "2 Jan 2030, 06:00" in client.get("/tracker/team").text


def test_a_past_return_time_is_a_form_error(app, client, desk):
    as_user(app, client, desk["lena"])
    past = (utcnow() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = post(
        client,
        "/tracker/status",
        {"status": "away", "away_until": past, "back": "/tracker/team"},
    )
    assert response.status_code == 422
    assert "Enter a time that is still to come, or leave it empty." in response.text
    with app.app_context():
        assert db.session.get(User, desk["lena"]).agent_status is None


def test_the_header_picker_still_sets_the_status_alone(app, client, desk):
    as_user(app, client, desk["lena"])
    response = post(client, "/tracker/status", {"status": "on_phone", "back": "/tracker/"})
    assert response.status_code == 302 and response.headers["Location"] == "/tracker/"
    with app.app_context():
        assert db.session.get(User, desk["lena"]).agent_status == AgentStatus.ON_PHONE
    post(client, "/tracker/status", {"status": "away", "back": "/tracker/"})
    page = client.get("/tracker/").text
    assert "Your status: away. Add a reason and a return time on the team page." in page


# The admin's page ------------------------------------------------------------------------


def test_the_routing_page_warns_about_rules_that_never_match_or_lack_the_tier(app, client, desk):
    with app.app_context():
        db.session.add_all(
            [
                RoutingRule(position=2, case_type_id=desk["retired"], assignee_id=desk["tomas"]),
                RoutingRule(position=99, assignee_id=desk["lena"]),
            ]
        )
        db.session.commit()
    as_user(app, client, desk["admin"])
    page = client.get("/admin/routing").text
    assert "Never matches: its case type is switched off, so no case can get it." in page
    assert "pass over these tier 1 people and wait in the support queue" in page
    assert "again when an agent sets the type and reason of a case nobody holds yet" in page


def test_adding_a_rule_that_can_never_fire_says_so(app, client, desk):
    with app.app_context():
        db.session.add(RoutingRule(position=1, assignee_id=desk["lena"], fallback_id=desk["tomas"]))
        db.session.commit()
    as_user(app, client, desk["admin"])
    response = post(
        client,
        "/admin/routing/rules",
        {"case_type_id": str(desk["billing"]), "assignee_id": str(desk["tomas"]), "position": "50"},
        page="/admin/routing",
    )
    assert response.status_code == 302
    assert "it is never reached: the rule at position 1 takes all its cases" in (
        client.get("/admin/routing").text
    )


def test_admin_offers_a_topic_and_a_customer_picks_it(app, client, desk):
    as_user(app, client, desk["admin"])
    page = "/admin/routing"
    blank = post(client, "/admin/routing/topics", {"topic-label": ""}, page=page)
    assert blank.status_code == 422 and "Enter what customers will see" in blank.text
    response = post(
        client,
        "/admin/routing/topics",
        {"topic-label": "Billing or payment", "topic-case_type_id": str(desk["billing"])},
        page=page,
    )
    assert response.status_code == 302
    assert "Topic added: customers can pick it on a new case." in client.get(page).text
    again = post(
        client,
        "/admin/routing/topics",
        {"topic-label": "billing OR payment", "topic-case_type_id": str(desk["billing"])},
        page=page,
    )
    assert again.status_code == 422 and "Customers can already pick that" in again.text
    with app.app_context():
        topic = db.session.scalar(sa.select(CustomerTopic))
        topic_id = topic.id
        assert db.session.scalar(
            sa.select(AuditLog.action).where(AuditLog.action == "routing.topic_create")
        )

    as_user(app, client, desk["finn"])
    form = client.get("/cases/new").text
    assert f'<option value="topic-{topic_id}">Billing or payment</option>' in form
    response = client.post(
        "/cases/new",
        data={
            "csrf_token": csrf_from(form),
            "order_id": str(desk["order"]),
            "category": f"topic-{topic_id}",
            "subject": "Charged twice",
            "body": "The renewal was charged twice.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    # The customer's case is about what they picked.
    assert "<dd>Billing or payment</dd>" in client.get(response.headers["Location"]).text
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.subject == "Charged twice"))
        assert (case.case_type_id, case.assignee_id) == (desk["billing"], desk["tomas"])

    as_user(app, client, desk["admin"])
    removed = post(client, "/admin/routing/topics/delete", {"topic_id": str(topic_id)}, page=page)
    assert removed.status_code == 302
    as_user(app, client, desk["finn"])
    assert "Billing or payment" not in client.get("/cases/new").text
    gone = client.post(
        "/cases/new",
        data={
            "csrf_token": csrf_from(client.get("/cases/new").text),
            "order_id": str(desk["order"]),
            "category": f"topic-{topic_id}",
            "subject": "Again",
            "body": "Again.",
        },
        content_type="multipart/form-data",
    )
    assert gone.status_code == 422  # not a choice any more: a form error, nothing saved
