"""Login, logout, remember me, safe `next`, rate limits and session invalidation."""

from __future__ import annotations

import re

import pytest

from helpdesk.extensions import db
from helpdesk.models import Role, User
from helpdesk.services.accounts.accounts import end_all_sessions
from tests.conftest import login_as, post_form
from tests.factories import PASSWORD, make_user

HOMES = {
    Role.CUSTOMER: ("/cases", "My cases"),
    Role.AGENT: ("/tracker/", "Issue tracker"),
    Role.BILLING: ("/billing/", "Payment manager"),
    Role.ADMIN: ("/admin/", "Administration"),
}


@pytest.fixture
def users(app):
    with app.app_context():
        made = {role: make_user(role, email=f"{role}@example.test") for role in Role}
        db.session.commit()
        return {role: (user.id, user.email) for role, user in made.items()}


def log_in(client, email, password=PASSWORD, **extra):
    return post_form(client, "/auth/login", {"email": email, "password": password, **extra})


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home(client, users, role):
    response = log_in(client, users[role][1])
    path, heading = HOMES[role]
    assert response.status_code == 302
    assert response.headers["Location"] == path
    page = client.get(path)
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in page.get_data(as_text=True)


def test_email_is_matched_case_insensitively(client, users):
    response = log_in(client, "  " + users[Role.AGENT][1].upper())
    assert response.headers["Location"] == "/tracker/"


@pytest.mark.parametrize(
    "email, password",
    [
        ("agent@example.test", "wrong-password-1"),
        ("nobody@example.test", PASSWORD),
    ],
)
def test_wrong_credentials_get_one_generic_message(client, users, email, password):
    response = log_in(client, email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # The same single message whether the address exists or not: nothing to enumerate.
    assert re.findall(r'<p class="error[^"]*"[^>]*>(.*?)</p>', html) == [
        "Wrong e-mail or password."
    ]
    assert client.get("/tracker/").status_code == 302  # still anonymous


def test_inactive_user_cannot_log_in(app, client, users):
    with app.app_context():
        db.session.get(User, users[Role.AGENT][0]).active = False
        db.session.commit()
    assert "Wrong e-mail or password." in log_in(client, "agent@example.test").text


def test_logout_needs_post_and_ends_the_session(client, users):
    log_in(client, users[Role.AGENT][1])
    assert client.get("/auth/logout").status_code == 405
    response = post_form(client, "/auth/logout", {}, page="/tracker/")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    anonymous = client.get("/tracker/")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/auth/login?next=")


def test_a_copied_cookie_dies_with_the_logout_but_other_browsers_stay_in(app, client, users):
    email = users[Role.AGENT][1]
    log_in(client, email, remember="y")
    thief = app.test_client()
    for name in ("session", "remember_token"):
        thief.set_cookie(name, client.get_cookie(name).value)
    laptop = app.test_client()
    log_in(laptop, email)
    assert thief.get("/tracker/").status_code == 200

    post_form(client, "/auth/logout", {}, page="/tracker/")

    assert thief.get("/tracker/").status_code == 302  # session and remember-me both dead
    assert laptop.get("/tracker/").status_code == 200


def test_remember_me_sets_a_long_lived_http_only_cookie(client, users):
    log_in(client, users[Role.CUSTOMER][1], remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only and cookie.expires is not None


def test_session_cookie_is_http_only_and_same_site(client, users):
    response = log_in(client, users[Role.CUSTOMER][1])
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in header and "SameSite=Lax" in header


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/system/", "/system/"),
        ("//evil.example/", "/billing/"),
        ("https://evil.example/", "/billing/"),
        ("/\\evil.example", "/billing/"),
        ("javascript:alert(1)", "/billing/"),
    ],
)
def test_next_only_redirects_within_the_site(client, users, target, expected):
    response = post_form(
        client,
        f"/auth/login?next={target}",
        {"email": users[Role.BILLING][1], "password": PASSWORD},
        page="/auth/login",
    )
    assert response.headers["Location"] == expected


def test_failed_logins_per_account_are_rate_limited(client, users):
    for _ in range(5):
        assert log_in(client, "agent@example.test", "wrong-password-1").status_code == 200
    blocked = log_in(client, "agent@example.test", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out by this one's failures.
    assert log_in(client, "customer@example.test").status_code == 302


def test_failed_logins_per_address_are_rate_limited(app, client, users, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "4 per minute")
    for n in range(4):
        assert log_in(client, f"guess{n}@example.test", "wrong-password-1").status_code == 200
    assert log_in(client, "agent@example.test").status_code == 429


def test_successful_logins_do_not_use_up_the_limit(client, users):
    for _ in range(7):
        assert log_in(client, "agent@example.test").status_code == 302
        post_form(client, "/auth/logout", {}, page="/tracker/")


def test_ending_all_sessions_logs_out_every_cookie(app, client, users):
    log_in(client, users[Role.AGENT][1])
    assert client.get("/tracker/").status_code == 200
    with app.app_context():
        end_all_sessions(db.session.get(User, users[Role.AGENT][0]))
    assert client.get("/tracker/").status_code == 302


def test_logged_in_user_visiting_login_goes_home(app, client, users):
    with app.app_context():
        login_as(client, db.session.get(User, users[Role.BILLING][0]))
    assert client.get("/auth/login").headers["Location"] == "/billing/"
    assert client.get("/").headers["Location"] == "/billing/"


def test_post_without_csrf_token_is_refused(client, users):
    response = client.post(
        "/auth/login", data={"email": "agent@example.test", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/tracker/").status_code == 302
