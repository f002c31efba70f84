"""Organisations, contacts and customer logins through /api/v1: shapes, scopes, the pages'
role rules (agents and admins keep contacts; billing and admins edit customer logins), 404s
and refused bodies naming their fields."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, CaseStatus, Contact, Role, User
from tests.api.conftest import problem_fields
from tests.factories import make_case, make_order, make_organisation, make_user

API = "/api/v1"


@pytest.fixture
def world(app) -> dict:
    """Northwind (two contacts, one former; a login; a case and an order), and staff."""
    with app.app_context():
        northwind = make_organisation(
            name="Northwind Traders",
            customer_number="NW-1001",
            time_zone="Europe/Berlin",
            after_hours_support=True,
            address="1 Harbour Road\nBremen",
        )
        other = make_organisation(name="Contoso")
        login = make_user(
            Role.CUSTOMER,
            organisation=northwind,
            name="Nancy Davolio",
            email="nancy@northwind.example.com",
            phone="+49 421 100",
        )
        login.totp_secret = "JBSWY3DPEHPK3PXP"
        anna = Contact(
            organisation_id=northwind.id,
            name="Anna Accountant",
            email="anna@northwind.example.com",
            position="Accountant",
            is_primary=True,
        )
        bob = Contact(
            organisation_id=northwind.id,
            name="Bob Builder",
            former_employee=True,
            former_note="former builder",
        )
        stranger = Contact(organisation_id=other.id, name="Carl Contoso")
        db.session.add_all([anna, bob, stranger])
        make_case(northwind)
        make_case(northwind, status=CaseStatus.CLOSED)
        make_order(northwind)
        staff = {role: make_user(role) for role in (Role.AGENT, Role.BILLING, Role.ADMIN)}
        db.session.commit()
        return {
            "northwind": northwind.id,
            "other": other.id,
            "login": login.id,
            "anna": anna.id,
            "bob": bob.id,
            "stranger": stranger.id,
            **{role.value: user.id for role, user in staff.items()},
        }


def contact_url(world, key: str = "anna", organisation: str = "northwind") -> str:
    return f"{API}/organisations/{world[organisation]}/contacts/{world[key]}"


# --- organisations -------------------------------------------------------------------------


def test_organisations_are_listed_found_and_paged(client, world, bearer):
    headers = bearer(world["agent"], ["customers:read"])

    everyone = client.get(f"{API}/organisations", headers=headers)
    assert everyone.status_code == 200
    assert [o["name"] for o in everyone.json["items"]] == ["Northwind Traders", "Contoso"]
    assert everyone.json["next_cursor"] is None
    first = everyone.json["items"][0]
    assert first == {
        "id": world["northwind"],
        "name": "Northwind Traders",
        "customer_number": "NW-1001",
        "time_zone": "Europe/Berlin",
        "after_hours_support": True,
        "url": f"http://localhost/system/customers/{world['northwind']}",
    }

    by_name = client.get(f"{API}/organisations?q=wind", headers=headers).json["items"]
    by_number = client.get(f"{API}/organisations?q=nw-10", headers=headers).json["items"]
    assert [o["id"] for o in by_name] == [o["id"] for o in by_number] == [world["northwind"]]
    # LIKE's wildcards are the searcher's text, not patterns.
    assert client.get(f"{API}/organisations?q=%25", headers=headers).json["items"] == []

    page = client.get(f"{API}/organisations?limit=1", headers=headers).json
    assert [o["id"] for o in page["items"]] == [world["northwind"]]
    rest = client.get(f"{API}/organisations?limit=1&cursor={page['next_cursor']}", headers=headers)
    assert [o["id"] for o in rest.json["items"]] == [world["other"]]
    assert rest.json["next_cursor"] is None


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=bogus!", "cursor"),
        ("cursor=abc", "cursor"),
        ("q=", "q"),
    ],
)
def test_a_refused_list_query_names_the_parameter(client, world, bearer, query, field):
    response = client.get(f"{API}/organisations?{query}", headers=bearer(world["agent"]))
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert problem_fields(response) == [field]


def test_one_organisation_with_its_counts(client, world, bearer):
    response = client.get(
        f"{API}/organisations/{world['northwind']}", headers=bearer(world["billing"])
    )
    assert response.status_code == 200
    body = response.json
    assert body["address"] == "1 Harbour Road\nBremen"
    assert body["counts"] == {
        "contacts": 1,
        "former_contacts": 1,
        "logins": 1,
        "open_cases": 1,
        "orders": 1,
    }
    assert body["reseller"] is None and body["is_reseller"] is False
    assert body["created_at"].endswith("Z")


def test_reading_customers_needs_the_customers_read_scope(client, world, bearer):
    headers = bearer(world["agent"], ["cases:read", "customers:write"])
    for url in (
        f"{API}/organisations",
        f"{API}/organisations/{world['northwind']}",
        f"{API}/organisations/{world['northwind']}/contacts",
        f"{API}/customers/{world['login']}",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert "customers:read" in response.json["detail"]
    assert client.get(f"{API}/organisations").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/organisations/999999",
        "/organisations/999999/contacts",
        "/customers/999999",
    ],
)
def test_unknown_ids_are_not_found(client, world, bearer, path):
    response = client.get(API + path, headers=bearer(world["admin"]))
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


# --- contacts ------------------------------------------------------------------------------


def test_contacts_current_first_then_former_employees(client, world, bearer):
    response = client.get(
        f"{API}/organisations/{world['northwind']}/contacts", headers=bearer(world["billing"])
    )
    assert response.status_code == 200
    items = response.json["items"]
    assert [c["name"] for c in items] == ["Anna Accountant", "Bob Builder"]
    assert items[0]["is_primary"] is True and items[1]["former_employee"] is True
    assert items[1]["former_note"] == "former builder"
    assert set(items[0]) == {
        "id",
        "organisation_id",
        "name",
        "email",
        "phone",
        "position",
        "address",
        "is_primary",
        "former_employee",
        "former_note",
        "user_id",
        "created_at",
    }


def test_an_agent_changes_a_contacts_details_audited(app, client, world, bearer):
    response = client.patch(
        contact_url(world),
        json={"email": "Anna@Northwind.example.com ", "phone": "+49 421 200", "position": None},
        headers=bearer(world["agent"]),
    )
    assert response.status_code == 200
    body = response.json
    assert body["email"] == "anna@northwind.example.com"
    assert body["phone"] == "+49 421 200"
    assert body["position"] is None
    assert body["name"] == "Anna Accountant" and body["is_primary"] is True  # not sent: kept
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "contact.update")
        ).all()
        assert entry.actor_id == world["agent"]
        assert {c["field"] for c in entry.details["changes"]} == {"phone", "position"}


def test_marking_a_former_employee_and_back(client, world, bearer):
    headers = bearer(world["admin"])
    former = client.patch(contact_url(world), json={"former": True}, headers=headers)
    assert former.status_code == 200
    assert former.json["former_employee"] is True
    assert former.json["former_note"] == "former accountant"
    assert former.json["is_primary"] is False

    again = client.patch(contact_url(world), json={"former": True}, headers=headers)
    assert again.status_code == 200  # already so: nothing to do

    back = client.patch(
        contact_url(world), json={"former": False, "is_primary": True}, headers=headers
    )
    assert back.status_code == 200
    assert back.json["former_employee"] is False and back.json["is_primary"] is True

    noted = client.patch(
        contact_url(world, "anna"),
        json={"former": True, "former_note": "left for Contoso"},
        headers=headers,
    )
    assert noted.json["former_note"] == "left for Contoso"


def test_billing_staff_cannot_change_contacts(app, client, world, bearer):
    headers = bearer(world["billing"], ["customers:write"])
    response = client.patch(contact_url(world), json={"phone": "1234"}, headers=headers)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Contact, world["anna"]).phone is None


def test_changing_contacts_needs_the_customers_write_scope(client, world, bearer):
    headers = bearer(world["agent"], ["customers:read"])
    response = client.patch(contact_url(world), json={"phone": "1234"}, headers=headers)
    assert response.status_code == 403
    assert "customers:write" in response.json["detail"]


@pytest.mark.parametrize(
    "organisation, key",
    [("northwind", "stranger"), ("other", "anna"), ("northwind", "missing")],
)
def test_a_contact_of_another_organisation_is_not_found(client, world, bearer, organisation, key):
    world = {**world, "missing": 999999}
    response = client.patch(
        contact_url(world, key, organisation), json={"phone": "1"}, headers=bearer(world["agent"])
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an address"}, "email"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"phone": "call me"}, "phone"),
        ({"address": "a\u0000"}, "address"),
        ({"is_primary": "yes please"}, "is_primary"),
        ({"former_note": "left"}, "former_note"),
        ({"former": True, "is_primary": True}, "is_primary"),
        ({"mobile": "1"}, "mobile"),
    ],
)
def test_a_refused_contact_change_names_the_field_and_saves_nothing(
    app, client, world, bearer, body, field
):
    response = client.patch(contact_url(world), json=body, headers=bearer(world["agent"]))
    assert response.status_code == 422, response.json
    assert problem_fields(response) == [field]
    with app.app_context():
        contact = db.session.get(Contact, world["anna"])
        assert (contact.name, contact.email, contact.former_employee) == (
            "Anna Accountant",
            "anna@northwind.example.com",
            False,
        )


def test_an_email_another_contact_has_is_refused(app, client, world, bearer):
    with app.app_context():
        db.session.get(Contact, world["bob"]).email = "bob@northwind.example.com"
        db.session.commit()
    response = client.patch(
        contact_url(world),
        json={"email": "bob@northwind.example.com"},
        headers=bearer(world["agent"]),
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["email"]


def test_a_body_that_is_not_json(client, world, bearer):
    headers = bearer(world["agent"])
    unreadable = client.patch(
        contact_url(world), data="{oops", headers={**headers, "Content-Type": "application/json"}
    )
    assert unreadable.status_code == 400
    form = client.patch(contact_url(world), data={"phone": "1"}, headers=headers)
    assert form.status_code == 415


# --- customer logins -----------------------------------------------------------------------


def test_a_customer_login_shows_no_secrets(client, world, bearer):
    response = client.get(f"{API}/customers/{world['login']}", headers=bearer(world["agent"]))
    assert response.status_code == 200
    body = response.json
    assert body["name"] == "Nancy Davolio"
    assert body["email"] == "nancy@northwind.example.com"
    assert body["organisation"] == {"id": world["northwind"], "name": "Northwind Traders"}
    assert body["active"] is True
    text = json.dumps(body).lower()
    for secret in ("password", "scrypt", "totp", "jbswy3dp", "session_version", "secret"):
        assert secret not in text


@pytest.mark.parametrize("role", ["agent", "billing", "admin"])
def test_staff_logins_are_not_customers(client, world, bearer, role):
    response = client.get(f"{API}/customers/{world[role]}", headers=bearer(world["admin"]))
    assert response.status_code == 404
    patched = client.patch(
        f"{API}/customers/{world[role]}", json={"name": "X"}, headers=bearer(world["admin"])
    )
    assert patched.status_code == 404


@pytest.mark.parametrize("role", ["billing", "admin"])
def test_billing_and_admins_change_a_login_on_the_profiles_change_log(
    app, client, world, bearer, role
):
    response = client.patch(
        f"{API}/customers/{world['login']}",
        json={"name": "  Nancy   Davolio-Fuller ", "phone": None},
        headers=bearer(world[role]),
    )
    assert response.status_code == 200
    assert response.json["name"] == "Nancy Davolio-Fuller"
    assert response.json["phone"] is None
    with app.app_context():
        [entry] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "customer.update")
        ).all()
        assert entry.organisation_id == world["northwind"]
        assert entry.actor_id == world[role]
        assert len(entry.details["changes"]) == 2
        user = db.session.get(User, world["login"])
        assert user.email == "nancy@northwind.example.com"  # never changed here

    unchanged = client.patch(
        f"{API}/customers/{world['login']}", json={}, headers=bearer(world[role])
    )
    assert unchanged.status_code == 200
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "customer.update")
            )
            == 1
        )


def test_agents_cannot_change_customer_logins(app, client, world, bearer):
    response = client.patch(
        f"{API}/customers/{world['login']}", json={"name": "Hacked"}, headers=bearer(world["agent"])
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(User, world["login"]).name == "Nancy Davolio"
        # As on the system manager's pages, the refused change is on record.
        [row] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "refused.api.update_customer")
        ).all()
        assert (row.actor_id, row.object_type, row.object_id) == (
            world["agent"],
            "User",
            world["login"],
        )
        assert row.details["reason"] == "An agent account cannot change customer logins."


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": None}, "name"),
        ({"name": " "}, "name"),
        ({"phone": "0800-CALL-NOW"}, "phone"),
        ({"phone": "1" * 41}, "phone"),
        ({"email": "new@example.com"}, "email"),
    ],
)
def test_a_refused_login_change_names_the_field(app, client, world, bearer, body, field):
    response = client.patch(
        f"{API}/customers/{world['login']}", json=body, headers=bearer(world["admin"])
    )
    assert response.status_code == 422
    assert problem_fields(response) == [field]
    with app.app_context():
        user = db.session.get(User, world["login"])
        assert (user.name, user.phone) == ("Nancy Davolio", "+49 421 100")
