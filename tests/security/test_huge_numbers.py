"""Numbers far past any column: a form error or a 404, never a 500 (found by the fuzzer)."""

from __future__ import annotations

from helpdesk.extensions import db
from helpdesk.models import Role
from tests.conftest import as_user, post_form
from tests.factories import make_case, make_organisation, make_user

HUGE = "2" * 309  # float() of it overflows


def test_a_huge_priority_weight_is_a_form_error(app, client):
    with app.app_context():
        admin = make_user(Role.ADMIN)
        db.session.commit()
        admin_id = admin.id
    as_user(app, client, admin_id)

    response = post_form(client, "/admin/priority", {"insists_on_fix": HUGE})

    assert response.status_code == 422
    assert "That number is too large." in response.text


def test_a_huge_parent_case_number_is_not_found(app, client):
    with app.app_context():
        agent = make_user(Role.AGENT, tier=2)
        case = make_case(make_organisation(), assignee_id=agent.id)
        db.session.commit()
        agent_id, number = agent.id, case.number
    as_user(app, client, agent_id)

    response = post_form(
        client,
        f"/tracker/cases/{number}/subcase",
        {"parent_number": "9" * 30},
        page=f"/tracker/cases/{number}",
    )

    assert response.status_code < 500
