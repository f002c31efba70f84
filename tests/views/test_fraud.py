"""The FRAUD-STOP page: the "+" form for addresses and cards, unblocking, refused attempts,
and registration refused from a blocked address."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedAttempt,
    BlockedCard,
    BlockedIP,
    Contact,
    Organisation,
    OutboxMail,
    PendingRegistration,
    Role,
    User,
)
from helpdesk.services.fraud import fraud
from tests.conftest import config_for_tests, login_as, post_form
from tests.factories import make_user

CARD = "5555 5555 5555 4444"  # a processor test Mastercard
CARD_DIGITS = CARD.replace(" ", "")
BAD_LUHN = "5555 5555 5555 4445"
REFUSED = "We could not create your account. Please contact support."


@pytest.fixture
def staff_id(app, client) -> int:
    with app.app_context():
        user = make_user(Role.BILLING, name="Bea Blocker")
        db.session.commit()
        login_as(client, user)
        return user.id


def add_ip(client, network: str, reason: str = "Card testing"):
    return post_form(
        client,
        "/system/fraud/ips",
        {"ip-network": network, "ip-reason": reason},
        page="/system/fraud",
    )


def add_card(client, number: str, reason: str = "Reported stolen"):
    return post_form(
        client,
        "/system/fraud/cards",
        {"card-number": number, "card-reason": reason},
        page="/system/fraud",
    )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_page_shows_plus_form_and_empty_lists(staff_id, client):
    html = client.get("/system/fraud").get_data(as_text=True)
    assert "Block an IP address, range or card" in html
    assert 'name="ip-network"' in html and 'name="card-number"' in html
    assert 'type="password"' in html  # the card number is never written back into the page
    assert "No blocked addresses." in html and "No refused attempts." in html


def test_adding_an_address_shows_who_when_and_why(app, staff_id, client):
    response = add_ip(client, "203.0.113.0/24", "Card testing from this range")
    assert response.status_code == 302 and response.headers["Location"] == "/system/fraud"
    html = client.get("/system/fraud").get_data(as_text=True)
    assert "203.0.113.0/24 is blocked." in html
    assert "<code>203.0.113.0/24</code>" in html
    assert "Bea Blocker" in html and "Card testing from this range" in html
    assert re.search(r"<td>\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d</td>", html)
    with app.app_context():
        assert db.session.scalar(sa.select(AuditLog.action)) == "fraud.block_ip"


@pytest.mark.parametrize(
    "network, shown",
    [
        ("2001:db8::/32", "2001:db8::/32"),
        ("::ffff:198.51.100.0/120", "198.51.100.0/24"),
        ("198.51.100.7", "198.51.100.7/32"),
    ],
)
def test_ipv6_and_mapped_addresses_can_be_added(staff_id, client, network, shown):
    assert add_ip(client, network).status_code == 302
    assert f"<code>{shown}</code>" in client.get("/system/fraud").text


def test_duplicate_address_is_refused_nicely(app, staff_id, client):
    add_ip(client, "203.0.113.0/24")
    response = add_ip(client, "203.0.113.42")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "203.0.113.42/32 is already blocked (by 203.0.113.0/24)." in html
    assert '<details class="card add-block" open>' in html
    assert 'value="203.0.113.42"' in html  # the typed address stays for correcting
    assert count(app, BlockedIP) == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"ip-network": "not an address", "ip-reason": "x"}, "Enter an IP address or a range"),
        ({"ip-network": "10.0.0.0/4", "ip-reason": "x"}, "too wide"),
        ({"ip-network": "203.0.113.1", "ip-reason": ""}, "Give a reason."),
    ],
)
def test_bad_address_form_is_refused(app, staff_id, client, data, message):
    response = post_form(client, "/system/fraud/ips", data, page="/system/fraud")
    assert response.status_code == 422 and message in response.text
    assert count(app, BlockedIP) == 0


def test_adding_a_card_keeps_only_brand_last_four_and_fingerprint(app, staff_id, client, caplog):
    caplog.set_level(logging.DEBUG)
    response = add_card(client, CARD)
    assert response.status_code == 302
    html = client.get("/system/fraud").get_data(as_text=True)
    assert "Mastercard ending 4444 is blocked." in html and "Mastercard •••• 4444" in html
    assert CARD_DIGITS not in html and CARD not in html
    duplicate = add_card(client, CARD_DIGITS)
    assert duplicate.status_code == 422
    assert "Mastercard ending 4444 is already blocked." in duplicate.text
    assert CARD_DIGITS not in duplicate.text and CARD not in duplicate.text
    with app.app_context():
        assert fraud.is_card_blocked(CARD) is not None
        db.session.expire_all()
        dump = "\n".join(
            repr(db.session.execute(table.select()).all()) for table in db.metadata.sorted_tables
        )
    for text in (dump, caplog.text):
        assert CARD_DIGITS not in text and CARD not in text and CARD_DIGITS[:12] not in text
    assert count(app, BlockedCard) == 1


def test_bad_luhn_card_is_refused_and_never_echoed(app, staff_id, client, caplog):
    caplog.set_level(logging.DEBUG)
    response = add_card(client, BAD_LUHN)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "the check digit does not match" in html
    digits = BAD_LUHN.replace(" ", "")
    assert digits not in html and BAD_LUHN not in html and "4445" not in html
    assert digits not in caplog.text and BAD_LUHN not in caplog.text
    assert count(app, BlockedCard) == 0


def test_card_form_needs_a_reason_and_does_not_keep_the_number(app, staff_id, client):
    response = add_card(client, CARD, reason="")
    assert response.status_code == 422 and "Give a reason." in response.text
    assert CARD_DIGITS not in response.text and CARD not in response.text
    assert count(app, BlockedCard) == 0


def test_unblock_needs_a_reason_and_keeps_who_when_why(app, staff_id, client):
    add_ip(client, "203.0.113.0/24")
    add_card(client, CARD)
    with app.app_context():
        ip_id = db.session.scalar(sa.select(BlockedIP.id))
        card_id = db.session.scalar(sa.select(BlockedCard.id))
    url = f"/system/fraud/ip/{ip_id}/unblock"
    refused = post_form(client, url, {"reason": "  "}, page="/system/fraud")
    assert refused.status_code == 422 and "Give a reason." in refused.text
    assert f'id="unblock-ip-{ip_id}-error"' in refused.text
    with app.app_context():
        assert fraud.is_ip_blocked("203.0.113.9") is not None
    done = post_form(client, url, {"reason": "Our own office NAT"}, page="/system/fraud")
    assert done.status_code == 302
    html = client.get("/system/fraud").get_data(as_text=True)
    assert "The block is lifted." in html and "unblocked" in html
    assert "by Bea Blocker: Our own office NAT" in html
    again = post_form(client, url, {"reason": "Twice"}, page="/system/fraud")
    assert again.status_code == 422 and "already lifted" in again.text
    card_url = f"/system/fraud/card/{card_id}/unblock"
    assert post_form(client, card_url, {"reason": "Found"}, page="/system/fraud").status_code == 302
    with app.app_context():
        assert fraud.is_ip_blocked("203.0.113.9") is None
        assert fraud.is_card_blocked(CARD) is None
        actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["fraud.block_ip", "fraud.block_card", "fraud.unblock", "fraud.unblock"]
    missing = post_form(
        client, "/system/fraud/ip/999999/unblock", {"reason": "x"}, page="/system/fraud"
    )
    assert missing.status_code == 422


def test_lists_page_in_the_database_with_htmx(app, staff_id, client):
    with app.app_context():
        actor = db.session.get(User, staff_id)
        for n in range(27):
            fraud.block_ip(f"198.51.{n}.0/24", actor=actor, reason=f"Range {n}")
    html = client.get("/system/fraud").get_data(as_text=True)
    assert html.count("<code>198.51.") == 25 and "Page 1 of 2 (27 in all)" in html
    fragment = client.get("/system/fraud/list/ips?page=2", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and fragment.text.count("<code>198.51.") == 2
    assert "Unblock" in fragment.text and "Bea Blocker" in fragment.text
    plain = client.get("/system/fraud/list/ips?page=2")
    assert plain.status_code == 302 and plain.headers["Location"] == "/system/fraud?ips_page=2"
    assert client.get("/system/fraud?ips_page=2").text.count("<code>198.51.") == 2
    assert client.get("/system/fraud/list/users").status_code == 404


# --- enforcement at registration --------------------------------------------------------------

REGISTRATION = {
    "name": "Mallory Mayhem",
    "company": "Mayhem Ltd",
    "email": "mallory@mayhem.example",
    "phone": "",
    "password": "carding-all-night",
    "confirm": "carding-all-night",
}


def register_from(client, address: str, **kwargs):
    return post_form(
        client,
        "/auth/register",
        REGISTRATION,
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def block_demo_range(app) -> None:
    with app.app_context():
        actor = make_user(Role.ADMIN, name="Ada Admin")
        db.session.commit()
        fraud.block_ip("203.0.113.0/24", actor=actor, reason="Card testing")


@pytest.mark.parametrize("address", ["203.0.113.0", "203.0.113.255", "::ffff:203.0.113.5"])
def test_registration_from_a_blocked_address_is_refused_and_listed(app, client, address):
    block_demo_range(app)
    before = (count(app, User), count(app, AuditLog))
    response = register_from(client, address)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and REFUSED in html
    assert "blocked" not in html.lower() and "fraud" not in html.lower()  # no hint why
    assert (count(app, User), count(app, AuditLog)) == before
    assert count(app, Organisation) == 0 and count(app, Contact) == 0
    with app.app_context():
        attempt = db.session.scalar(sa.select(BlockedAttempt))
        assert attempt.ip_address == address and attempt.email == "mallory@mayhem.example"
    with app.app_context():
        billing = make_user(Role.BILLING)
        db.session.commit()
        login_as(client, billing)
    listed = client.get("/system/fraud").get_data(as_text=True)
    assert "registration" in listed and "mallory@mayhem.example" in listed and address in listed


def test_registration_next_to_a_blocked_range_goes_ahead(app, client):
    block_demo_range(app)
    response = register_from(client, "203.0.114.0")
    assert response.status_code == 302
    assert count(app, PendingRegistration) == 1 and count(app, BlockedAttempt) == 0


def test_finishing_a_registration_from_a_blocked_address_is_refused(app, client):
    register_from(client, "198.51.100.7")
    block_demo_range(app)
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        link = urlsplit(re.search(r"https?://\S+", mail.body_text).group()).path
    response = post_form(client, link, {}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200 and REFUSED in response.text
    assert count(app, User) == 1 and count(app, Organisation) == 0  # only the admin
    assert count(app, BlockedAttempt) == 1


def test_forwarded_address_counts_only_behind_a_configured_proxy(app, client, tmp_path):
    block_demo_range(app)
    forwarded = {"X-Forwarded-For": "203.0.113.50"}
    # No proxy configured: the header is anyone's to forge, so the socket address decides.
    assert register_from(client, "192.0.2.10", headers=forwarded).status_code == 302
    assert count(app, BlockedAttempt) == 0

    settings = config_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path)
    proxied = create_app({**settings, "PROXY_COUNT": 1})
    try:
        proxied_client = proxied.test_client()
        response = post_form(
            proxied_client,
            "/auth/register",
            {**REGISTRATION, "email": "mallory2@mayhem.example"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers=forwarded,
        )
        assert response.status_code == 200 and REFUSED in response.text
    finally:
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()
    with app.app_context():
        attempt = db.session.scalar(sa.select(BlockedAttempt))
        assert attempt.ip_address == "203.0.113.50"
