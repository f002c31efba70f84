"""The case catalogue page (types, reasons, the action pick list) through the test client."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    AuditLog,
    Case,
    CaseAction,
    CaseReason,
    CaseType,
    Role,
    User,
)
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_user

HTMX = {"HX-Request": "true"}
URL = "/admin/catalogue"


@pytest.fixture
def desk(app):
    """An admin, an agent, a customer's case typed "Billing", and an unused type and action."""
    with app.app_context():
        admin = make_user(Role.ADMIN)
        agent = make_user(Role.AGENT)
        anna = make_user(Role.CUSTOMER)
        billing = CaseType(name="Billing", position=0)
        install = CaseType(name="Installation", position=1)
        called = CaseAction(name="Called customer", position=0)
        mailed = CaseAction(name="Sent web help link", position=1)
        db.session.add_all([billing, install, called, mailed])
        db.session.flush()
        refund = CaseReason(name="Refund", case_type_id=billing.id)
        db.session.add(refund)
        db.session.flush()
        case = make_case(anna.organisation, case_type_id=billing.id, case_reason_id=refund.id)
        db.session.add(
            Activity(case_id=case.id, kind=ActivityKind.ACTION, action_id=called.id, summary="x")
        )
        db.session.commit()
        return {
            "admin": admin.id,
            "agent": agent.id,
            "customer": anna.id,
            "case": case.id,
            "billing": billing.id,
            "install": install.id,
            "refund": refund.id,
            "called": called.id,
            "mailed": mailed.id,
        }


def post(client, url, data=None, **kwargs):
    token = csrf_from(client.get(URL).text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def names(app, model) -> list[tuple[str, bool]]:
    with app.app_context():
        return [
            (entry.name, entry.active)
            for entry in db.session.scalars(sa.select(model).order_by(model.position, model.id))
        ]


def actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_administrators_edit_the_catalogue(app, client, desk, role):
    as_user(app, client, desk[role])
    assert client.get(URL).status_code == 403
    token = csrf_from(client.get("/auth/profile").text)
    refused = client.post(f"{URL}/types", data={"csrf_token": token, "name": "Sneaky"})
    assert refused.status_code == 403
    assert ("Sneaky", True) not in names(app, CaseType)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_page_lists_every_kind_with_how_much_each_entry_is_used(app, client, desk):
    as_user(app, client, desk["admin"])
    html = client.get(URL).text
    for title in ("Case types", "Case reasons", "Case action pick list"):
        assert title in html
    billing_row = re.search(rf'<tr id="types-{desk["billing"]}".*?</tr>', html, re.S)[0]
    # Used by the case and by its reason: no delete button, only deactivate.
    assert '<td class="num">2</td>' in billing_row and "Delete" not in billing_row
    install_row = re.search(rf'<tr id="types-{desk["install"]}".*?</tr>', html, re.S)[0]
    assert '<td class="num">0</td>' in install_row and "Delete" in install_row


def test_adding_entries_puts_them_last_and_audits(app, client, desk):
    as_user(app, client, desk["admin"])
    assert post(client, f"{URL}/types", {"name": "  Hosting  "}).status_code == 302
    response = post(client, f"{URL}/reasons", {"name": "Expired card", "case_type_id": ""})
    assert response.status_code == 302
    assert "“Expired card” added." in client.get(URL).text
    assert names(app, CaseType)[-1] == ("Hosting", True)
    with app.app_context():
        reason = db.session.scalar(sa.select(CaseReason).where(CaseReason.name == "Expired card"))
        assert reason.case_type_id is None  # shared by every type
    assert actions(app) == ["catalogue.add", "catalogue.add"]


def test_a_reason_can_belong_to_a_type_and_names_are_unique_per_list(app, client, desk):
    as_user(app, client, desk["admin"])
    other_type = post(
        client, f"{URL}/reasons", {"name": "Refund", "case_type_id": str(desk["install"])}
    )
    assert other_type.status_code == 302  # the same name under another type is fine
    duplicate = post(
        client, f"{URL}/reasons", {"name": "refund", "case_type_id": str(desk["billing"])}
    )
    assert duplicate.status_code == 422
    assert "There is already a case reason named “refund”." in duplicate.text
    assert 'value="refund"' in duplicate.text
    dup_type = post(client, f"{URL}/types", {"name": "BILLING"}, headers=HTMX)
    assert dup_type.status_code == 200 and "<html" not in dup_type.text
    assert 'id="catalogue-types"' in dup_type.text and "already a case type" in dup_type.text
    empty = post(client, f"{URL}/actions", {"name": ""})
    assert empty.status_code == 422 and "Enter a name." in empty.text
    assert len(names(app, CaseReason)) == 2 and len(names(app, CaseType)) == 2


def test_renaming_keeps_cases_on_the_entry(app, client, desk):
    as_user(app, client, desk["admin"])
    response = post(client, f"{URL}/types/{desk['billing']}/rename", {"name": "Payments"})
    assert response.status_code == 302
    assert "“Billing” is now “Payments”." in client.get(URL).text
    with app.app_context():
        assert db.session.get(Case, desk["case"]).case_type_id == desk["billing"]
        assert db.session.get(CaseType, desk["billing"]).name == "Payments"
        entry = db.session.scalar(sa.select(AuditLog))
        assert entry.details == {"before": "Billing", "after": "Payments"}
    clash = post(client, f"{URL}/types/{desk['billing']}/rename", {"name": "installation"})
    assert clash.status_code == 422 and "already a case type" in clash.text


def test_moving_changes_the_pick_list_order(app, client, desk):
    as_user(app, client, desk["admin"])
    moved = post(client, f"{URL}/actions/{desk['mailed']}/move", {"direction": "up"}, headers=HTMX)
    assert moved.status_code == 200 and "moved up" in moved.text
    assert [name for name, _ in names(app, CaseAction)] == ["Sent web help link", "Called customer"]
    first = post(client, f"{URL}/actions/{desk['mailed']}/move", {"direction": "up"})
    assert first.status_code == 422 and "already first" in first.text
    assert (
        post(client, f"{URL}/actions/{desk['mailed']}/move", {"direction": "sideways"}).status_code
        == 400
    )
    assert actions(app) == ["catalogue.move"]


def action_picker(client, number: int) -> str:
    html = client.get(f"/tracker/cases/{number}").text
    return re.search(r'<select[^>]*name="action_id".*?</select>', html, re.S)[0]


def test_deactivating_takes_an_entry_off_the_agents_pick_list(app, client, desk):
    agent = app.test_client()
    as_user(app, agent, desk["agent"])
    with app.app_context():
        number = db.session.get(Case, desk["case"]).number
    assert "Called customer" in action_picker(agent, number)
    as_user(app, client, desk["admin"])
    response = post(client, f"{URL}/actions/{desk['called']}/active", {"active": "0"})
    assert response.status_code == 302
    assert "is off the pick list; cases keep it" in client.get(URL).text
    assert "Called customer" not in action_picker(agent, number)
    post(client, f"{URL}/actions/{desk['called']}/active", {"active": "1"})
    assert names(app, CaseAction)[0] == ("Called customer", True)
    assert actions(app) == ["catalogue.deactivate", "catalogue.activate"]


def test_an_entry_in_use_is_never_deleted(app, client, desk):
    as_user(app, client, desk["admin"])
    refused = post(client, f"{URL}/types/{desk['billing']}/delete")
    assert refused.status_code == 422
    assert "“Billing” is in use (2 references): deactivate it instead" in refused.text
    refused_action = post(client, f"{URL}/actions/{desk['called']}/delete", headers=HTMX)
    assert refused_action.status_code == 200 and "is in use (1 reference)" in refused_action.text
    deleted = post(client, f"{URL}/types/{desk['install']}/delete")
    assert deleted.status_code == 302
    assert [name for name, _ in names(app, CaseType)] == ["Billing"]
    assert names(app, CaseAction)[0] == ("Called customer", True)
    assert actions(app) == ["catalogue.delete"]


def test_stale_or_unknown_entries(app, client, desk):
    as_user(app, client, desk["admin"])
    assert post(client, f"{URL}/types/99999/rename", {"name": "X"}).status_code == 404
    stale = post(client, f"{URL}/types/99999/delete", headers=HTMX)
    assert stale.status_code == 200 and "That entry no longer exists." in stale.text
    assert post(client, f"{URL}/widgets", {"name": "X"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3
