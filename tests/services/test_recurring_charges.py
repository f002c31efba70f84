"""`flask charge-recurring`: due periods charged once each with the stored card's token, missed
periods caught up, blocked cards refused and reported, disabling keeps earlier charges."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    BlockedAttempt,
    BlockedCard,
    ChargeOutcome,
    OutboxMail,
    Payment,
    PaymentStatus,
    RecurringCharge,
    RecurringKind,
    RecurringPayment,
    Role,
)
from helpdesk.services.billing import plans, recurring_charges
from tests.factories import make_organisation, make_user
from tests.services.test_refunds import make_card

pytestmark = pytest.mark.usefixtures("ctx")

# 18:00 UTC is 11:00 in the business zone (America/Denver): the business day is 10 March.
NOW = datetime(2026, 3, 10, 18, 0)
TODAY = date(2026, 3, 10)
LONG_DIGITS = re.compile(r"\d{12,}")


@pytest.fixture
def world() -> dict:
    """Summit pays $29.00 a month by its stored Visa; a customer login and a billing clerk."""
    organisation = make_organisation(name="Summit Hosting Co")
    customer = make_user(
        Role.CUSTOMER, organisation=organisation, email="eve@summit.example", name="Eve"
    )
    clerk = make_user(Role.BILLING, email="bea@billing.example")
    card = make_card(organisation)
    row = RecurringPayment(
        organisation_id=organisation.id,
        kind=RecurringKind.FLAT_RATE,
        description="Business Flat 100",
        amount_cents=2900,
        effective_on=date(2026, 1, 10),
        next_charge_on=TODAY,
        card_id=card.id,
    )
    db.session.add(row)
    db.session.commit()
    return {"row": row, "card": card, "customer": customer, "clerk": clerk}


def charges() -> list[RecurringCharge]:
    return list(db.session.scalars(sa.select(RecurringCharge).order_by(RecurringCharge.period_on)))


def payments() -> list[Payment]:
    return list(db.session.scalars(sa.select(Payment).order_by(Payment.id)))


def mails(address: str) -> list[OutboxMail]:
    return list(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_address == address)))


def reload(row: RecurringPayment) -> RecurringPayment:
    db.session.expire_all()
    return db.session.get(RecurringPayment, row.id)


def test_a_due_period_is_charged_once_with_the_stored_card(world):
    run = recurring_charges.charge_due(NOW)
    assert (run.charged, run.refused) == (1, 0)
    [payment] = payments()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.amount_cents == 2900
    assert payment.card_id == world["card"].id and payment.processor_reference.startswith("ch_")
    [charge] = charges()
    assert (charge.period_on, charge.outcome, charge.payment_id) == (
        TODAY,
        ChargeOutcome.CHARGED,
        payment.id,
    )
    assert reload(world["row"]).next_charge_on == date(2026, 4, 10)
    [mail] = mails("eve@summit.example")
    assert mail.subject == "Your payment of $29.00 for Business Flat 100"
    assert "Visa ending 4242" in mail.body_text
    assert "next charge is due on 10 Apr 2026" in mail.body_text
    assert not LONG_DIGITS.search(mail.body_text)
    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "recurring_payment.charge")
    )
    assert entry.details["period_on"] == "2026-03-10" and entry.details["payment_id"] == payment.id


def test_a_second_run_charges_nothing(world):
    recurring_charges.charge_due(NOW)
    again = recurring_charges.charge_due(NOW)
    assert (again.charged, again.refused) == (0, 0)
    assert len(payments()) == 1 and len(charges()) == 1


def test_nothing_is_charged_before_its_day(world):
    run = recurring_charges.charge_due(datetime(2026, 3, 10, 5, 0))  # 23:00 on 9 March in Denver
    assert run.charged == 0 and payments() == []


def test_missed_periods_are_caught_up_oldest_first(world):
    world["row"].next_charge_on = date(2026, 1, 10)
    db.session.commit()
    run = recurring_charges.charge_due(NOW)
    assert run.charged == 3
    assert [c.period_on for c in charges()] == [date(2026, 1, 10), date(2026, 2, 10), TODAY]
    assert reload(world["row"]).next_charge_on == date(2026, 4, 10)


def test_a_period_charged_by_an_overlapping_run_is_not_charged_again(world):
    # Another run charged the period, but its next charge date was not moved on yet.
    db.session.add(
        RecurringCharge(
            recurring_payment_id=world["row"].id,
            organisation_id=world["row"].organisation_id,
            period_on=TODAY,
            amount_cents=2900,
            outcome=ChargeOutcome.CHARGED,
        )
    )
    db.session.commit()
    run = recurring_charges.charge_due(NOW)
    assert run.charged == 0 and payments() == []
    assert reload(world["row"]).next_charge_on == date(2026, 4, 10)


def test_the_database_refuses_a_second_charge_of_one_period(world):
    for _ in range(2):
        db.session.add(
            RecurringCharge(
                recurring_payment_id=world["row"].id,
                organisation_id=world["row"].organisation_id,
                period_on=TODAY,
                amount_cents=2900,
                outcome=ChargeOutcome.CHARGED,
            )
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_blocked_card_is_refused_and_reported(world):
    card = world["card"]
    db.session.add(
        BlockedCard(fingerprint=card.fingerprint, brand="Visa", last4="4242", reason="Stolen")
    )
    db.session.commit()
    run = recurring_charges.charge_due(NOW)
    assert (run.charged, run.refused) == (0, 1)
    [payment] = payments()
    assert payment.status == PaymentStatus.FAILED and payment.processor_reference is None
    [charge] = charges()
    assert charge.outcome == ChargeOutcome.REFUSED
    assert charge.detail == "The card is blocked by FRAUD-STOP."
    [attempt] = db.session.scalars(sa.select(BlockedAttempt))
    assert attempt.card_last4 == "4242" and attempt.blocked_card_id is not None
    [to_customer] = mails("eve@summit.example")
    assert to_customer.subject == "We could not take your payment for Business Flat 100"
    # The customer is not told which list matched (FRAUD-STOP never says).
    assert "FRAUD" not in to_customer.body_text and "block" not in to_customer.body_text.lower()
    [to_billing] = mails("bea@billing.example")
    assert to_billing.subject == "Recurring charge refused: Business Flat 100"
    assert "The card is blocked by FRAUD-STOP." in to_billing.body_text
    # The period is not tried again: billing staff follow it up.
    assert reload(world["row"]).next_charge_on == date(2026, 4, 10)
    assert recurring_charges.charge_due(NOW).refused == 0


def test_an_expired_card_is_refused(world):
    world["card"].exp_year = 2025
    db.session.commit()
    run = recurring_charges.charge_due(NOW)
    assert run.refused == 1
    assert charges()[0].detail == "The stored card has expired."


def test_disabling_from_a_later_date_keeps_the_charges_before_it(world):
    world["row"].next_charge_on = date(2026, 3, 12)
    db.session.commit()
    plans.set_recurring_payment(
        world["row"].id,
        organisation_id=world["row"].organisation_id,
        actor=world["clerk"],
        enabled=False,
        effective_on=date(2026, 4, 1),
        today=TODAY,
    )
    row = reload(world["row"])
    assert row.next_charge_on == date(2026, 3, 12)  # before the disable date: still charged
    run = recurring_charges.charge_due(datetime(2026, 3, 12, 18, 0))
    assert run.charged == 1
    assert reload(world["row"]).next_charge_on is None  # 12 April is after the disable date
    assert recurring_charges.charge_due(datetime(2026, 5, 1, 18, 0)).charged == 0


def test_the_command_charges_as_of_the_given_time(app, world):
    result = app.test_cli_runner().invoke(args=["charge-recurring", "--now", "2026-03-10T18:00"])
    assert result.exit_code == 0, result.output
    assert "Business Flat 100, period 2026-03-10: charged $29.00" in result.output
    assert "Charged 1, refused 0." in result.output
    again = app.test_cli_runner().invoke(args=["charge-recurring", "--now", "2026-03-10T18:00"])
    assert "Charged 0, refused 0." in again.output


def test_the_command_refuses_a_malformed_time(app, world):
    result = app.test_cli_runner().invoke(args=["charge-recurring", "--now", "yesterday"])
    assert result.exit_code == 2 and "YYYY-MM-DDTHH:MM" in result.output
