"""Two-factor login (issue 19 item 7): required for billing staff and administrators, for
every staff member when an administrator asks, recovery codes kept as hashes and shown once,
limited attempts, and an audited reset by an administrator."""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, RecoveryCode, Role, User
from helpdesk.services.core import settings
from tests.conftest import csrf_from, login_as, post_form
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("two_factor_roles")

CODES = re.compile(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")


@pytest.fixture
def people(app):
    with app.app_context():
        made = {
            role: make_user(role, email=f"{role.value}@example.test", name=f"{role.value} one")
            for role in Role
        }
        db.session.commit()
        return {role: user.id for role, user in made.items()}


def email_of(role: Role) -> str:
    return f"{role.value}@example.test"


def log_in(client, role: Role):
    return post_form(client, "/auth/login", {"email": email_of(role), "password": PASSWORD})


def code_now(app, user_id: int, clock, *, pending: bool = False, steps: int = 0) -> str:
    with app.app_context():
        user = db.session.get(User, user_id)
        key = user.totp_pending_secret if pending else user.totp_secret
    return pyotp.TOTP(key).at(clock.time() + 30 * steps)


def set_up(app, client, user_id: int, clock) -> list[str]:
    """Through the setup page (the login already began, or from the profile): the codes."""
    page = client.get("/auth/two-factor/setup")
    assert page.status_code == 200
    code = code_now(app, user_id, clock, pending=True)
    done = client.post(
        "/auth/two-factor/setup",
        data={"code": code, "csrf_token": csrf_from(page.get_data(as_text=True))},
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    return CODES.findall(done.get_data(as_text=True))


def enrolled(app, client, role: Role, people, clock) -> list[str]:
    """`role`'s user with two-factor login on, logged out again; their recovery codes."""
    assert log_in(client, role).headers["Location"] == "/auth/two-factor/setup"
    codes = set_up(app, client, people[role], clock)
    post_form(client, "/auth/logout", {}, page="/auth/profile")
    clock.advance(30)  # the next login needs the next code
    return codes


def second_step(client, code: str):
    return post_form(client, "/auth/two-factor", {"code": code})


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_billing_staff_set_up_an_app_before_they_are_logged_in(app, client, people, frozen_clock):
    response = log_in(client, Role.BILLING)
    assert response.headers["Location"] == "/auth/two-factor/setup"
    assert client.get("/billing/").status_code == 302  # not logged in yet

    page = client.get("/auth/two-factor/setup")
    html = page.get_data(as_text=True)
    assert "<svg" in html and "Scan this QR code" in html
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        key = db.session.get(User, people[Role.BILLING]).totp_pending_secret
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in html

    wrong = client.post(
        "/auth/two-factor/setup", data={"code": "000000", "csrf_token": csrf_from(html)}
    )
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)

    codes = set_up(app, client, people[Role.BILLING], frozen_clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/billing/").status_code == 200
    with app.app_context():
        user = db.session.get(User, people[Role.BILLING])
        assert user.has_two_factor and user.totp_pending_secret is None
        hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
    assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & hashes
    assert "two_factor.enabled" in audit_actions(app)


def test_login_asks_for_the_code_and_refuses_a_wrong_or_replayed_one(
    app, client, people, frozen_clock
):
    enrolled(app, client, Role.ADMIN, people, frozen_clock)
    assert log_in(client, Role.ADMIN).headers["Location"] == "/auth/two-factor"
    assert client.get("/admin/").status_code == 302

    wrong = second_step(client, "123456")
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.get_data(as_text=True)

    code = code_now(app, people[Role.ADMIN], frozen_clock)
    right = second_step(client, code[:3] + " " + code[3:])  # typed with a space
    assert right.status_code == 302 and right.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    post_form(client, "/auth/logout", {}, page="/auth/profile")
    log_in(client, Role.ADMIN)
    assert second_step(client, code).status_code == 422  # the same code cannot be used twice
    frozen_clock.advance(30)
    later = second_step(client, code_now(app, people[Role.ADMIN], frozen_clock))
    assert later.status_code == 302


def test_a_recovery_code_logs_in_once(app, client, people, frozen_clock):
    codes = enrolled(app, client, Role.BILLING, people, frozen_clock)
    log_in(client, Role.BILLING)
    response = second_step(client, codes[0].upper())
    assert response.headers["Location"] == "/billing/"
    assert "9 left" in client.get("/billing/").get_data(as_text=True)
    post_form(client, "/auth/logout", {}, page="/auth/profile")

    log_in(client, Role.BILLING)
    assert second_step(client, codes[0]).status_code == 422
    assert "two_factor.recovery_code_used" in audit_actions(app)


def test_wrong_codes_are_limited_like_passwords(app, client, people, frozen_clock):
    enrolled(app, client, Role.BILLING, people, frozen_clock)
    log_in(client, Role.BILLING)
    statuses = [second_step(client, f"00000{n}").status_code for n in range(6)]
    assert statuses == [422] * 5 + [429]


def test_the_code_must_follow_the_password_within_ten_minutes(app, client, people, frozen_clock):
    enrolled(app, client, Role.BILLING, people, frozen_clock)
    log_in(client, Role.BILLING)
    frozen_clock.advance(601)
    response = client.get("/auth/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert client.get("/billing/").status_code == 302


def test_a_login_from_before_the_rule_is_sent_to_set_up(app, client, people):
    with app.app_context():
        login_as(client, db.session.get(User, people[Role.BILLING]))
    page = client.get("/billing/")
    assert page.status_code == 302 and page.headers["Location"] == "/auth/two-factor/setup"
    fragment = client.get("/billing/", headers={"HX-Request": "true"})
    assert fragment.status_code == 204
    assert fragment.headers["HX-Redirect"] == "/auth/two-factor/setup"
    assert client.get("/auth/profile").status_code == 200  # the profile still opens


def test_agents_need_it_only_when_an_administrator_asks(app, client, people, frozen_clock):
    assert log_in(client, Role.AGENT).headers["Location"] == "/tracker/"
    post_form(client, "/auth/logout", {}, page="/auth/profile")
    assert log_in(client, Role.CUSTOMER).headers["Location"] == "/cases"
    post_form(client, "/auth/logout", {}, page="/auth/profile")

    with app.app_context():
        settings.save(db.session.get(User, people[Role.ADMIN]), {"TWO_FACTOR_ALL_STAFF": "yes"})
    assert log_in(client, Role.AGENT).headers["Location"] == "/auth/two-factor/setup"
    assert (
        log_in(app.test_client(), Role.CUSTOMER).headers["Location"] == "/cases"
    )  # customers never


def test_the_setting_is_chosen_as_yes_or_no(app, client, people):
    with app.app_context():
        login_as(client, db.session.get(User, people[Role.ADMIN]))
        user = db.session.get(User, people[Role.ADMIN])
        # The administrator has it set up, or every admin page sends them to set it up.
        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), user.created_at
        db.session.commit()
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Two-factor login for every staff member" in page
    with app.app_context():
        current = settings.values()
    data = {
        spec.key: settings.entered_form(spec, current[spec.key])
        for spec in settings.REGISTRY
        if current[spec.key] is not None
    }
    data["TWO_FACTOR_ALL_STAFF"] = "perhaps"
    refused = post_form(client, "/admin/settings", data)
    assert refused.status_code == 422 and "Choose Yes or No." in refused.get_data(as_text=True)
    data["TWO_FACTOR_ALL_STAFF"] = "yes"
    assert post_form(client, "/admin/settings", data).status_code == 302
    with app.app_context():
        assert settings.setting("TWO_FACTOR_ALL_STAFF") is True


def test_an_agent_turns_it_on_from_the_profile_and_off_again(app, client, people, frozen_clock):
    other_browser = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, people[Role.AGENT]))
        login_as(other_browser, db.session.get(User, people[Role.AGENT]))
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert "Off: your password alone logs you in." in profile

    set_up(app, client, people[Role.AGENT], frozen_clock)
    assert client.get("/tracker/").status_code == 200  # this browser stays logged in
    assert other_browser.get("/tracker/").status_code == 302  # the other one is logged out
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert "Recovery codes left: 10 of 10." in profile

    wrong = post_form(client, "/auth/two-factor/off", {"password": "nope"}, page="/auth/profile")
    assert wrong.status_code == 422 and "Your password is not right." in wrong.get_data(
        as_text=True
    )
    off = post_form(client, "/auth/two-factor/off", {"password": PASSWORD}, page="/auth/profile")
    assert off.status_code == 302
    with app.app_context():
        assert not db.session.get(User, people[Role.AGENT]).has_two_factor
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0
    assert "two_factor.disabled" in audit_actions(app)


def test_billing_staff_cannot_turn_it_off(app, client, people, frozen_clock):
    log_in(client, Role.BILLING)
    set_up(app, client, people[Role.BILLING], frozen_clock)
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert "Turn two-factor login off" not in profile
    off = post_form(client, "/auth/two-factor/off", {"password": PASSWORD}, page="/auth/profile")
    assert off.status_code == 422 and "cannot be turned off" in off.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people[Role.BILLING]).has_two_factor


def test_new_recovery_codes_replace_the_old_ones(app, client, people, frozen_clock):
    old = enrolled(app, client, Role.BILLING, people, frozen_clock)
    log_in(client, Role.BILLING)
    second_step(client, code_now(app, people[Role.BILLING], frozen_clock))
    frozen_clock.advance(30)
    made = post_form(
        client,
        "/auth/two-factor/recovery-codes",
        {"code": code_now(app, people[Role.BILLING], frozen_clock)},
        page="/auth/profile",
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    new = CODES.findall(made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    post_form(client, "/auth/logout", {}, page="/auth/profile")
    log_in(client, Role.BILLING)
    assert second_step(client, old[1]).status_code == 422
    assert second_step(client, new[1]).status_code == 302


def test_an_administrator_resets_a_lost_phone(app, client, people, frozen_clock):
    enrolled(app, client, Role.BILLING, people, frozen_clock)
    billing_browser = app.test_client()
    with app.app_context():
        login_as(billing_browser, db.session.get(User, people[Role.BILLING]))
        admin = db.session.get(User, people[Role.ADMIN])
        admin.totp_secret, admin.totp_enabled_at = pyotp.random_base32(), admin.created_at
        db.session.commit()
        login_as(client, admin)
    url = f"/admin/users/{people[Role.BILLING]}"
    assert "Reset two-factor login" in client.get(url).get_data(as_text=True)
    done = post_form(client, f"{url}/two-factor/reset", {}, page=url)
    assert done.status_code == 303
    assert "set up their app again" in client.get(url).get_data(as_text=True)
    assert billing_browser.get("/billing/").status_code == 302  # their logins ended
    with app.app_context():
        assert not db.session.get(User, people[Role.BILLING]).has_two_factor
        entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "two_factor.reset"))
        assert entry.actor_id == people[Role.ADMIN]
        assert entry.object_id == people[Role.BILLING]
    again = post_form(client, f"{url}/two-factor/reset", {}, page=url)
    assert again.status_code == 303
    assert "has no two-factor login to reset" in client.get(url).get_data(as_text=True)


def test_only_administrators_reset_it(app, client, people, frozen_clock):
    with app.app_context():
        login_as(client, db.session.get(User, people[Role.AGENT]))
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    refused = client.post(
        f"/admin/users/{people[Role.BILLING]}/two-factor/reset", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    assert any(a.startswith("refused.") for a in audit_actions(app))


def test_customers_cannot_open_the_setup_page(app, client, people):
    with app.app_context():
        login_as(client, db.session.get(User, people[Role.CUSTOMER]))
    assert client.get("/auth/two-factor/setup").status_code == 404
    assert "Two-factor login" not in client.get("/auth/profile").get_data(as_text=True)


@pytest.mark.parametrize("code", ["", "x" * 500, "²²²²²²", "%00", "99999999999999999999"])
def test_odd_codes_get_a_message_not_an_error(app, client, people, frozen_clock, code):
    enrolled(app, client, Role.BILLING, people, frozen_clock)
    log_in(client, Role.BILLING)
    response = second_step(client, code)
    assert response.status_code == 422
