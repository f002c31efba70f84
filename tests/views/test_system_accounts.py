"""Opening an account for a customer in the system manager: the new login, its set-password
mail, duplicates, and FRAUD-STOP refusals logged at /system/fraud (seed 002, issue 6 item 9)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedAttempt,
    BlockedAttemptKind,
    Contact,
    OutboxMail,
    Role,
    User,
)
from helpdesk.services.accounts.customer_accounts import ACCOUNT_REFUSED
from helpdesk.services.fraud import fraud
from tests.conftest import as_user, post_form
from tests.views.test_system import CARD, World, build

NEW = {"account-name": "Nora Newcomer", "account-email": "Nora@Brookside.example"}
STAFF_IP = "192.0.2.200"


@pytest.fixture
def world(app, client) -> World:
    found = build(app)
    as_user(app, client, found.staff_id)
    return found


def profile_url(world: World) -> str:
    return f"/system/customers/{world.org_id}"


def open_account(client, world: World, data: dict | None = None, *, ip: str = STAFF_IP, **kw):
    return post_form(
        client,
        f"{profile_url(world)}/accounts",
        data if data is not None else NEW,
        page=profile_url(world),
        environ_base={"REMOTE_ADDR": ip},
        **kw,
    )


def logins_named(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.email == email)
        )


def block(app, world: World, kind: str, value: str) -> int:
    with app.app_context():
        staff = db.session.get(User, world.staff_id)
        if kind == "ip":
            return fraud.block_ip(value, actor=staff, reason="Chargebacks").id
        return fraud.block_card(value, actor=staff, reason="Reported stolen").id


def test_profile_offers_the_form_without_a_password_field(world, client):
    html = client.get(profile_url(world)).get_data(as_text=True)
    assert "Open an account" in html
    assert 'name="account-name"' in html and 'name="account-email"' in html
    assert 'name="account-phone"' in html
    form = html[html.index('id="open-account"') :]
    form = form[: form.index("</form>")]
    assert 'type="password"' not in form


def test_opening_an_account_mails_a_set_password_link(app, world, client):
    response = open_account(client, world, {**NEW, "account-phone": "+1 720 555 0111"})
    assert response.status_code == 302
    assert response.headers["Location"] == profile_url(world)
    html = client.get(profile_url(world)).get_data(as_text=True)
    assert (
        "The account of Nora Newcomer is open: a link to choose a password is on its way "
        "to nora@brookside.example." in html
    )
    assert "opened an account for Nora Newcomer &lt;nora@brookside.example&gt;." in html
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "nora@brookside.example"))
        assert (user.role, user.organisation_id) == (Role.CUSTOMER, world.org_id)
        assert user.phone == "+1 720 555 0111" and user.active
        contact = db.session.scalar(sa.select(Contact).where(Contact.user_id == user.id))
        assert contact.organisation_id == world.org_id and contact.name == "Nora Newcomer"
        log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "account.open"))
        assert (log.actor_id, log.object_id) == (world.staff_id, user.id)
        assert log.organisation_id == world.org_id and log.ip_address == STAFF_IP
        mail = db.session.scalar(
            sa.select(OutboxMail).where(OutboxMail.template_key == "account_opened")
        )
        assert mail.to_address == "nora@brookside.example"
        assert mail.organisation_id == world.org_id
        assert "Brookside Bakery" in mail.body_text
        link = re.search(r"http\S+(/auth/reset/\S+)", mail.body_text)
        assert link, mail.body_text
    assert link.group(1).rpartition("/")[2] not in html  # the live link is the customer's alone
    # The customer follows the link and chooses a password: the new login works.
    customer = app.test_client()
    assert customer.get(link.group(1)).status_code == 200
    chosen = "a-long-new-passphrase-42"
    done = post_form(customer, link.group(1), {"password": chosen, "confirm": chosen})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(
            sa.select(User).where(User.email == "nora@brookside.example")
        ).check_password(chosen)


def test_duplicate_email_is_a_form_error_and_keeps_what_was_typed(app, world, client):
    response = open_account(client, world, {**NEW, "account-email": "HERMIONE@brookside.example"})
    assert response.status_code == 422
    assert "An account with this e-mail address already exists." in response.text
    assert 'value="Nora Newcomer"' in response.text
    assert logins_named(app, "hermione@brookside.example") == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedAttempt)) == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"account-email": "not-an-address"}, "Enter a valid e-mail address."),
        ({"account-email": ""}, "Enter the e-mail address."),
        ({"account-name": "  "}, "Enter the person&#39;s name."),
        ({"account-phone": "call me maybe"}, "A phone number may contain only digits"),
        ({"account-name": "x" * 121}, "Field cannot be longer than 120 characters."),
    ],
)
def test_bad_input_is_a_form_error(app, world, client, changes, message):
    response = open_account(client, world, {**NEW, **changes})
    assert response.status_code == 422 and message in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0
        assert logins_named(app, "nora@brookside.example") == 0


def assert_refused(app, client, response, *, ip: str, card_last4: str | None = None) -> None:
    assert response.status_code == 422
    assert ACCOUNT_REFUSED in response.text
    for revealing in ("blocked", "198.51.100", "4242", "Chargebacks"):
        form = response.text[response.text.index('id="open-account"') :]
        assert revealing not in form[: form.index("</form>")]
    assert 'value="Nora Newcomer"' in response.text  # nothing typed is lost
    assert logins_named(app, "nora@brookside.example") == 0
    with app.app_context():
        attempt = db.session.scalar(sa.select(BlockedAttempt))
        assert attempt.kind == BlockedAttemptKind.ACCOUNT
        assert (attempt.ip_address, attempt.card_last4) == (ip, card_last4)
        assert attempt.email == "nora@brookside.example"
        assert (attempt.blocked_card_id is not None) == (card_last4 is not None)
        assert (
            db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "account.open")) is None
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1
    html = client.get("/system/fraud").get_data(as_text=True)
    attempts = html[html.index('id="list-attempts"') :]
    assert "account" in attempts and "nora@brookside.example" in attempts


def test_refused_from_a_blocked_staff_address(app, world, client):
    block(app, world, "ip", "203.0.113.0/24")
    response = open_account(client, world, ip="203.0.113.9")
    assert_refused(app, client, response, ip="203.0.113.9")


def test_refused_when_a_customer_address_is_blocked(app, world, client):
    block(app, world, "ip", "198.51.100.0/24")  # the customer was seen from 198.51.100.23
    response = open_account(client, world)
    assert_refused(app, client, response, ip="198.51.100.23")


def test_refused_when_a_stored_card_is_blocked(app, world, client):
    block(app, world, "card", CARD)
    response = open_account(client, world)
    assert_refused(app, client, response, ip=STAFF_IP, card_last4="4242")


def test_another_customers_block_does_not_refuse(app, world, client):
    with app.app_context():
        staff = db.session.get(User, world.staff_id)
        fraud.fraud_stop(world.decoy_id, actor=staff, reason="Decoy fraud")  # no traces: no-op
        fraud.block_card("5555 5555 5555 4444", actor=staff, reason="Someone else's card")
    assert open_account(client, world).status_code == 302
    assert logins_named(app, "nora@brookside.example") == 1


def test_a_lifted_block_no_longer_refuses(app, world, client):
    blocked_id = block(app, world, "card", CARD)
    assert open_account(client, world).status_code == 422
    with app.app_context():
        fraud.unblock(
            "card", blocked_id, actor=db.session.get(User, world.staff_id), reason="Card found"
        )
    assert open_account(client, world).status_code == 302
    assert logins_named(app, "nora@brookside.example") == 1


def test_htmx_gets_the_form_fragment_on_error_and_a_redirect_on_success(app, world, client):
    headers = {"HX-Request": "true"}
    refused = open_account(client, world, {**NEW, "account-email": "bad"}, headers=headers)
    assert refused.status_code == 200  # htmx swaps only 2xx answers
    assert refused.text.lstrip().startswith("<form") and "<html" not in refused.text
    assert "Enter a valid e-mail address." in refused.text
    assert "HX-Request" in refused.headers["Vary"]
    done = open_account(client, world, headers=headers)
    assert done.status_code == 204
    assert done.headers["HX-Redirect"] == profile_url(world)
    assert logins_named(app, "nora@brookside.example") == 1


def test_unknown_customer_is_404(world, client):
    response = post_form(client, "/system/customers/999999/accounts", NEW, page=profile_url(world))
    assert response.status_code == 404
