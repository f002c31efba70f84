"""The service-level pages: administrators add and remove policies (audited); the case page
shows every target; the report shows attainment per policy with a CSV."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, CaseStatus, Role, SlaPolicy, utcnow
from tests.conftest import as_user, post_form
from tests.factories import make_case, make_user


def people(app):
    with app.app_context():
        admin, agent = make_user(Role.ADMIN), make_user(Role.AGENT)
        db.session.commit()
        return admin.id, agent.id


def add(client, **fields):
    data = {"name": "Standard", "plan": "any", "priority": "any", "first_response_hours": "4"}
    return post_form(client, "/admin/sla", {**data, **fields})


def test_an_administrator_adds_and_removes_a_policy(app):
    admin_id, agent_id = people(app)
    admin = as_user(app, app.test_client(), admin_id)
    page = admin.get("/admin/sla").get_data(as_text=True)
    assert "No policies yet: every case has the default goal." in page
    bad = add(admin, first_response_hours="soon", name="")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Name the policy." in html
    done = add(
        admin, plan="priority", priority="high", next_reply_hours="2", resolution_hours="1,5"
    )
    assert done.status_code == 302
    listing = admin.get("/admin/sla").get_data(as_text=True)
    assert "Priority support" in listing and "High or urgent" in listing and "1.5" in listing
    with app.app_context():
        policy_id = db.session.scalar(sa.select(SlaPolicy.id))
    post_form(admin, f"/admin/sla/{policy_id}/delete", {}, page="/admin/sla")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaPolicy)) == 0
        actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"sla_policy.create", "sla_policy.delete"} <= actions
    agent = as_user(app, app.test_client(), agent_id)
    assert agent.get("/admin/sla").status_code == 403


def test_the_case_page_and_lists_show_the_next_targets(app):
    admin_id, agent_id = people(app)
    now = utcnow()
    with app.app_context():
        policy = SlaPolicy(
            name="Standard",
            plan="any",
            priority="any",
            first_response_hours=4,
            next_reply_hours=2,
            resolution_hours=16,
        )
        db.session.add(policy)
        db.session.flush()
        customer = make_user(Role.CUSTOMER)
        case = make_case(
            customer.organisation,
            assignee_id=agent_id,
            status=CaseStatus.WAITING,
            sla_policy_id=policy.id,
            sla_due_at=now - timedelta(hours=5),
            first_response_at=now - timedelta(hours=6),
            next_reply_due_at=now - timedelta(minutes=30),
            resolution_due_at=now + timedelta(days=2),
        )
        db.session.commit()
        number = case.number
    agent = as_user(app, app.test_client(), agent_id)
    page = agent.get(f"/tracker/cases/{number}").get_data(as_text=True)
    assert "policy Standard" in page
    assert "Next reply due" in page and "(missed)" in page and "Resolution due" in page
    waiting = agent.get("/tracker/folders/waiting").get_data(as_text=True)
    assert "reply 30 min overdue" in waiting


def test_the_report_shows_attainment_per_policy(app):
    _, agent_id = people(app)
    now = utcnow()
    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        make_case(
            customer.organisation,
            sla_due_at=now - timedelta(hours=1),
            first_response_at=now - timedelta(hours=2),
        )
        db.session.commit()
    agent = as_user(app, app.test_client(), agent_id)
    page = agent.get("/reports/service-levels").get_data(as_text=True)
    assert "Targets met, by policy" in page and "Default goal" in page
    csv = agent.get("/reports/sla/attainment.csv").get_data(as_text=True)
    assert csv.lstrip("\ufeff").startswith("Policy,Cases,First response due,Met,Met %")
    assert "Default goal,1,1,1,100" in csv


def test_the_dashboard_counts_missed_replies_and_resolutions(app):
    _, agent_id = people(app)
    now = utcnow()
    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        org = customer.organisation
        make_case(org, status=CaseStatus.WAITING, next_reply_due_at=now - timedelta(minutes=5))
        make_case(org, status=CaseStatus.OPEN, resolution_due_at=now - timedelta(hours=1))
        make_case(  # waiting on the customer: its clock stands still
            org,
            status=CaseStatus.ANSWERED,
            resolution_due_at=now - timedelta(hours=1),
            sla_paused_at=now - timedelta(hours=3),
        )
        db.session.commit()
    agent = as_user(app, app.test_client(), agent_id)
    page = agent.get("/reports/").get_data(as_text=True)
    assert 'data-count="next_reply_overdue">1<' in page
    assert 'data-count="resolution_overdue">1<' in page
