"""FRAUD-STOP services: IP ranges, cards by keyed fingerprint, the red button, enforcement."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedAttempt,
    BlockedAttemptKind,
    BlockedCard,
    BlockedIP,
    Contact,
    Organisation,
    PaymentCard,
    Role,
    SeenAddress,
    User,
)
from helpdesk.rules.cards import card_fingerprint
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.fraud import fraud
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

CARD = "4000 0566 5566 5556"  # a processor test Visa (debit): passes Luhn
CARD_DIGITS = CARD.replace(" ", "")
BAD_LUHN = "4000 0566 5566 5557"


def staff() -> User:
    user = make_user(Role.BILLING)
    db.session.commit()
    return user


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def dump_every_table() -> str:
    """Every row of every table as text: what a database dump would contain."""
    db.session.expire_all()
    return "\n".join(
        repr(db.session.execute(table.select()).all()) for table in db.metadata.sorted_tables
    )


# --- addresses and ranges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "network, inside, outside",
    [
        (
            "203.0.113.0/24",
            ["203.0.113.0", "203.0.113.255", "203.0.113.77", "::ffff:203.0.113.255"],
            ["203.0.112.255", "203.0.114.0", "::ffff:203.0.114.0", "2001:db8::cb00:7100"],
        ),
        ("198.51.100.7", ["198.51.100.7", "::ffff:198.51.100.7"], ["198.51.100.6", "198.51.100.8"]),
        (
            "2001:db8::/32",
            ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:DB8:0:0:0:0:0:1"],
            ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::", "32.1.13.184"],
        ),
        (
            "::ffff:192.0.2.0/120",  # IPv4-mapped range: the same as 192.0.2.0/24
            ["192.0.2.0", "192.0.2.255", "::ffff:192.0.2.128"],
            ["192.0.1.255", "192.0.3.0"],
        ),
        ("::ffff:192.0.2.9", ["192.0.2.9", "::ffff:c000:209"], ["192.0.2.10"]),
        ("2001:db8::1/128", ["2001:db8::1"], ["2001:db8::", "2001:db8::2"]),
    ],
)
def test_blocked_range_matches_from_first_to_last_address(network, inside, outside):
    blocked = fraud.block_ip(network, actor=staff(), reason="Card testing")
    for address in inside:
        assert fraud.is_ip_blocked(address) == blocked, address
    for address in outside:
        assert fraud.is_ip_blocked(address) is None, address


def test_mapped_range_is_stored_in_its_ipv4_form():
    actor = staff()
    blocked = fraud.block_ip("::ffff:192.0.2.0/120", actor=actor, reason="Bots")
    assert blocked.network == "192.0.2.0/24"
    assert fraud.block_ip("203.0.113.9/24", actor=actor, reason="x").network == "203.0.113.0/24"


@pytest.mark.parametrize("address", [None, "", "not-an-ip", "203.0.113", "999.1.1.1", "1.2.3.4/24"])
def test_unusable_addresses_are_never_blocked(address):
    fraud.block_ip("0.0.0.0/8", actor=staff(), reason="Reserved")
    assert fraud.is_ip_blocked(address) is None


def test_is_ip_blocked_is_one_range_query_on_the_index():
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert fraud.is_ip_blocked("203.0.113.5") is not None
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert len(statements) == 1
    assert "range_start <=" in statements[0] and "range_end >=" in statements[0]


@pytest.mark.parametrize(
    "first, second, message",
    [
        ("203.0.113.0/24", "203.0.113.0/24", "203.0.113.0/24 is already blocked."),
        (
            "203.0.113.0/24",
            "203.0.113.99",
            "203.0.113.99/32 is already blocked (by 203.0.113.0/24).",
        ),
        ("203.0.113.0/24", "::ffff:203.0.113.0/120", "203.0.113.0/24 is already blocked."),
        ("2001:db8::/32", "2001:db8:1::/48", "is already blocked (by 2001:db8::/32)."),
    ],
)
def test_duplicate_or_covered_block_is_refused_nicely(first, second, message):
    actor = staff()
    fraud.block_ip(first, actor=actor, reason="First")
    with pytest.raises(ServiceError) as refusal:
        fraud.block_ip(second, actor=actor, reason="Again")
    assert message in refusal.value.message and refusal.value.field == "network"
    assert count(BlockedIP) == 1


def test_a_wider_range_may_follow_a_narrower_one():
    actor = staff()
    fraud.block_ip("203.0.113.7", actor=actor, reason="One bot")
    fraud.block_ip("203.0.113.0/24", actor=actor, reason="The whole botnet")
    assert count(BlockedIP) == 2


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "Enter an IP address"),
        ("example.com", "Enter an IP address"),
        ("203.0.113.0/33", "Enter an IP address"),
        ("1.2.3.4/1", "too wide"),
        ("::/0", "too wide"),
        ("2001:db8::/15", "too wide"),
    ],
)
def test_malformed_or_too_wide_ranges_are_refused(text, words):
    with pytest.raises(ServiceError) as refusal:
        fraud.block_ip(text, actor=staff(), reason="Why not")
    assert words in refusal.value.message
    assert count(BlockedIP) == 0


def test_block_and_unblock_need_a_reason_and_are_audited():
    actor = staff()
    with pytest.raises(ServiceError, match="Give a reason"):
        fraud.block_ip("203.0.113.0/24", actor=actor, reason="   ")
    blocked = fraud.block_ip(
        "203.0.113.0/24", actor=actor, reason="Card testing", ip_address="192.0.2.1"
    )
    with pytest.raises(ServiceError, match="Give a reason"):
        fraud.unblock(fraud.IP, blocked.id, actor=actor, reason="")
    assert fraud.is_ip_blocked("203.0.113.1") == blocked
    fraud.unblock(fraud.IP, blocked.id, actor=actor, reason="Was our office NAT")
    assert fraud.is_ip_blocked("203.0.113.1") is None
    db.session.refresh(blocked)
    assert not blocked.active and blocked.unblocked_by_id == actor.id
    assert blocked.unblock_reason == "Was our office NAT" and blocked.unblocked_at is not None
    with pytest.raises(ServiceError, match="already lifted"):
        fraud.unblock(fraud.IP, blocked.id, actor=actor, reason="Again")
    rows = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["fraud.block_ip", "fraud.unblock"]
    assert rows[0].details["network"] == "203.0.113.0/24" and rows[0].ip_address == "192.0.2.1"
    assert rows[1].details["reason"] == "Was our office NAT"
    # Lifted, it may be blocked again: the old row stays as history.
    fraud.block_ip("203.0.113.0/24", actor=actor, reason="Back again")
    assert count(BlockedIP) == 2


def test_unblocking_something_unknown_is_refused():
    with pytest.raises(ServiceError):
        fraud.unblock(fraud.IP, 12345, actor=staff(), reason="Nothing")
    with pytest.raises(ServiceError):
        fraud.unblock("user", 1, actor=staff(), reason="Nothing")


# --- cards ------------------------------------------------------------------------------------


def test_card_is_kept_as_keyed_fingerprint_brand_and_last_four():
    blocked = fraud.block_card(CARD, actor=staff(), reason="Reported stolen")
    key = current_app.config["CARD_HASH_KEY"].encode()
    expected = hmac.new(key, CARD_DIGITS.encode(), hashlib.sha256).hexdigest()
    assert blocked.fingerprint == expected
    assert blocked.fingerprint != hashlib.sha256(CARD_DIGITS.encode()).hexdigest()
    assert (blocked.brand, blocked.last4) == ("Visa", "5556")
    assert fraud.is_card_blocked(CARD_DIGITS) == blocked
    assert fraud.is_card_blocked("4000-0566-5566-5556") == blocked
    assert fraud.is_card_blocked("4242 4242 4242 4242") is None
    assert fraud.is_card_blocked("not a card") is None
    audit_row = db.session.scalar(sa.select(AuditLog))
    assert audit_row.action == "fraud.block_card" and audit_row.details["last4"] == "5556"


@pytest.mark.parametrize(
    "number, words",
    [
        (BAD_LUHN, "check digit"),
        ("4000 0566 55", "12 to 19 digits"),
        ("4000 0566 5566 5556 x", "only digits"),
        ("", "only digits"),
    ],
)
def test_bad_card_numbers_are_refused_without_echoing_them(number, words):
    with pytest.raises(ServiceError) as refusal:
        fraud.block_card(number, actor=staff(), reason="Stolen")
    assert words in refusal.value.message and refusal.value.field == "number"
    digits = "".join(c for c in number if c.isdigit())
    assert not digits or digits not in refusal.value.message
    assert count(BlockedCard) == 0


def test_duplicate_card_is_refused_and_unblock_lifts_it():
    actor = staff()
    blocked = fraud.block_card(CARD, actor=actor, reason="Stolen")
    with pytest.raises(ServiceError, match="Visa ending 5556 is already blocked"):
        fraud.block_card(CARD_DIGITS, actor=actor, reason="Again")
    fraud.unblock(fraud.CARD, blocked.id, actor=actor, reason="Card holder found it")
    assert fraud.is_card_blocked(CARD) is None
    assert count(BlockedCard) == 1


def test_card_number_is_in_no_table_and_no_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    actor = staff()
    customer = make_user(Role.CUSTOMER)
    db.session.commit()
    blocked = fraud.block_card(CARD, actor=actor, reason="Chargeback")
    with pytest.raises(ServiceError):
        fraud.block_card(BAD_LUHN, actor=actor, reason="Typo")
    with pytest.raises(ServiceError):
        fraud.block_card(CARD, actor=actor, reason="Twice")
    assert fraud.is_card_blocked(CARD) == blocked
    fraud.record_attempt(
        BlockedAttemptKind.ORDER,
        "203.0.113.5",
        email=customer.email,
        card_last4="5556",
        blocked_card=blocked,
    )
    fraud.unblock(fraud.CARD, blocked.id, actor=actor, reason="Cleared")
    dump = dump_every_table()
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    for digits in (CARD_DIGITS, CARD, BAD_LUHN.replace(" ", ""), BAD_LUHN, CARD_DIGITS[:12]):
        assert digits not in dump
        assert digits not in logged
    assert "5556" in dump  # the last four are kept, on purpose


# --- refused attempts and enforcement at registration -----------------------------------------


def test_record_attempt_commits_and_logs_without_the_card(caplog):
    caplog.set_level(logging.WARNING, logger="helpdesk.services.fraud.fraud")
    blocked = fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    attempt = fraud.record_attempt(
        "registration", "203.0.113.5", email=" Mallory@Example.test ", blocked_ip=blocked
    )
    db.session.rollback()
    stored = db.session.get(BlockedAttempt, attempt.id)
    assert stored.kind is BlockedAttemptKind.REGISTRATION
    assert stored.email == "mallory@example.test" and stored.blocked_ip_id == blocked.id
    assert "refused registration from 203.0.113.5" in caplog.text


def register(ip: str | None):
    return accounts.register_customer(
        name="Mallory Mayhem",
        company="Mayhem Ltd",
        email="mallory@mayhem.example",
        password="carding-all-night",
        ip=ip,
    )


@pytest.mark.parametrize("ip", ["203.0.113.200", "::ffff:203.0.113.200"])
def test_registration_from_a_blocked_address_saves_only_the_attempt(ip):
    blocked = fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    audit_rows = count(AuditLog)
    with pytest.raises(ServiceError) as refusal:
        register(ip)
    assert refusal.value.message == "We could not create your account. Please contact support."
    assert "block" not in refusal.value.message.lower()
    db.session.rollback()
    assert count(Organisation) == 0 and count(Contact) == 0
    assert count(User) == 1  # the staff member who blocked
    assert count(AuditLog) == audit_rows
    attempt = db.session.scalar(sa.select(BlockedAttempt))
    assert attempt.kind is BlockedAttemptKind.REGISTRATION and attempt.ip_address == ip
    assert attempt.email == "mallory@mayhem.example" and attempt.blocked_ip_id == blocked.id


def test_registration_from_other_addresses_goes_ahead():
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    assert register("203.0.114.1").organisation.name == "Mayhem Ltd"
    nia = accounts.register_customer(
        name="Nia Long", company="Long Co", email="nia@long.example", password="walk-the-line-99"
    )
    assert nia.organisation.name == "Long Co" and count(BlockedAttempt) == 0


def test_lifted_block_no_longer_refuses_registration():
    actor = staff()
    blocked = fraud.block_ip("203.0.113.0/24", actor=actor, reason="Bots")
    fraud.unblock(fraud.IP, blocked.id, actor=actor, reason="False alarm")
    assert register("203.0.113.9").email == "mallory@mayhem.example"


# --- the red button ---------------------------------------------------------------------------


def customer_with_traces(card_key: bytes) -> Organisation:
    """Two logins seen from four addresses (one shared, one IPv6, one IPv4-mapped), two cards."""
    organisation = make_organisation(name="Carders Inc")
    first = make_user(Role.CUSTOMER, organisation=organisation)
    second = make_user(Role.CUSTOMER, organisation=organisation)
    for user, address in [
        (first, "198.51.100.10"),
        (first, "2001:db8::42"),
        (second, "198.51.100.10"),
        (second, "::ffff:192.0.2.33"),
    ]:
        db.session.add(SeenAddress(user_id=user.id, ip_address=address))
    for n, number in enumerate([CARD, CARD, "4242 4242 4242 4242"]):
        db.session.add(
            PaymentCard(
                organisation_id=organisation.id,
                brand="Visa",
                last4=number[-4:],
                exp_month=12,
                exp_year=2030,
                processor_token=f"tok_carders_{n}",
                fingerprint=card_fingerprint(number, card_key),
            )
        )
    db.session.flush()
    return organisation


def test_fraud_stop_blocks_every_address_and_card_in_one_step():
    actor = staff()
    key = current_app.config["CARD_HASH_KEY"].encode()
    organisation = customer_with_traces(key)
    bystander = make_user(Role.CUSTOMER)
    db.session.add(SeenAddress(user_id=bystander.id, ip_address="198.51.100.99"))
    db.session.commit()

    result = fraud.fraud_stop(organisation.id, actor=actor, reason="Chargebacks")

    assert sorted(result.networks) == ["192.0.2.33/32", "198.51.100.10/32", "2001:db8::42/128"]
    assert result.cards == ["Visa ending 5556", "Visa ending 4242"]
    for address in ["198.51.100.10", "2001:db8::42", "192.0.2.33", "::ffff:192.0.2.33"]:
        assert fraud.is_ip_blocked(address) is not None, address
    assert fraud.is_ip_blocked("198.51.100.99") is None
    assert fraud.is_card_blocked(CARD) is not None
    assert fraud.is_card_blocked("4242424242424242") is not None
    assert count(BlockedCard) == 2 and count(BlockedIP) == 3
    stop = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "fraud.stop"))
    assert stop.organisation_id == organisation.id and stop.actor_id == actor.id
    assert stop.details["reason"] == "Chargebacks" and len(stop.details["blocked_ip_ids"]) == 3
    assert all(b.reason == "Chargebacks" for b in db.session.scalars(sa.select(BlockedIP)))


def test_fraud_stop_twice_blocks_nothing_new_and_keeps_earlier_blocks():
    actor = staff()
    organisation = customer_with_traces(current_app.config["CARD_HASH_KEY"].encode())
    db.session.commit()
    fraud.block_ip("198.51.100.0/24", actor=actor, reason="Earlier")
    first = fraud.fraud_stop(organisation.id, actor=actor, reason="Chargebacks")
    assert "198.51.100.10/32" not in first.networks and first.already_blocked == 1
    again = fraud.fraud_stop(organisation.id, actor=actor, reason="Again")
    assert not again.changed and again.already_blocked == 5
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["fraud.block_ip", "fraud.stop"]


def test_fraud_stop_needs_a_reason_and_a_customer():
    actor = staff()
    organisation = customer_with_traces(current_app.config["CARD_HASH_KEY"].encode())
    db.session.commit()
    with pytest.raises(ServiceError, match="Give a reason"):
        fraud.fraud_stop(organisation.id, actor=actor, reason=" ")
    with pytest.raises(ServiceError):
        fraud.fraud_stop(organisation.id + 1000, actor=actor, reason="Who?")
    assert count(BlockedIP) == 0 and count(BlockedCard) == 0


def test_fraud_stop_summary_says_what_was_blocked():
    assert fraud.FraudStopResult().summary == (
        "FRAUD-STOP: every known address and card is blocked already."
    )
    some = fraud.FraudStopResult(networks=["192.0.2.1/32"], cards=["Visa ending 4242"])
    assert some.summary == "FRAUD-STOP: blocked 1 address(es) and 1 card(s)."
    some.already_blocked = 2
    assert some.summary.endswith("1 card(s); 2 were blocked already.")


# --- enforcement on a customer's account --------------------------------------------------------


def test_organisation_block_checks_request_address_seen_addresses_and_cards():
    actor = staff()
    organisation = customer_with_traces(current_app.config["CARD_HASH_KEY"].encode())
    db.session.commit()
    assert fraud.organisation_block(organisation.id, "203.0.113.5") is None

    request_block = fraud.block_ip("203.0.113.0/24", actor=actor, reason="Bots")
    match = fraud.organisation_block(organisation.id, "203.0.113.5")
    assert (match.address, match.blocked_ip.id) == ("203.0.113.5", request_block.id)

    seen_block = fraud.block_ip("192.0.2.0/24", actor=actor, reason="Carders")
    match = fraud.organisation_block(organisation.id, "198.18.0.1")
    # The IPv4-mapped spelling the login was seen from, as stored.
    assert (match.address, match.blocked_ip.id) == ("::ffff:192.0.2.33", seen_block.id)

    fraud.unblock("ip", seen_block.id, actor=actor, reason="Cleared")
    card_block = fraud.block_card("4242424242424242", actor=actor, reason="Stolen")
    match = fraud.organisation_block(organisation.id, None)
    assert (match.blocked_card.id, match.card_last4, match.blocked_ip) == (
        card_block.id,
        "4242",
        None,
    )
    fraud.unblock("card", card_block.id, actor=actor, reason="Found")
    assert fraud.organisation_block(organisation.id, None) is None
    assert fraud.organisation_block(make_organisation().id, "198.51.100.10") is None
