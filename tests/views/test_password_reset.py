"""Password reset by a mailed link: no enumeration, one use, expiry, forgery, rate limit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from helpdesk.extensions import db
from helpdesk.models import AuditLog, OutboxMail, Role, User
from helpdesk.services.accounts import accounts
from tests.conftest import csrf_from, post_form
from tests.factories import PASSWORD, make_user

SENT = "If an account exists for that address, we have sent a link to reset the password."
REFUSED = "This link has expired or was already used."
NEW_PASSWORD = "lighthouse-keeper-42"


@pytest.fixture
def user_id(app) -> int:
    with app.app_context():
        user = make_user(Role.AGENT, email="noor@example.test", name="Noor Haddad")
        db.session.commit()
        return user.id


def log_in(client, email="noor@example.test", password=PASSWORD):
    return post_form(client, "/auth/login", {"email": email, "password": password})


def ask_for_link(client, email):
    return post_form(client, "/auth/reset", {"email": email}, follow_redirects=True)


def outbox(app) -> list[OutboxMail]:
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail)).all()
        db.session.expunge_all()
        return mails


def mailed_path(app) -> str:
    (mail,) = outbox(app)
    (link,) = re.findall(r"https?://\S+", mail.body_text)
    return urlsplit(link).path


def set_password(client, path, password=NEW_PASSWORD, confirm=None, page=None):
    data = {"password": password, "confirm": confirm or password}
    return post_form(client, path, data, page=page)


def test_login_page_links_to_the_reset_page(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<a href="/auth/reset">Forgot your password?</a>' in html
    assert "<h1>Reset your password</h1>" in client.get("/auth/reset").get_data(as_text=True)


def test_unknown_address_gets_the_same_message_and_no_mail(app, client, user_id):
    page = ask_for_link(client, "nobody@example.test")
    assert page.status_code == 200 and SENT in page.get_data(as_text=True)
    assert outbox(app) == []


def test_inactive_account_gets_the_same_message_and_no_mail(app, client, user_id):
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert SENT in ask_for_link(client, "noor@example.test").get_data(as_text=True)
    assert outbox(app) == []


def reset_answer(app, email: str, ip: str) -> tuple:
    """The redirect a visitor gets for `email`, and the page it leads to (token stripped)."""
    visitor = app.test_client()
    response = post_form(visitor, "/auth/reset", {"email": email}, environ_base={"REMOTE_ADDR": ip})
    # The session cookie holds the CSRF token; the limiter's reset time follows the clock.
    varying = {
        "Set-Cookie",
        "Date",
        "Retry-After",
        "X-RateLimit-Reset",
        "X-Request-Id",
    }  # per request, not per address
    headers = sorted((k, v) for k, v in response.headers.items() if k not in varying)
    page = visitor.get(response.headers["Location"]).text
    return response.status_code, headers, response.data, page.replace(csrf_from(page), "TOKEN")


def test_known_and_unknown_addresses_get_exactly_the_same_answer(app, user_id):
    known = reset_answer(app, "noor@example.test", "192.0.2.1")
    unknown = reset_answer(app, "nobody@example.test", "192.0.2.2")
    assert known == unknown
    assert known[0] == 302 and ("Location", "/auth/reset") in known[1] and SENT in known[3]
    assert [mail.to_address for mail in outbox(app)] == ["noor@example.test"]


def test_known_address_gets_one_mail_with_an_absolute_link(app, client, user_id):
    page = ask_for_link(client, "  NOOR@example.test ")
    assert page.status_code == 200 and SENT in page.get_data(as_text=True)
    (mail,) = outbox(app)
    assert (mail.to_address, mail.subject, mail.user_id) == (
        "noor@example.test",
        "Reset your password",
        user_id,
    )
    assert "Hello Noor Haddad" in mail.body_text and "within 60 minutes" in mail.body_text
    assert re.search(r"http://127.0.0.1:5000/auth/reset/[\w.-]{20,}\n", mail.body_text)


def test_the_link_sets_a_new_password_once(app, client, user_id):
    elsewhere = app.test_client()
    log_in(elsewhere)
    assert elsewhere.get("/auth/profile").status_code == 200
    ask_for_link(client, "noor@example.test")
    path = mailed_path(app)

    form = client.get(path)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<h1>Choose a new password</h1>" in html
    assert "noor@example.test" in html and form.headers["Cache-Control"] == "no-store"

    weak = set_password(client, path, "noorhaddad1")
    assert weak.status_code == 200 and "Do not include your" in weak.get_data(as_text=True)
    differ = set_password(client, path, NEW_PASSWORD, "something-else-2")
    assert "The passwords do not match." in differ.get_data(as_text=True)

    done = set_password(client, path)
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"
    login_page = client.get("/auth/login").get_data(as_text=True)
    assert "Your password is set. Log in with your new password." in login_page

    assert elsewhere.get("/auth/profile").status_code == 302  # every session ended
    assert "Wrong e-mail or password." in log_in(app.test_client()).text
    assert log_in(app.test_client(), password=NEW_PASSWORD).status_code == 302
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLog.action)).all()
        assert actions == ["account.password_reset"]

    # The same link a second time: refused, whether looked at or posted to.
    again = client.get(path)
    assert again.status_code == 400
    html = again.get_data(as_text=True)
    assert REFUSED in html and 'href="/auth/reset"' in html
    second = set_password(client, path, "another-pass-77", page="/auth/login")
    assert second.status_code == 400 and REFUSED in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user_id).check_password(NEW_PASSWORD)


def test_a_newer_password_voids_older_links(app, client, user_id):
    ask_for_link(client, "noor@example.test")
    path = mailed_path(app)
    with app.app_context():
        user = db.session.get(User, user_id)
        accounts.change_password(user, PASSWORD, NEW_PASSWORD)
    assert client.get(path).status_code == 400


def test_an_expired_link_is_refused(app, client, user_id, monkeypatch):
    ask_for_link(client, "noor@example.test")
    path = mailed_path(app)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(path)
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user_id, fp: "not-a-token",
        lambda user_id, fp: URLSafeTimedSerializer("other-key", salt="password-reset").dumps(
            [user_id, fp]
        ),
        lambda user_id, fp: URLSafeTimedSerializer("test-secret-key", salt="other").dumps(
            [user_id, fp]
        ),
        lambda user_id, fp: URLSafeTimedSerializer("test-secret-key", salt="password-reset").dumps(
            [user_id, "0" * 16]
        ),
        lambda user_id, fp: URLSafeTimedSerializer("test-secret-key", salt="password-reset").dumps(
            {"id": user_id}
        ),
    ],
    ids=["garbage", "other-key", "other-salt", "wrong-fingerprint", "wrong-shape"],
)
def test_a_forged_link_is_refused(app, client, user_id, make_token):
    with app.app_context():
        fingerprint = accounts.password_fingerprint(db.session.get(User, user_id))
    path = f"/auth/reset/{make_token(user_id, fingerprint)}"
    response = client.get(path)
    assert response.status_code == 400 and REFUSED in response.get_data(as_text=True)
    assert set_password(client, path, page="/auth/reset").status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).check_password(PASSWORD)


def test_a_tampered_link_is_refused(app, client, user_id):
    ask_for_link(client, "noor@example.test")
    path = mailed_path(app)
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.get(tampered).status_code == 400


def test_requests_for_links_are_rate_limited_per_address(app, client, user_id):
    for n in range(5):
        assert ask_for_link(client, f"guess{n}@example.test").status_code == 200
    blocked = post_form(client, "/auth/reset", {"email": "noor@example.test"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    assert outbox(app) == []


def test_post_without_csrf_token_is_refused(app, client, user_id):
    assert client.post("/auth/reset", data={"email": "noor@example.test"}).status_code == 400
    assert outbox(app) == []
    with app.app_context():
        token = accounts.make_reset_token(db.session.get(User, user_id), "test-secret-key")
    response = client.post(
        f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, user_id).check_password(PASSWORD)
    assert client.get(f"/auth/reset/{token}").status_code == 200  # still unused


def test_a_forged_host_header_never_reaches_the_mailed_link(app, client, user_id):
    """Links in mail come from HELPDESK_BASE_URL, not from the request's Host header."""
    page = client.get("/auth/reset", headers={"Host": "evil.example"})
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post(
        "/auth/reset",
        data={"email": "noor@example.test", "csrf_token": token},
        headers={"Host": "evil.example"},
    )
    (mail,) = outbox(app)
    assert "evil.example" not in mail.body_text
    assert f"{app.config['BASE_URL']}/auth/reset/" in mail.body_text


def test_trusted_hosts_refuse_other_hosts(tmp_path):
    from helpdesk import create_app
    from tests.conftest import config_for_tests

    app = create_app(
        {
            **config_for_tests(f"sqlite:///{tmp_path}/h.db", tmp_path),
            "TRUSTED_HOSTS": ["support.example.com"],
        }
    )
    client = app.test_client()
    assert client.get("/auth/login", headers={"Host": "support.example.com"}).status_code == 200
    assert client.get("/auth/login", headers={"Host": "evil.example"}).status_code == 400
