"""The priority panel on the case page and the admin's weights page, through the test client."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, ActivityKind, AuditLog, Case, Role, Setting
from helpdesk.rules.priority import FACTORS
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_organisation, make_user

HTMX = {"HX-Request": "true"}
WORKED_EXAMPLE = ["cannot_sell", "after_hours_overnight", "after_hours_overnight"]


@pytest.fixture
def people(app):
    with app.app_context():
        users = {
            "agent": make_user(Role.AGENT).id,
            "admin": make_user(Role.ADMIN).id,
            "customer": make_user(Role.CUSTOMER).id,
            "billing": make_user(Role.BILLING).id,
        }
        db.session.commit()
        return users


def add_case(app, **fields) -> int:
    with app.app_context():
        case = make_case(make_organisation(), **fields)
        db.session.commit()
        return case.number


def load(app, number) -> Case:
    with app.app_context():
        case = db.session.scalar(sa.select(Case).where(Case.number == number))
        db.session.expunge(case)
        return case


def post_factors(client, number, data, **kwargs):
    token = csrf_from(client.get(f"/tracker/cases/{number}").text)
    return client.post(
        f"/tracker/cases/{number}/priority-factors",
        data={"csrf_token": token, **data},
        **kwargs,
    )


def test_case_page_shows_the_score_level_breakdown_and_actions(app, client, people):
    number = add_case(app, priority_factors=WORKED_EXAMPLE, priority_score=20)
    page = as_user(app, client, people["agent"]).get(f"/tracker/cases/{number}").text
    assert 'class="priority-level priority-high">high<' in page
    assert "score <strong>20</strong>" in page
    assert "Customer cannot process a sale" in page and "Call the customer right away." in page
    assert "+5 &times; 2 = +10" in page
    assert "Call the customer back, then follow up by e-mail with a link to the help" in page
    assert "set by hand" not in page
    # The form shows what the case has: a tick and a count of two.
    assert 'id="pf-cannot_sell" name="cannot_sell" type="checkbox" value="y"' in page
    assert 'name="after_hours_overnight" size="2" type="number" value="2"' in page
    # The manual override is still offered.
    assert f'action="/tracker/cases/{number}/priority"' in page


def test_a_manual_score_is_marked_as_such(app, client, people):
    number = add_case(app, priority_factors=["phoned"], priority_score=30)
    page = as_user(app, client, people["agent"]).get(f"/tracker/cases/{number}").text
    assert ">urgent<" in page and "the factors now give 3" in page


def test_posting_factors_recomputes_the_score(app, client, people):
    number = add_case(app, priority_factors=["phoned"], priority_score=3)
    as_user(app, client, people["agent"])
    response = post_factors(client, number, {"after_hours_overnight": "2", "cannot_sell": "y"})
    assert response.status_code == 302
    case = load(app, number)
    assert case.priority_factors == WORKED_EXAMPLE and case.priority_score == 20
    page = client.get(f"/tracker/cases/{number}").text
    assert "Priority factors saved." in page and ">high<" in page
    with app.app_context():
        activity = db.session.scalar(sa.select(Activity).where(Activity.case_id == case.id))
    assert activity.kind == ActivityKind.PRIORITY
    assert activity.summary in page


def test_unticking_everything_clears_the_factors(app, client, people):
    number = add_case(app, priority_factors=["phoned", "cannot_sell"], priority_score=13)
    as_user(app, client, people["agent"])
    assert post_factors(client, number, {"phoned": "0"}).status_code == 302
    case = load(app, number)
    assert case.priority_factors == [] and case.priority_score == 0


def test_posting_factors_with_htmx_redirects_the_whole_page(app, client, people):
    number = add_case(app)
    as_user(app, client, people["agent"])
    response = post_factors(client, number, {"phoned": "1"}, headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/tracker/cases/{number}"
    assert load(app, number).priority_score == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phoned": "abc"}, "Not a valid integer value."),
        ({"phoned": "-1"}, "Count from 0 to 9."),
        ({"phoned": "10"}, "Count from 0 to 9."),
    ],
)
def test_bad_factor_input_gives_a_form_error(app, client, people, data, message):
    number = add_case(app, priority_factors=["cannot_sell"], priority_score=10)
    as_user(app, client, people["agent"])
    response = post_factors(client, number, data)
    assert response.status_code == 422
    assert f'<p class="error" id="pf-phoned-error">{message}</p>' in response.text
    assert '<details class="priority-edit" open>' in response.text
    assert load(app, number).priority_factors == ["cannot_sell"]


def test_bad_factor_input_with_htmx_returns_the_panel_with_its_error(app, client, people):
    number = add_case(app)
    as_user(app, client, people["agent"])
    response = post_factors(client, number, {"phoned": "lots"}, headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert response.text.lstrip().startswith('<div class="priority-panel" id="priority">')
    assert "Not a valid integer value." in response.text and "<html" not in response.text


def test_factors_without_the_csrf_token_are_refused(app, client, people):
    number = add_case(app)
    as_user(app, client, people["agent"])
    response = client.post(f"/tracker/cases/{number}/priority-factors", data={"phoned": "1"})
    assert response.status_code in (400, 422)
    assert load(app, number).priority_score == 0


def test_a_bad_manual_score_still_shows_the_stored_factors(app, client, people):
    number = add_case(app, priority_factors=["phoned", "phoned"], priority_score=6)
    as_user(app, client, people["agent"])
    token = csrf_from(client.get(f"/tracker/cases/{number}").text)
    response = client.post(
        f"/tracker/cases/{number}/priority", data={"csrf_token": token, "priority_score": "x"}
    )
    assert response.status_code == 422 and "Not a valid integer value." in response.text
    assert 'name="phoned" size="2" type="number" value="2"' in response.text


@pytest.mark.parametrize("role", ["customer", "billing"])
def test_only_staff_set_factors(app, client, people, role):
    number = add_case(app)
    as_user(app, client, people[role])
    token = csrf_from(client.get("/auth/profile").text)
    response = client.post(
        f"/tracker/cases/{number}/priority-factors", data={"csrf_token": token, "phoned": "1"}
    )
    assert response.status_code == 403
    assert load(app, number).priority_score == 0


# Admin -------------------------------------------------------------------------------------


def weights_form(**overrides) -> dict:
    return {f.code: str(overrides.get(f.code, f.weight)) for f in FACTORS}


def test_admin_home_links_to_the_weights(app, client, people):
    page = as_user(app, client, people["admin"]).get("/admin/").text
    assert 'href="/admin/priority"' in page


def test_admin_sees_and_saves_the_weights(app, client, people):
    as_user(app, client, people["admin"])
    page = client.get("/admin/priority")
    assert page.status_code == 200
    assert (
        "Customer cannot process a sale" in page.text
        and "Bring it to the attention of management." in page.text
    )
    token = csrf_from(page.text)
    response = client.post(
        "/admin/priority", data={"csrf_token": token, **weights_form(phoned=4, insists_on_fix=-8)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/priority"
    with app.app_context():
        assert db.session.get(Setting, "priority_weights").value == {
            "phoned": 4,
            "insists_on_fix": -8,
        }
        assert db.session.scalar(sa.select(AuditLog.action)) == "priority.weights"
    shown = client.get("/admin/priority").text
    assert "Priority weights saved." in shown
    assert 'name="phoned" required size="4" type="number" value="4"' in shown


def test_new_weights_show_on_the_case_page(app, client, people):
    number = add_case(app)
    as_user(app, client, people["admin"])
    token = csrf_from(client.get("/admin/priority").text)
    client.post("/admin/priority", data={"csrf_token": token, **weights_form(phoned=4)})
    assert post_factors(client, number, {"phoned": "2"}).status_code == 302
    assert load(app, number).priority_score == 8


@pytest.mark.parametrize("value", ["51", "-51", "abc", ""])
def test_admin_bad_weight_gives_a_form_error(app, client, people, value):
    as_user(app, client, people["admin"])
    token = csrf_from(client.get("/admin/priority").text)
    response = client.post(
        "/admin/priority", data={"csrf_token": token, **weights_form(phoned=value)}
    )
    assert response.status_code == 422
    assert 'id="phoned-error"' in response.text
    with app.app_context():
        assert db.session.get(Setting, "priority_weights") is None


@pytest.mark.parametrize("role", ["agent", "customer", "billing"])
def test_non_admins_get_403(app, client, people, role):
    as_user(app, client, people[role])
    assert client.get("/admin/priority").status_code == 403
    token = csrf_from(client.get("/auth/profile").text)
    response = client.post("/admin/priority", data={"csrf_token": token, **weights_form(phoned=9)})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Setting, "priority_weights") is None


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/admin/priority")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
