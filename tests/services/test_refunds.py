"""Refunds: never more than paid, prepaid ledger, audit and mail, idempotent by key."""

from __future__ import annotations

import json
import re
import secrets

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Organisation,
    OutboxMail,
    Payment,
    PaymentCard,
    PaymentMethod,
    PaymentStatus,
    PrepaidEntry,
    Refund,
    RefundDestination,
    Role,
    User,
)
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds
from tests.factories import make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

LONG_DIGITS = re.compile(r"\d{12,}")


def make_card(organisation: Organisation, **overrides) -> PaymentCard:
    """A stored card; token and fingerprint hold a full test number, as a leak canary."""
    card = PaymentCard(
        **{
            "organisation_id": organisation.id,
            "brand": "Visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2031,
            "processor_token": f"tok_4242424242424242_{secrets.token_hex(4)}",
            "fingerprint": f"4242424242424242{secrets.token_hex(8)}",
            **overrides,
        }
    )
    db.session.add(card)
    db.session.flush()
    return card


def make_payment(
    organisation: Organisation | None = None, *, card: bool = True, **overrides
) -> Payment:
    """A succeeded card payment of $100.00 (no card and prepaid method with card=False)."""
    organisation = organisation or make_organisation()
    stored = make_card(organisation) if card else None
    payment = Payment(
        **{
            "organisation_id": organisation.id,
            "card_id": stored.id if stored else None,
            "method": PaymentMethod.CARD if card else PaymentMethod.PREPAID,
            "amount_cents": 10_000,
            "processor_reference": "ch_test",
            **overrides,
        }
    )
    db.session.add(payment)
    db.session.flush()
    return payment


@pytest.fixture
def clerk() -> User:
    return make_user(Role.BILLING, name="Bea Billing")


@pytest.fixture
def payment() -> Payment:
    organisation = make_organisation(name="Acme Hosting")
    make_user(Role.CUSTOMER, organisation=organisation, email="cleo@acme.example", name="Cleo")
    payment = make_payment(organisation)
    db.session.commit()
    return payment


def do_refund(clerk: User, payment: Payment, amount: int, **overrides) -> refunds.RefundResult:
    fields = {
        "actor": clerk,
        "payment_id": payment.id,
        "amount_cents": amount,
        "reason": "Goodwill after the outage",
        "destination": RefundDestination.CARD,
        "idempotency_key": secrets.token_urlsafe(32),
        "ip": "203.0.113.9",
        **overrides,
    }
    return refunds.refund(**fields)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def refunded(payment_id: int) -> int:
    return db.session.scalar(sa.select(Payment.refunded_cents).where(Payment.id == payment_id))


def test_full_refund(clerk, payment):
    result = do_refund(clerk, payment, 10_000)
    assert result.replay is False
    assert result.refund.amount_cents == 10_000
    assert result.refund.created_by_id == clerk.id
    assert refunded(payment.id) == 10_000
    assert count(Refund) == 1


def test_partial_refund_leaves_the_rest(clerk, payment):
    do_refund(clerk, payment, 1_250)
    assert refunded(payment.id) == 1_250
    assert refunds.remaining_cents(db.session.get(Payment, payment.id)) == 8_750


def test_several_partials_up_to_the_exact_amount_then_nothing(clerk, payment):
    for amount in (3_000, 2_500, 4_499, 1):
        do_refund(clerk, payment, amount)
    assert refunded(payment.id) == 10_000
    with pytest.raises(ServiceError, match="refunded in full") as refusal:
        do_refund(clerk, payment, 1)
    assert refusal.value.field == "amount"
    assert count(Refund) == 4


def test_one_cent_over_is_refused_with_the_remaining_amount(clerk, payment):
    do_refund(clerk, payment, 2_500)
    with pytest.raises(ServiceError) as refusal:
        do_refund(clerk, payment, 7_501)
    assert "at most $75.00 can still be refunded" in refusal.value.message
    assert refusal.value.field == "amount"
    assert refunded(payment.id) == 2_500
    assert count(Refund) == 1
    do_refund(clerk, payment, 7_500)  # the exact rest still goes through
    assert refunded(payment.id) == 10_000


def test_prepaid_refund_writes_the_ledger_and_raises_the_balance(clerk, payment):
    organisation = db.session.get(Organisation, payment.organisation_id)
    organisation.prepaid_balance_cents = 500
    db.session.commit()
    result = do_refund(clerk, payment, 1_999, destination="prepaid", reason="  Duplicate charge ")
    assert result.refund.destination == RefundDestination.PREPAID
    assert result.refund.reason == "Duplicate charge"  # trimmed
    entry = db.session.scalars(sa.select(PrepaidEntry)).one()
    assert (entry.organisation_id, entry.amount_cents) == (organisation.id, 1_999)
    assert (entry.refund_id, entry.payment_id, entry.created_by_id) == (
        result.refund.id,
        payment.id,
        clerk.id,
    )
    assert "Duplicate charge" in entry.description
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).prepaid_balance_cents == 2_499


def test_card_refund_leaves_prepaid_alone(clerk, payment):
    do_refund(clerk, payment, 1_000)
    assert count(PrepaidEntry) == 0
    organisation = db.session.get(Organisation, payment.organisation_id)
    assert organisation.prepaid_balance_cents == 0


def test_audit_row_without_any_card_number(clerk, payment):
    result = do_refund(clerk, payment, 1_250, reason="Overcharged")
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "refund.create")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        clerk.id,
        "Refund",
        result.refund.id,
    )
    assert entry.organisation_id == payment.organisation_id
    assert entry.ip_address == "203.0.113.9"
    assert entry.details["amount_cents"] == 1_250
    assert entry.details["destination"] == "card"
    assert entry.details["reason"] == "Overcharged"
    assert entry.details["payment_id"] == payment.id
    assert not LONG_DIGITS.search(json.dumps(entry.details))


def test_card_refund_mails_the_customer_the_last_four(clerk, payment):
    do_refund(clerk, payment, 1_250, reason="Overcharged for the add-on")
    mail = db.session.scalars(sa.select(OutboxMail)).one()
    assert mail.to_address == "cleo@acme.example"
    assert mail.organisation_id == payment.organisation_id
    assert mail.template_key == "refund_issued"
    assert "$12.50" in mail.subject
    assert "$12.50" in mail.body_text
    assert "ending in 4242" in mail.body_text
    assert "Overcharged for the add-on" in mail.body_text
    assert not LONG_DIGITS.search(mail.body_text)


def test_prepaid_refund_mail_names_the_prepaid_balance(clerk, payment):
    do_refund(clerk, payment, 700, destination=RefundDestination.PREPAID)
    body = db.session.scalars(sa.select(OutboxMail.body_text)).one()
    assert "your prepaid balance" in body
    assert "4242" not in body


def test_mail_goes_to_the_primary_contact_when_there_is_no_login(clerk):
    from helpdesk.models import Contact

    organisation = make_organisation()
    db.session.add(
        Contact(organisation_id=organisation.id, name="Pat", email="pat@x.example", is_primary=True)
    )
    payment = make_payment(organisation)
    db.session.commit()
    do_refund(clerk, payment, 100)
    assert db.session.scalars(sa.select(OutboxMail.to_address)).one() == "pat@x.example"


def test_replay_returns_the_first_refund_and_writes_nothing_more(clerk, payment):
    key = secrets.token_urlsafe(32)
    first = do_refund(clerk, payment, 1_250, idempotency_key=key)
    again = do_refund(clerk, payment, 1_250, idempotency_key=key)
    assert again.replay is True
    assert again.refund.id == first.refund.id
    assert count(Refund) == 1
    assert count(OutboxMail) == 1
    assert count(AuditLog) == 1
    assert refunded(payment.id) == 1_250


def test_replay_of_the_last_refund_is_not_refused_as_too_much(clerk, payment):
    key = secrets.token_urlsafe(32)
    do_refund(clerk, payment, 10_000, idempotency_key=key)
    assert do_refund(clerk, payment, 10_000, idempotency_key=key).replay is True


@pytest.mark.parametrize(
    "change",
    [
        {"amount_cents": 1_251},
        {"destination": RefundDestination.PREPAID},
        {"payment_id": "other"},
    ],
)
def test_same_key_for_a_different_refund_is_refused(clerk, payment, change):
    key = secrets.token_urlsafe(32)
    do_refund(clerk, payment, 1_250, idempotency_key=key)
    if change.get("payment_id") == "other":
        change = {"payment_id": make_payment().id}
        db.session.commit()
    with pytest.raises(ServiceError, match="already used for a different refund"):
        do_refund(clerk, payment, 1_250, idempotency_key=key, **change)
    assert count(Refund) == 1
    assert count(OutboxMail) == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"amount_cents": 0}, "amount", "greater than zero"),
        ({"amount_cents": -5}, "amount", "greater than zero"),
        ({"amount_cents": 12.5}, "amount", "whole cents"),
        ({"amount_cents": True}, "amount", "whole cents"),
        ({"amount_cents": "1250"}, "amount", "whole cents"),
        ({"reason": ""}, "reason", "reason"),
        ({"reason": "   \n "}, "reason", "reason"),
        ({"reason": "x" * 501}, "reason", "at most 500"),
        ({"destination": "cash"}, "destination", "card or to the prepaid"),
        ({"idempotency_key": ""}, None, "reload"),
        ({"idempotency_key": "short"}, None, "reload"),
        ({"idempotency_key": "x" * 65}, None, "reload"),
        ({"idempotency_key": "has spaces in it"}, None, "reload"),
    ],
)
def test_validation_errors_write_nothing(clerk, payment, overrides, field, message):
    with pytest.raises(ServiceError, match=message) as refusal:
        do_refund(clerk, payment, overrides.pop("amount_cents", 1_000), **overrides)
    assert refusal.value.field == field
    assert count(Refund) == 0
    assert count(AuditLog) == 0
    assert count(OutboxMail) == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_only_billing_staff_and_admins_refund(payment, role):
    with pytest.raises(ServiceError, match="Only billing staff"):
        do_refund(make_user(role), payment, 100)
    assert count(Refund) == 0
    assert do_refund(make_user(Role.ADMIN), payment, 100).replay is False


def test_card_refund_needs_a_card(clerk):
    payment = make_payment(card=False)
    db.session.commit()
    with pytest.raises(ServiceError, match="not made by card") as refusal:
        do_refund(clerk, payment, 100)
    assert refusal.value.field == "destination"
    assert do_refund(clerk, payment, 100, destination="prepaid").refund.amount_cents == 100


def test_missing_and_failed_payments_are_refused(clerk):
    with pytest.raises(ServiceError, match="does not exist"):
        refunds.refund(
            actor=clerk,
            payment_id=987654,
            amount_cents=100,
            reason="x",
            destination="card",
            idempotency_key=secrets.token_urlsafe(16),
        )
    failed = make_payment(status=PaymentStatus.FAILED)
    db.session.commit()
    with pytest.raises(ServiceError, match="went through"):
        do_refund(clerk, failed, 100)
    assert count(Refund) == 0


def test_a_key_committed_by_a_concurrent_request_is_answered_as_a_replay(
    clerk, payment, monkeypatch
):
    """The other request's row was not visible at the check; the unique key refuses ours."""
    key = secrets.token_urlsafe(32)
    first = do_refund(clerk, payment, 1_250, idempotency_key=key)
    real = refunds._refund_by_key
    calls = []

    def unseen_once(k):
        calls.append(k)
        return None if len(calls) == 1 else real(k)

    monkeypatch.setattr(refunds, "_refund_by_key", unseen_once)
    again = do_refund(clerk, payment, 1_250, idempotency_key=key)
    assert (again.replay, again.refund.id) == (True, first.refund.id)
    assert len(calls) == 2
    assert count(Refund) == 1
    assert count(OutboxMail) == 1
    assert refunded(payment.id) == 1_250


def test_the_database_check_is_the_last_line_of_defence(clerk, payment, monkeypatch):
    """With the service's own check switched off, the CHECK constraint still refuses."""
    do_refund(clerk, payment, 9_000)
    monkeypatch.setattr(refunds, "_check_refundable", lambda *args: None)
    with pytest.raises(ServiceError, match=r"at most \$10\.00"):
        do_refund(clerk, payment, 1_001, destination="prepaid")
    assert refunded(payment.id) == 9_000
    assert count(Refund) == 1
    assert count(PrepaidEntry) == 0


def test_the_check_constraint_exists_in_the_schema(payment):
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Payment).where(Payment.id == payment.id).values(refunded_cents=10_001)
        )
        db.session.flush()
    db.session.rollback()
