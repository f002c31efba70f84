"""The admin's people pages through the test client: list, new staff, role, tier, active."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, AuditLog, OutboxMail, Role, User
from tests.conftest import as_user, csrf_from
from tests.factories import make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(app):
    with app.app_context():
        users = {
            "admin": make_user(Role.ADMIN, name="Ada Admin").id,
            "other_admin": make_user(Role.ADMIN, name="Otto Admin").id,
            "agent": make_user(
                Role.AGENT,
                name="Lena Lind",
                email="lena@support.example.com",
                agent_status=AgentStatus.AVAILABLE,
            ).id,
            "gone": make_user(Role.AGENT, name="Gone Agent", active=False).id,
            "billing": make_user(Role.BILLING, name="Bill Payer").id,
            "customer": make_user(Role.CUSTOMER, name="Carla Customer").id,
        }
        db.session.commit()
        return users


def names_listed(html: str) -> list[str]:
    return re.findall(r'<tr id="user-\d+"[^>]*>\s*<td>(?:<a [^>]+>)?([^<]+)<', html)


def post(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    token = csrf_from(client.get(page or url).text)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def audit_actions(app) -> list[tuple[str, int | None, dict]]:
    with app.app_context():
        return [
            (entry.action, entry.object_id, entry.details)
            for entry in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))
        ]


@pytest.mark.parametrize("role", ["agent", "billing", "customer"])
def test_only_administrators_manage_people(app, client, people, role):
    as_user(app, client, people[role])
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.get(f"/admin/users/{people['agent']}").status_code == 403
    token = csrf_from(client.get("/auth/profile").text)
    refused = client.post(
        f"/admin/users/{people['agent']}",
        data={"csrf_token": token, "role": "admin", "tier": "", "active": "y"},
    )
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.get(User, people["agent"]).role == Role.AGENT


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_list_shows_staff_and_filters_by_role_and_login(app, client, people):
    as_user(app, client, people["admin"])
    everyone = names_listed(client.get("/admin/users").text)
    assert everyone == [
        "Ada Admin",
        "Bill Payer",
        "Gone Agent",
        "Lena Lind",
        "Otto Admin",
    ]  # staff only, by name
    assert names_listed(client.get("/admin/users?role=agent").text) == ["Gone Agent", "Lena Lind"]
    assert names_listed(client.get("/admin/users?active=no").text) == ["Gone Agent"]
    assert names_listed(client.get("/admin/users?role=customer").text) == ["Carla Customer"]
    fragment = client.get("/admin/users?role=billing&active=yes", headers=HTMX)
    assert "<html" not in fragment.text and names_listed(fragment.text) == ["Bill Payer"]


def test_a_new_agent_gets_a_set_password_link_and_no_password_is_shown(app, client, people):
    as_user(app, client, people["admin"])
    response = post(
        client,
        "/admin/users/new",
        {"name": "Nina New", "email": "Nina@Support.example.com", "role": "agent", "tier": "2"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "the link is on its way to nina@support.example.com" in page
    assert 'type="password"' not in page
    assert 'type="password"' not in client.get("/admin/users/new").text
    with app.app_context():
        nina = db.session.scalar(sa.select(User).where(User.email == "nina@support.example.com"))
        assert (nina.role, nina.tier, nina.active) == (Role.AGENT, 2, True)
        assert nina.agent_status == AgentStatus.AVAILABLE
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.to_address == "nina@support.example.com"
        assert mail.subject == "Set your helpdesk password"
        link = re.search(r"http://127.0.0.1:5000(/auth/reset/[\w.-]+)", mail.body_text)[1]
        nina_id = nina.id
    assert audit_actions(app) == [("user.create", nina_id, {"role": "agent", "tier": 2})]
    anonymous = app.test_client()
    assert "For the account nina@support.example.com" in anonymous.get(link).text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "agent", "tier": ""}, "An agent needs a tier of 1, 2 or 3."),
        ({"email": "lena-at-example"}, "Enter a valid e-mail address."),
        ({"role": "customer"}, "Choose a role from the list."),
        ({"name": ""}, "Enter the name."),
    ],
)
def test_a_bad_new_login_is_refused_with_the_form_kept(app, client, people, fields, message):
    as_user(app, client, people["admin"])
    data = {"name": "Nina New", "email": "nina@example.com", "role": "billing", "tier": ""}
    response = post(client, "/admin/users/new", {**data, **fields})
    assert response.status_code == 422 and message in response.text
    assert 'value="nina@example.com"' in response.text or "lena-at-example" in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == len(people)
        assert db.session.scalar(sa.select(OutboxMail)) is None


def test_an_address_already_in_use_is_refused(app, client, people):
    as_user(app, client, people["admin"])
    with app.app_context():
        taken = db.session.get(User, people["agent"]).email
    response = post(
        client, "/admin/users/new", {"name": "Twin", "email": taken, "role": "billing", "tier": ""}
    )
    assert response.status_code == 422
    assert "An account with this e-mail address already exists." in response.text


def test_changing_role_and_tier_is_audited(app, client, people):
    as_user(app, client, people["admin"])
    url = f"/admin/users/{people['agent']}"
    response = post(client, url, {"role": "agent", "tier": "3", "active": "y"})
    assert response.status_code == 302
    assert "Lena Lind: tier changed." in client.get(url).text
    post(client, url, {"role": "billing", "tier": "3", "active": "y"})
    with app.app_context():
        lena = db.session.get(User, people["agent"])
        assert (lena.role, lena.tier, lena.agent_status) == (Role.BILLING, None, None)
    assert audit_actions(app) == [
        ("user.update", people["agent"], {"changes": {"tier": {"before": 1, "after": 3}}}),
        (
            "user.update",
            people["agent"],
            {
                "changes": {
                    "role": {"before": "agent", "after": "billing"},
                    "tier": {"before": 3, "after": None},
                }
            },
        ),
    ]


def test_deactivating_ends_the_persons_sessions(app, client, people):
    lena = app.test_client()
    as_user(app, lena, people["agent"])
    assert lena.get("/tracker/").status_code == 200
    as_user(app, client, people["admin"])
    # An unticked checkbox is simply absent from the post.
    response = post(client, f"/admin/users/{people['agent']}", {"role": "agent", "tier": "1"})
    assert response.status_code == 302
    kicked_out = lena.get("/tracker/")
    assert kicked_out.status_code == 302 and "/auth/login" in kicked_out.headers["Location"]
    with app.app_context():
        assert db.session.get(User, people["agent"]).active is False
    assert audit_actions(app)[-1][2] == {"changes": {"active": {"before": True, "after": False}}}
    assert names_listed(client.get("/admin/users?active=no").text) == ["Gone Agent", "Lena Lind"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "agent", "tier": "1", "active": "y"}, "You cannot remove your own administrator"),
        ({"role": "admin", "tier": ""}, "You cannot deactivate your own login."),
    ],
)
def test_administrators_cannot_demote_or_deactivate_themselves(app, client, people, data, message):
    as_user(app, client, people["admin"])
    response = post(client, f"/admin/users/{people['admin']}", data)
    assert response.status_code == 422 and message in response.text
    with app.app_context():
        me = db.session.get(User, people["admin"])
        assert (me.role, me.active) == (Role.ADMIN, True)
    assert audit_actions(app) == []
    assert client.get("/admin/").status_code == 200


def test_another_administrator_can_be_demoted(app, client, people):
    as_user(app, client, people["admin"])
    url = f"/admin/users/{people['other_admin']}"
    assert post(client, url, {"role": "billing", "tier": "", "active": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, people["other_admin"]).role == Role.BILLING


def test_customer_logins_and_unknown_ids_are_not_edited_here(app, client, people):
    as_user(app, client, people["admin"])
    assert client.get(f"/admin/users/{people['customer']}").status_code == 404
    assert client.get("/admin/users/99999").status_code == 404
    listing = client.get("/admin/users?role=customer").text
    assert f'href="/admin/users/{people["customer"]}"' not in listing


def test_a_new_set_password_link_can_be_mailed(app, client, people):
    as_user(app, client, people["admin"])
    url = f"/admin/users/{people['billing']}/password-link"
    response = post(client, url, {}, page=f"/admin/users/{people['billing']}")
    assert response.status_code == 302
    assert "A set-password link is on its way" in client.get(response.headers["Location"]).text
    refused = post(client, f"/admin/users/{people['gone']}/password-link", {}, page="/admin/users")
    assert "Activate the login first" in client.get(refused.headers["Location"]).text
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail.user_id)).all()
        assert mails == [people["billing"]]
    assert [action for action, *_ in audit_actions(app)] == ["user.password_link"]
