"""Own profile and password change, for every role: success, refusals, sessions, audit, mail."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, OutboxMail, Role, User
from tests.conftest import login_as, post_form
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lighthouse-keeper-42"
PROFILE = {"name": "Mara Quist", "phone": "+1 720 555 0199", "time_zone": "Europe/Oslo"}


@pytest.fixture
def user_id(app) -> int:
    with app.app_context():
        user = make_user(Role.CUSTOMER, email="mara@example.test", name="Mara Q")
        db.session.commit()
        return user.id


def load(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def log_in(client, email, password=PASSWORD, **extra):
    return post_form(client, "/auth/login", {"email": email, "password": password, **extra})


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error[^"]*"[^>]*>(.*?)</p>', html)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_its_profile(app, client, role):
    with app.app_context():
        user = make_user(role, email=f"{role}@example.test")
        db.session.commit()
        login_as(client, user)
    page = client.get("/auth/profile")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Your profile</h1>" in html
    assert f"{role}@example.test" in html and f"<dd>{role}" in html
    assert 'href="/auth/profile">Profile</a>' in html  # the link in the header
    # A new profile follows the business time zone until its owner picks one.
    assert '<option selected value="">The business time zone (America/Denver)</option>' in html
    assert "Europe/Oslo" in html


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/auth/profile", "/auth/password"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


def test_profile_edit_is_saved(app, client, user_id):
    login_as(client, load(app, user_id))
    response = post_form(client, "/auth/profile", PROFILE)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/profile"
    html = client.get("/auth/profile").get_data(as_text=True)
    assert "Your profile is saved." in html
    assert "Mara Quist <small>" in html  # the header shows the new name
    assert '<option selected value="Europe/Oslo">' in html
    user = load(app, user_id)
    assert (user.name, user.phone, user.time_zone) == (
        "Mara Quist",
        "+1 720 555 0199",
        "Europe/Oslo",
    )
    assert user.email == "mara@example.test" and user.role is Role.CUSTOMER


@pytest.mark.parametrize(
    "change, message",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"name": "x" * 121}, "Field cannot be longer than 120 characters."),
        ({"name": ""}, "This field is required."),
        ({"phone": "5" * 41}, "Field cannot be longer than 40 characters."),
    ],
)
def test_bad_profile_input_is_shown_and_nothing_is_saved(app, client, user_id, change, message):
    login_as(client, load(app, user_id))
    response = post_form(client, "/auth/profile", {**PROFILE, "email": "x@evil.test", **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert errors(html) == [message]
    assert 'aria-invalid="true"' in html
    for field in ("name", "phone"):  # what was typed is kept
        assert f'value="{change.get(field, PROFILE[field])}"' in html
    user = load(app, user_id)
    assert (user.name, user.phone, user.time_zone) == ("Mara Q", None, None)
    assert user.email == "mara@example.test"


def test_htmx_posts_get_the_form_fragment_or_a_redirect(app, client, user_id):
    login_as(client, load(app, user_id))
    htmx = {"HX-Request": "true"}
    bad = post_form(client, "/auth/profile", {**PROFILE, "time_zone": "Nowhere"}, headers=htmx)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "HX-Request" in bad.headers["Vary"]
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert "Choose a time zone from the list." in html
    good = post_form(client, "/auth/profile", PROFILE, headers=htmx)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == "/auth/profile"
    assert "Your profile is saved." in client.get("/auth/profile").get_data(as_text=True)

    weak = {"current_password": PASSWORD, "new_password": "short", "confirm": "short"}
    bad = post_form(client, "/auth/password", weak, page="/auth/profile", headers=htmx)
    html = bad.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "Use at least 10 characters." in html
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    good = post_form(client, "/auth/password", change, page="/auth/profile", headers=htmx)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == "/auth/profile"
    assert client.get("/auth/profile").status_code == 200


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    data = {"current_password": current, "new_password": new, "confirm": confirm or new}
    return post_form(client, "/auth/password", data, page="/auth/profile")


@pytest.mark.parametrize(
    "current, new, confirm, message",
    [
        ("not-my-password", NEW_PASSWORD, None, "Your current password is not correct."),
        (PASSWORD, "short", None, "Use at least 10 characters."),
        (PASSWORD, "password123", None, "This password is too common; choose another."),
        (PASSWORD, "mara-at-home-2026", None, "Do not include your e-mail address."),
        (PASSWORD, NEW_PASSWORD, "lighthouse-keeper-43", "The passwords do not match."),
        ("", NEW_PASSWORD, None, "This field is required."),
    ],
)
def test_refused_password_change_keeps_the_old_password(
    app, client, user_id, current, new, confirm, message
):
    log_in(client, "mara@example.test")
    response = change_password(client, current, new, confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in errors(html)[0]
    assert "<h1>Your profile</h1>" in html  # the whole page again, both forms
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.check_password(PASSWORD) and user.session_version == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0
    assert client.get("/auth/profile").status_code == 200


def test_weak_new_password_shows_every_policy_message(client, user_id):
    log_in(client, "mara@example.test")
    html = change_password(client, new="mara").get_data(as_text=True)
    assert errors(html) == [
        "Use at least 10 characters. Do not include your e-mail address. Do not include your name."
    ]


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, user_id):
    other = app.test_client()
    assert log_in(other, "mara@example.test").status_code == 302
    assert other.get("/auth/profile").status_code == 200
    log_in(client, "mara@example.test")

    response = change_password(client)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/profile"
    page = client.get("/auth/profile")
    assert page.status_code == 200  # this browser carries on
    assert "Your password is changed." in page.get_data(as_text=True)
    assert other.get("/auth/profile").status_code == 302  # the other one is logged out

    fresh = app.test_client()
    assert "Wrong e-mail or password." in log_in(fresh, "mara@example.test").text
    assert log_in(fresh, "mara@example.test", NEW_PASSWORD).status_code == 302

    with app.app_context():
        audit = db.session.scalars(sa.select(AuditLog)).all()
        assert [(a.action, a.actor_id, a.object_id) for a in audit] == [
            ("account.password_change", user_id, user_id)
        ]
        mails = db.session.scalars(sa.select(OutboxMail)).all()
        assert [(m.to_address, m.subject, m.user_id) for m in mails] == [
            ("mara@example.test", "Your password was changed", user_id)
        ]
        assert "was changed" in mails[0].body_text and NEW_PASSWORD not in mails[0].body_text


def test_password_change_ends_other_remember_me_cookies_but_renews_this_one(app, client, user_id):
    other = app.test_client()
    log_in(other, "mara@example.test", remember="y")
    log_in(client, "mara@example.test", remember="y")
    old_cookie = client.get_cookie("remember_token").value
    change_password(client)
    assert client.get_cookie("remember_token").value != old_cookie
    for browser in (client, other):  # the session cookie is gone, only "remember me" is left
        browser.delete_cookie("session")
    assert client.get("/auth/profile").status_code == 200
    assert other.get("/auth/profile").status_code == 302


def test_wrong_current_passwords_are_rate_limited(app, client, user_id, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    log_in(client, "mara@example.test")
    for _ in range(3):
        assert change_password(client, current="guess-guess-guess").status_code == 200
    assert change_password(client).status_code == 429
    assert load(app, user_id).check_password(PASSWORD)


@pytest.mark.parametrize(
    "url, data",
    [
        ("/auth/profile", PROFILE),
        (
            "/auth/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ),
    ],
)
def test_post_without_csrf_token_is_refused(app, client, user_id, url, data):
    login_as(client, load(app, user_id))
    assert client.post(url, data=data).status_code == 400
    user = load(app, user_id)
    assert user.name == "Mara Q" and user.check_password(PASSWORD)
