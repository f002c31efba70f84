"""Customer self-registration: finished by a mailed link, the same answer for a registered
address (its owner is told by mail), and every refusal saves nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Contact,
    Organisation,
    OutboxMail,
    PendingRegistration,
    Role,
    User,
)
from helpdesk.services.accounts import accounts
from tests.conftest import csrf_from, post_form
from tests.factories import make_user

GOOD = {
    "name": "Rosa Diaz",
    "company": "Diaz Dance Studio",
    "email": "Rosa@Diaz.example",
    "phone": "+1 303 555 0142",
    "password": "tango-under-stars",
    "confirm": "tango-under-stars",
}
SENT = "Check your e-mail to finish"


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Organisation, Contact, PendingRegistration)
        )


def outbox(app) -> list[OutboxMail]:
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id)).all()
        db.session.expunge_all()
        return mails


def mailed_paths(mail: OutboxMail) -> list[str]:
    return [urlsplit(link).path for link in re.findall(r"https?://\S+", mail.body_text)]


def finish_link(app) -> str:
    (mail,) = outbox(app)
    (path,) = [path for path in mailed_paths(mail) if path.startswith("/auth/register/")]
    return path


def test_registration_is_finished_by_the_mailed_link(app, client):
    response = post_form(client, "/auth/register", GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert SENT in client.get("/auth/login").text
    assert counts(app) == (0, 0, 0, 1)  # nothing else exists until the link is used
    (mail,) = outbox(app)
    assert mail.to_address == "rosa@diaz.example" and "Diaz Dance Studio" in mail.body_text
    link = finish_link(app)

    page = client.get(link)
    assert page.status_code == 200 and "rosa@diaz.example" in page.text
    assert page.headers["Cache-Control"] == "no-store"  # the address holds a live token
    assert counts(app) == (0, 0, 0, 1)  # opening the link (a mail scanner may) creates nothing

    response = post_form(client, link, {})
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
    assert counts(app) == (1, 1, 1, 0)
    assert app.test_client().get(link).status_code == 400  # used up


def strip_csrf(html: str) -> str:
    token = csrf_from(html)
    return html.replace(token, "TOKEN")


# The session cookie holds the CSRF token; the limiter's reset time follows the clock.
VARYING_HEADERS = {
    "Set-Cookie",
    "Date",
    "Retry-After",
    "X-RateLimit-Reset",
    "X-Request-Id",
}  # per request, not per address


def answer(app, email: str, ip: str) -> tuple:
    """What a visitor sees after registering `email`: the redirect, then the page it leads to."""
    visitor = app.test_client()
    response = post_form(
        visitor, "/auth/register", {**GOOD, "email": email}, environ_base={"REMOTE_ADDR": ip}
    )
    headers = sorted((k, v) for k, v in response.headers.items() if k not in VARYING_HEADERS)
    page = visitor.get(response.headers["Location"])
    return response.status_code, headers, response.data, page.status_code, strip_csrf(page.text)


def test_a_registered_address_gets_exactly_the_answer_a_new_one_gets(app):
    with app.app_context():
        make_user(Role.CUSTOMER, email="rosa@diaz.example", name="Rosa Diaz")
        db.session.commit()
    taken = answer(app, "ROSA@diaz.example", "192.0.2.1")
    new = answer(app, "rosa.diaz@dance.example", "192.0.2.2")
    assert taken == new
    assert taken[0] == 302 and ("Location", "/auth/login") in taken[1]
    assert SENT in taken[4] and "already exists" not in taken[4]


def test_the_owner_of_a_registered_address_is_told_by_mail(app, client):
    with app.app_context():
        make_user(Role.CUSTOMER, email="rosa@diaz.example", name="Rosa Diaz")
        db.session.commit()
    before = counts(app)
    post_form(client, "/auth/register", {**GOOD, "email": "ROSA@diaz.example"})
    assert counts(app) == before  # no pending registration either
    (mail,) = outbox(app)
    assert mail.to_address == "rosa@diaz.example" and mail.template_key == "registration_attempt"
    assert "tried to create a new helpdesk account" in mail.body_text
    login, reset = mailed_paths(mail)
    assert login == "/auth/login" and reset.startswith("/auth/reset/")
    assert "Choose a new password" in client.get(reset).text  # the reset link works


def test_a_link_too_old_or_made_up_finishes_nothing(app, client):
    post_form(client, "/auth/register", GOOD)
    link = finish_link(app)
    with app.app_context():
        pending = db.session.scalar(sa.select(PendingRegistration))
        pending.created_at -= timedelta(seconds=app.config["REGISTRATION_LINK_MAX_AGE"] + 1)
        db.session.commit()
    page = client.get(link)
    assert page.status_code == 400 and "This link has expired or was already used." in page.text
    assert client.get("/auth/register/made-up").status_code == 400
    assert counts(app) == (0, 0, 0, 1)


def test_a_second_link_for_an_address_registered_meanwhile_says_so(app, client):
    post_form(client, "/auth/register", GOOD)
    link = finish_link(app)
    with app.app_context():
        make_user(Role.CUSTOMER, email="rosa@diaz.example")
        db.session.commit()
    before = counts(app)
    response = post_form(client, link, {})
    assert response.status_code == 200 and accounts.ACCOUNT_EXISTS in response.text
    assert counts(app)[:3] == before[:3] and counts(app)[3] == 0
    assert client.get(link).status_code == 400


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
    assert counts(app) == (0, 0, 0, 0)


def test_typed_values_are_kept_after_an_error(client):
    response = post_form(client, "/auth/register", {**GOOD, "password": "x", "confirm": "x"})
    html = response.get_data(as_text=True)
    assert 'value="Diaz Dance Studio"' in html and 'value="Rosa Diaz"' in html
    assert "tango" not in html  # passwords are never echoed back


def test_registration_without_csrf_token_is_refused(app, client):
    assert client.post("/auth/register", data=GOOD).status_code == 400
    assert counts(app) == (0, 0, 0, 0)
