"""Customer self-registration: success, and every refusal saves nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Contact, Organisation, Role, User
from tests.conftest import post_form
from tests.factories import make_user

GOOD = {
    "name": "Rosa Diaz",
    "company": "Diaz Dance Studio",
    "email": "Rosa@Diaz.example",
    "phone": "+1 303 555 0142",
    "password": "tango-under-stars",
    "confirm": "tango-under-stars",
}


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Organisation, Contact)
        )


def test_registration_creates_organisation_login_and_contact(app, client):
    response = post_form(client, "/auth/register", GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/cases"
    page = client.get("/cases").get_data(as_text=True)
    assert "Diaz Dance Studio" in page and "You have no support cases yet." in page
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.email == "rosa@diaz.example"
        assert user.role is Role.CUSTOMER
        assert user.check_password("tango-under-stars") and "tango" not in user.password_hash
        assert user.organisation.customer_number.startswith("C")
        contact = db.session.scalar(sa.select(Contact))
        assert contact.is_primary and contact.user_id == user.id
        assert db.session.scalar(sa.select(AuditLog.action)) == "account.register"


@pytest.mark.parametrize(
    "change, field_error",
    [
        ({"password": "short", "confirm": "short"}, "Use at least 10 characters."),
        ({"password": "password123", "confirm": "password123"}, "too common"),
        ({"password": "rosadiaz-2026", "confirm": "rosadiaz-2026"}, "e-mail"),
        ({"email": "not-an-email"}, "valid e-mail"),
        ({"email": "rosa@"}, "valid e-mail"),
        ({"confirm": "something-else-entirely"}, "The passwords do not match."),
        ({"name": ""}, "This field is required."),
        ({"company": ""}, "This field is required."),
        ({"company": "x" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_bad_registration_shows_a_form_error_and_saves_nothing(app, client, change, field_error):
    response = post_form(client, "/auth/register", {**GOOD, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error in html
    assert 'class="error"' in html
    assert counts(app) == (0, 0, 0)


def test_duplicate_email_is_refused_whatever_its_case(app, client):
    with app.app_context():
        make_user(Role.CUSTOMER, email="rosa@diaz.example")
        db.session.commit()
    before = counts(app)
    response = post_form(client, "/auth/register", {**GOOD, "email": "ROSA@diaz.example"})
    assert "An account with this e-mail address already exists." in response.text
    assert counts(app) == before


def test_typed_values_are_kept_after_an_error(client):
    response = post_form(client, "/auth/register", {**GOOD, "password": "x", "confirm": "x"})
    html = response.get_data(as_text=True)
    assert 'value="Diaz Dance Studio"' in html and 'value="Rosa Diaz"' in html
    assert "tango" not in html  # passwords are never echoed back


def test_registration_without_csrf_token_is_refused(app, client):
    assert client.post("/auth/register", data=GOOD).status_code == 400
    assert counts(app) == (0, 0, 0)
