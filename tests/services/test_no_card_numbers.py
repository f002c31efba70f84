"""No full card number anywhere (PCI DSS): after every card operation the app offers, dump
every table, every log line and the audit rows, and look for the numbers typed.

The operations go through the test client as billing staff, as people would use them:
blocking cards (also a malformed and a duplicate one), unblocking, FRAUD-STOP from the
profile and from a payment, the card check when that page exists, opening an account and
registering from blocked traces, and refunds to a stored card.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedCard,
    Payment,
    PaymentCard,
    PaymentMethod,
    Role,
    SeenAddress,
    User,
)
from helpdesk.rules.cards import card_fingerprint
from tests.conftest import as_user, csrf_from, post_form
from tests.factories import make_organisation, make_user

# Processor test numbers, as people type them: with spaces, dashes or none.
VISA = "4111 1111 1111 1111"
VISA_DEBIT = "4000-0566-5566-5556"
MASTERCARD = "5555 5555 5555 4444"
AMEX = "3782 822463 10005"
BAD_LUHN = "5555 5555 5555 4445"
TYPED = (VISA, VISA_DEBIT, MASTERCARD, AMEX, BAD_LUHN)
CUSTOMER_IP = "198.51.100.77"
# PCI DSS allows at most the first six and last four digits: the seed's "first 12 digits" is
# overridden, so twelve leading digits anywhere count as a leak.
PREFIX_DIGITS = 12


def spellings(number: str) -> set[str]:
    """The number and its first twelve digits, bare, with spaces and with dashes."""
    digits = re.sub(r"\D", "", number)
    groups = [4, 6, 5] if len(digits) == 15 else [4, 4, 4, 4, 3][: (len(digits) + 3) // 4]
    parts, at = [], 0
    for size in groups:
        parts.append(digits[at : at + size])
        at += size
    found = {digits, digits[:PREFIX_DIGITS]}
    for separator in (" ", "-"):
        spaced = separator.join(p for p in parts if p)
        found.add(spaced)
        # Cut the grouped form right after its twelfth digit.
        count = 0
        for index, character in enumerate(spaced):
            count += character.isdigit()
            if count == PREFIX_DIGITS:
                found.add(spaced[: index + 1])
                break
    return found


FORBIDDEN = sorted({s for number in TYPED for s in spellings(number)}, key=len)


def test_spellings_cover_grouped_and_bare_forms():
    assert spellings(AMEX) == {
        "378282246310005",
        "378282246310",
        "3782 822463 10005",
        "3782-822463-10005",
        "3782 822463 10",
        "3782-822463-10",
    }
    assert "4000 0566 5566" in spellings(VISA_DEBIT) and "4000056655665556" in FORBIDDEN


@dataclass
class World:
    organisation_id: int
    clerk_id: int
    payment_id: int
    pages: list[str] = field(default_factory=list)


def _stored_card(organisation_id: int, number: str, brand: str, key: bytes) -> PaymentCard:
    digits = re.sub(r"\D", "", number)
    card = PaymentCard(
        organisation_id=organisation_id,
        brand=brand,
        last4=digits[-4:],
        exp_month=9,
        exp_year=2031,
        processor_token=f"tok_{brand.lower()}_{digits[-4:]}",
        fingerprint=card_fingerprint(digits, key),
    )
    db.session.add(card)
    db.session.flush()
    return card


@pytest.fixture
def world(app, client) -> World:
    with app.app_context():
        key = app.config["CARD_HASH_KEY"].encode()
        organisation = make_organisation(name="Skimmers Ltd")
        customer = make_user(Role.CUSTOMER, organisation=organisation, email="sam@skimmers.test")
        db.session.add(SeenAddress(user_id=customer.id, ip_address=CUSTOMER_IP))
        mastercard = _stored_card(organisation.id, MASTERCARD, "Mastercard", key)
        _stored_card(organisation.id, AMEX, "Amex", key)
        payment = Payment(
            organisation_id=organisation.id,
            card_id=mastercard.id,
            method=PaymentMethod.CARD,
            amount_cents=10_000,
            processor_reference="ch_skimmers",
        )
        db.session.add(payment)
        clerk = make_user(Role.BILLING, name="Bea Billing")
        db.session.commit()
        found = World(organisation.id, clerk.id, payment.id)
    as_user(app, client, found.clerk_id)
    return found


def _keep(world: World, response) -> None:
    world.pages.append(response.get_data(as_text=True))
    if response.status_code in (302, 303) and response.headers.get("Location"):
        world.pages.append(response.headers["Location"])


def _block_cards(world: World, client) -> None:
    for number in (VISA, VISA_DEBIT, BAD_LUHN, VISA.replace(" ", "-")):  # the last: duplicate
        response = post_form(
            client,
            "/system/fraud/cards",
            {"card-number": number, "card-reason": "Reported stolen"},
            page="/system/fraud",
        )
        _keep(world, response)
    _keep(world, client.get("/system/fraud"))


def _unblock_a_card(app, world: World, client) -> None:
    with app.app_context():
        blocked_id = db.session.scalar(sa.select(BlockedCard.id).where(BlockedCard.last4 == "5556"))
    response = post_form(
        client,
        f"/system/fraud/card/{blocked_id}/unblock",
        {"reason": "Card found in a drawer"},
        page="/system/fraud",
    )
    _keep(world, response)


def _check_cards(app, world: World, client) -> bool:
    """The card check (another page of the payment manager), when it exists."""
    if "billing.card_check" not in app.view_functions:
        return False
    for number in TYPED:
        response = post_form(
            client,
            "/billing/card-check",
            {"number": number, "exp_month": "9", "exp_year": "2031"},
        )
        _keep(world, response)
    return True


def _fraud_stops(world: World, client) -> None:
    profile = f"/system/customers/{world.organisation_id}"
    _keep(world, client.get(profile))
    _keep(world, post_form(client, f"{profile}/fraud-stop", {"reason": "Chargebacks"}))
    _keep(world, client.get(profile))
    payment_page = f"/billing/payments/{world.payment_id}"
    _keep(world, post_form(client, f"{payment_page}/fraud-stop", {"reason": "Again"}))
    _keep(world, client.get(payment_page))


def _refund(world: World, client) -> None:
    payment_page = f"/billing/payments/{world.payment_id}"
    html = client.get(payment_page).get_data(as_text=True)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html)
    assert key, "the payment page has a refund form"
    response = client.post(
        f"{payment_page}/refunds",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": key.group(1),
            "amount": "12.50",
            "reason": "Goodwill",
            "destination": "card",
        },
    )
    assert response.status_code == 303
    _keep(world, response)
    _keep(world, client.get(payment_page))


def _open_account_for_blocked_customer(world: World, client) -> None:
    profile = f"/system/customers/{world.organisation_id}"
    response = post_form(
        client,
        f"{profile}/accounts",
        {"account-name": "Sid Skimmer", "account-email": "sid@skimmers.test"},
        page=profile,
    )
    assert response.status_code == 422  # its cards and address are blocked by now
    _keep(world, response)


def _register_from_blocked_traces(app, world: World) -> None:
    """Registration from the customer's blocked address; with a card, if the form takes one."""
    visitor = app.test_client()
    html = visitor.get("/auth/register").get_data(as_text=True)
    data = {
        "name": "Sid Skimmer",
        "company": "Skimmers Two",
        "email": "sid2@skimmers.test",
        "password": "carding-all-night-long",
        "confirm": "carding-all-night-long",
    }
    for name in re.findall(r'name="([^"]*card[^"]*)"', html):
        data[name] = MASTERCARD
    response = post_form(visitor, "/auth/register", data, environ_base={"REMOTE_ADDR": CUSTOMER_IP})
    _keep(world, response)


def _text(value) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return f"{raw.hex()} {raw.decode('latin-1')}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def _dump_every_table() -> str:
    """Every row of every table in the database (model tables, search indexes and their shadow
    tables, the migration stamp), each value as text."""
    db.session.expire_all()
    names = set(sa.inspect(db.engine).get_table_names()) | set(db.metadata.tables)
    lines = []
    for name in sorted(names):
        rows = db.session.execute(sa.select(sa.text("*")).select_from(sa.table(name))).all()
        lines.extend(f"{name}: " + " | ".join(_text(v) for v in row) for row in rows)
    db.session.rollback()
    return "\n".join(lines)


def _log_lines(records: list[logging.LogRecord]) -> str:
    lines = []
    for record in records:
        lines.append(f"{record.name} {record.levelname} {record.getMessage()} {record.args!r}")
        if record.exc_info or record.exc_text:
            lines.append(
                logging.Formatter().formatException(record.exc_info)
                if record.exc_info
                else record.exc_text
            )
        lines.append(repr({k: v for k, v in vars(record).items() if k not in {"msg", "args"}}))
    return "\n".join(lines)


def _leaks(where: str, text: str) -> list[str]:
    return [f"{spelling!r} in {where}" for spelling in FORBIDDEN if spelling in text]


def test_no_full_card_number_in_any_table_log_line_audit_row_or_page(app, world, client, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every logger that propagates
    _block_cards(world, client)
    _unblock_a_card(app, world, client)
    checked = _check_cards(app, world, client)
    _refund(world, client)
    _fraud_stops(world, client)
    _open_account_for_blocked_customer(world, client)
    _register_from_blocked_traces(app, world)

    with app.app_context():
        dump = _dump_every_table()
        audit = "\n".join(
            f"{row.action} {json.dumps(row.details, default=str)}"
            for row in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))
        )
        actions = set(db.session.scalars(sa.select(AuditLog.action)))
        blocked = db.session.scalars(sa.select(BlockedCard.last4)).all()
        staff = db.session.get(User, world.clerk_id)
        assert staff is not None
    logs = _log_lines(caplog.records)

    # The operations really ran, so the dump holds their traces.
    assert {"fraud.block_card", "fraud.unblock", "fraud.stop", "refund.create"} <= actions
    assert sorted(blocked) == ["0005", "1111", "4444", "5556"]
    assert "blocked_attempts" in dump and "payment_cards" in dump and "FRAUD-STOP refused" in logs
    for last4 in ("1111", "5556", "4444", "0005"):
        assert last4 in dump
    leaks = (
        _leaks("the database", dump)
        + _leaks("the log", logs)
        + _leaks("the audit rows", audit)
        + [leak for n, page in enumerate(world.pages) for leak in _leaks(f"response {n}", page)]
    )
    assert leaks == [], f"card check page {'used' if checked else 'absent'}: {leaks[:5]}"
