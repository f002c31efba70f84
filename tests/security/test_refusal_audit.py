"""Issue 16 item 6: a refused money or permission action leaves an audit row: who tried, what
they tried to change, from which address, and why it was refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import url_for

from helpdesk.extensions import db
from helpdesk.models import AuditLog, User
from tests.conftest import as_user
from tests.security.test_access_matrix import role_clients
from tests.security.world import build_world

REFUND = {"amount": "25.00", "reason": "Damaged in transit", "destination": "card"}


def _url(app, endpoint: str, **args) -> str:
    with app.test_request_context():
        return url_for(endpoint, **args)


def _audit_rows(app) -> list[AuditLog]:
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        db.session.expunge_all()
        return rows


def _refused_rows(app) -> list[AuditLog]:
    return [row for row in _audit_rows(app) if row.action.startswith("refused.")]


@pytest.fixture
def world(app):
    return build_world(app)


@pytest.fixture
def clients(app, world):
    return role_clients(app, world)


def _post(clients, role: str, url: str, data: dict | None = None):
    client, token = clients[role]
    response = client.post(url, data={**(data or {}), "csrf_token": token})
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    return response


def _refused(app, world, clients, role: str, endpoint: str, data: dict, **args) -> AuditLog:
    """POST as `role`, expect 403 and exactly one refusal row naming who, what and where."""
    url = _url(app, endpoint, **args)
    _post(clients, role, url, data)
    [row] = _refused_rows(app)
    assert row.action == f"refused.{endpoint}"
    assert row.actor_id == world["users"][role]
    assert row.ip_address == clients[role][0].environ_base["REMOTE_ADDR"]
    assert row.details["request"] == f"POST {url}"
    return row


def test_agent_giving_another_agent_the_admin_role_is_refused_and_audited(app, world, clients):
    target = world["other_agent"]
    values = {"role": "admin", "tier": "1", "active": "y"}
    row = _refused(app, world, clients, "agent_t1", "admin.user_edit", values, user_id=target)

    assert (row.object_type, row.object_id) == ("User", target)
    assert row.details["reason"] == "role agent is not one of: admin"
    assert row.details["values"] == values
    with app.app_context():  # and nothing changed
        assert db.session.get(User, target).role.value == "agent"


def test_agent_without_billing_permission_refunding_from_a_case_is_audited(app, world, clients):
    payment = world["payment_a"]
    data = {**REFUND, "idempotency_key": "k" * 32}
    args = {"number": world["case_a"], "payment_id": payment}
    row = _refused(app, world, clients, "agent_t2", "tracker.case_refund", data, **args)

    assert (row.object_type, row.object_id) == ("Payment", payment)
    assert row.details["reason"] == "no billing permission"
    assert row.details["values"] == {"amount": "25.00", "destination": "card"}


def test_billing_clerk_changing_an_admin_setting_is_audited(app, world, clients):
    data = {"expiry_days": "1"}
    row = _refused(app, world, clients, "billing", "admin.settings_edit", data)

    assert row.details["reason"] == "role billing is not one of: admin"
    assert row.details["fields"] == ["expiry_days"]


def test_customer_putting_an_organisation_on_fraud_stop_is_audited(app, world, clients):
    organisation = world["org_b"]
    data = {"reason": "Chargebacks"}
    args = {"organisation_id": organisation}
    row = _refused(app, world, clients, "customer_a", "system.customer_fraud_stop", data, **args)

    assert (row.object_type, row.object_id) == ("Organisation", organisation)
    assert row.details["reason"] == "role customer is not one of: admin, billing"


def test_a_refused_card_block_never_stores_the_card_number(app, clients):
    _post(clients, "agent_t1", _url(app, "system.fraud_block_card"), {"number": "4111111111111111"})

    [row] = _refused_rows(app)
    assert row.details["fields"] == ["number"]
    assert "4111111111111111" not in repr(row.details)


def test_page_views_and_visitors_are_not_audited(app, world, clients):
    agent, _token = clients["agent_t1"]
    assert agent.get(_url(app, "admin.user_list")).status_code == 403
    visitor, token = clients["anonymous"]
    response = visitor.post(_url(app, "admin.settings_edit"), data={"csrf_token": token})
    assert response.status_code == 302  # to the login page
    assert _refused_rows(app) == []


def test_the_audit_log_shows_and_filters_refusals(app, world, clients):
    url = _url(app, "admin.user_edit", user_id=world["other_agent"])
    _post(clients, "agent_t1", url, {"role": "admin"})
    admin, _token = clients["admin"]
    as_user(app, admin, world["users"]["admin"])

    page = admin.get(_url(app, "admin.audit_log", action="refused.")).get_data(as_text=True)
    assert "Refused" in page
    assert "admin.user_edit" in page
    assert "role agent is not one of: admin" in page
    assert "192.0.2." in page
