"""Models round-trip on both databases, and the database itself refuses impossible rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedCard,
    BlockedIP,
    Case,
    CaseLink,
    CaseStatus,
    LinkKind,
    Message,
    MessageKind,
    Origin,
    OutboxMail,
    Payment,
    PaymentMethod,
    Refund,
    RefundDestination,
    Role,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)
from helpdesk.rules.network import network_range
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def _reload(obj):
    key = (type(obj), obj.id)
    db.session.commit()
    db.session.expunge_all()
    return db.session.get(*key)


def test_case_with_thread_round_trips():
    organisation = make_organisation(name="Harbor Theatre")
    customer = make_user(Role.CUSTOMER, organisation=organisation)
    agent = make_user(Role.AGENT, tier=2)
    order = make_order(organisation, version="9.1", licensed_website="tickets.harbor.example")
    case = make_case(
        organisation,
        order_id=order.id,
        requester_id=customer.id,
        assignee_id=agent.id,
        priority_factors=["phoned", "cannot_sell"],
        priority_score=13,
        tier=2,
    )
    db.session.add_all(
        [
            Message(
                case_id=case.id,
                author_id=customer.id,
                kind=MessageKind.REPLY,
                from_customer=True,
                origin=Origin.WEB,
                body="Help",
                body_html="<p>Help</p>",
            ),
            Message(
                case_id=case.id,
                author_id=agent.id,
                kind=MessageKind.NOTE,
                origin=Origin.WEB,
                body="Internal",
                body_html="<p>Internal</p>",
            ),
        ]
    )
    loaded = _reload(case)
    assert loaded.status is CaseStatus.NEW
    assert loaded.priority_factors == ["phoned", "cannot_sell"]
    assert loaded.order.licensed_website == "tickets.harbor.example"
    assert loaded.assignee.tier == 2
    assert [m.kind for m in loaded.messages] == [MessageKind.REPLY, MessageKind.NOTE]


def test_money_blocklists_outbox_and_audit_round_trip():
    organisation = make_organisation()
    payment = Payment(
        organisation_id=organisation.id, method=PaymentMethod.CARD, amount_cents=12_345
    )
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        Refund(
            payment_id=payment.id,
            amount_cents=345,
            reason="Goodwill",
            destination=RefundDestination.CARD,
            idempotency_key="k-1",
        )
    )
    network, first, last = network_range("198.51.100.0/24")
    db.session.add_all(
        [
            BlockedIP(network=network, range_start=first, range_end=last, reason="fraud"),
            BlockedCard(fingerprint="ab" * 32, brand="Visa", last4="0002", reason="stolen"),
            OutboxMail(
                to_address="a@example.test",
                subject="[#1] Hello",
                body_text="Hi",
                message_id="<1@helpdesk>",
            ),
            AuditLog(action="refund.create", details={"amount_cents": 345}),
        ]
    )
    loaded = _reload(payment)
    assert loaded.refunds[0].amount_cents == 345
    assert db.session.scalar(sa.select(BlockedIP.network)) == "198.51.100.0/24"
    assert db.session.scalar(sa.select(AuditLog.details)) == {"amount_cents": 345}


def test_refunded_total_cannot_pass_the_payment_amount():
    organisation = make_organisation()
    db.session.add(
        Payment(
            organisation_id=organisation.id,
            method=PaymentMethod.CARD,
            amount_cents=1000,
            refunded_cents=1001,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize(
    "overrides",
    [{"tier": 4}, {"estimate_minutes": -5}],
)
def test_case_check_constraints(overrides):
    organisation = make_organisation()
    with pytest.raises(IntegrityError):
        make_case(organisation, **overrides)


def test_unknown_enum_value_is_refused():
    organisation = make_organisation()
    with pytest.raises(StatementError):
        make_case(organisation, status="lost")


def test_foreign_keys_are_enforced():
    with pytest.raises(IntegrityError):
        db.session.add(
            User(
                email="x@example.test",
                name="X",
                password_hash="x",
                role=Role.CUSTOMER,
                organisation_id=999_999,
            )
        )
        db.session.flush()


def test_customer_needs_an_organisation():
    with pytest.raises(IntegrityError):
        make_user(Role.CUSTOMER, organisation_id=None, organisation=None)


def test_case_numbers_and_emails_are_unique():
    organisation = make_organisation()
    make_case(organisation, number=42)
    with pytest.raises(IntegrityError):
        make_case(organisation, number=42)


def test_case_cannot_link_to_itself():
    case = make_case(make_organisation())
    db.session.add(CaseLink(case_id=case.id, linked_case_id=case.id, kind=LinkKind.RELATED))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_shipped_needs_a_tracking_number():
    organisation = make_organisation()
    order = make_order(organisation)
    db.session.add(
        Shipment(
            order_id=order.id,
            organisation_id=organisation.id,
            item="Printer",
            status=ShipmentStatus.SHIPPED,
            scheduled_on=date.today(),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_timestamps_are_naive_utc_and_survive_the_database():
    organisation = make_organisation()
    moment = utcnow() - timedelta(days=30, seconds=1)
    case = make_case(organisation, awaiting_agent_since=moment)
    loaded = _reload(case)
    assert loaded.awaiting_agent_since == moment
    assert loaded.created_at.tzinfo is None
    assert isinstance(loaded, Case)


def test_passwords_are_hashed_at_full_scrypt_cost_outside_the_suite():
    from flask import Flask

    from helpdesk.models.accounts import hash_password

    with Flask("plain").app_context():  # an app that does not lower it, as in production
        assert hash_password("a password").startswith("scrypt:32768:8:1$")


def test_the_suite_lowers_the_cost_and_both_costs_verify(app):
    from werkzeug.security import check_password_hash

    from helpdesk.models.accounts import hash_password

    with app.app_context():
        cheap = hash_password("a password")
    assert cheap.startswith("scrypt:1024:8:1$")
    assert check_password_hash(cheap, "a password")
