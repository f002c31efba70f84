"""Charging recurring payments (seed 002 "Period Payments"): `flask charge-recurring`.

`charge_due(now)` charges every period that is due by `now` (the business day it falls on),
oldest first, catching up periods a stopped job missed (helpdesk.rules.recurring). Each
recurring payment is one transaction holding its row (SELECT ... FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), so two runs that overlap queue on it and the second finds the
periods charged; the unique (recurring payment, period) key of recurring_charges stays behind
the lock as the last line of defence. Only the stored card's processor token is charged: no
card number ever passes here (PCI DSS).

A card that FRAUD-STOP blocked, or a missing or expired one, is refused: the period is kept
as a refused attempt with a failed transaction (the payment manager lists it), the fraud team
sees a blocked card's attempt, and billing staff and the customer are mailed. The period is
not tried again by the job; billing staff follow it up. A later worker calls the same
function.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.formatting import money
from helpdesk.models import (
    BlockedAttemptKind,
    ChargeOutcome,
    Payment,
    PaymentCard,
    PaymentMethod,
    PaymentStatus,
    RecurringCharge,
    RecurringPayment,
    Role,
    User,
)
from helpdesk.rules import recurring as rules
from helpdesk.services.billing import locking, orders
from helpdesk.services.core import audit, settings
from helpdesk.services.fraud import fraud
from helpdesk.services.mail.outbox import queue_mail

log = logging.getLogger(__name__)

CARD_BLOCKED = "The card is blocked by FRAUD-STOP."
NO_CARD = "The customer has no usable stored card."
CARD_EXPIRED = "The stored card has expired."


@dataclass
class ChargeRun:
    """What one run did: periods charged, refused, and recurring payments another run held."""

    charged: int = 0
    refused: int = 0
    skipped: int = 0
    lines: list[str] = field(default_factory=list)


def business_day(now: datetime) -> date:
    """The business day `now` (naive UTC) falls on: the day staff mean by "today"."""
    zone = ZoneInfo(settings.setting("BUSINESS_TIME_ZONE"))
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date()


def due_ids(today: date) -> list[int]:
    """Recurring payments with a next charge on or before `today`, oldest id first."""
    return list(
        db.session.scalars(
            sa.select(RecurringPayment.id)
            .where(
                RecurringPayment.next_charge_on.is_not(None),
                RecurringPayment.next_charge_on <= today,
            )
            .order_by(RecurringPayment.id)
        )
    )


def charge_due(now: datetime) -> ChargeRun:
    """Charge every period due by `now`, once each; one commit per recurring payment."""
    today = business_day(now)
    ids = due_ids(today)
    db.session.rollback()  # end the read: each payment's transaction starts with its lock
    run = ChargeRun()
    for recurring_id in ids:
        try:
            _charge_one(recurring_id, today, now, run)
        except IntegrityError:
            # Another run charged this period between our lock and insert (only possible
            # without the lock): it is charged once, by that run.
            db.session.rollback()
            run.skipped += 1
    return run


def _charge_one(recurring_id: int, today: date, now: datetime, run: ChargeRun) -> None:
    row = locking.locked_row(RecurringPayment, recurring_id)
    periods = (
        rules.due_periods(row.next_charge_on, row.enabled, row.effective_on, today)
        if row is not None
        else []
    )
    if not periods:
        db.session.rollback()  # charged meanwhile by another run, or no longer due
        run.skipped += 1
        return
    already = set(
        db.session.scalars(
            sa.select(RecurringCharge.period_on).where(
                RecurringCharge.recurring_payment_id == row.id,
                RecurringCharge.period_on.in_(periods),
            )
        )
    )
    card = _card(row)
    for period in periods:
        if period not in already:
            _charge_period(row, card, period, today, now, run)
    row.next_charge_on = rules.next_charge_after(periods[-1], row.enabled, row.effective_on)
    db.session.commit()


def _card(row: RecurringPayment) -> PaymentCard | None:
    """The card the recurring payment names, else the customer's newest active card."""
    if row.card_id is not None:
        return db.session.get(PaymentCard, row.card_id)
    return db.session.scalar(
        sa.select(PaymentCard)
        .where(PaymentCard.organisation_id == row.organisation_id, PaymentCard.active.is_(True))
        .order_by(PaymentCard.id.desc())
        .limit(1)
    )


def _refusal(card: PaymentCard | None, today: date):
    """Why `card` cannot be charged (and the block, if FRAUD-STOP's), or (None, None)."""
    if card is None or not card.active:
        return NO_CARD, None
    blocked = fraud.is_fingerprint_blocked(card.fingerprint)
    if blocked is not None:
        return CARD_BLOCKED, blocked
    if (card.exp_year, card.exp_month) < (today.year, today.month):
        return CARD_EXPIRED, None
    return None, None


def _charge_period(
    row: RecurringPayment,
    card: PaymentCard | None,
    period: date,
    today: date,
    now: datetime,
    run: ChargeRun,
) -> None:
    refusal, block = _refusal(card, today)
    payment = None
    if card is not None:
        payment = Payment(
            organisation_id=row.organisation_id,
            card_id=card.id,
            method=PaymentMethod.CARD,
            status=PaymentStatus.FAILED if refusal else PaymentStatus.SUCCEEDED,
            amount_cents=row.amount_cents,
            processor_reference=None if refusal else orders._charge(card, row.amount_cents),
            created_at=now,
        )
        db.session.add(payment)
        db.session.flush()
    charge = RecurringCharge(
        recurring_payment_id=row.id,
        organisation_id=row.organisation_id,
        period_on=period,
        amount_cents=row.amount_cents,
        outcome=ChargeOutcome.REFUSED if refusal else ChargeOutcome.CHARGED,
        detail=refusal or "",
        card_id=card.id if card is not None else None,
        payment_id=payment.id if payment is not None else None,
        created_at=now,
    )
    db.session.add(charge)
    db.session.flush()  # the unique (recurring payment, period) key speaks here
    recipient = orders._recipient(row.organisation_id)
    label = orders.card_label(card) if card is not None else None
    if recipient is not None:
        queue_mail(
            to_address=recipient.email,
            to_name=recipient.name,
            subject=(
                f"We could not take your payment for {row.description}"
                if refusal
                else f"Your payment of {money(row.amount_cents)} for {row.description}"
            ),
            template="recurring_refused" if refusal else "recurring_charged",
            user=recipient.user,
            organisation_id=row.organisation_id,
            name=recipient.name,
            recurring=row,
            charge=charge,
            card_label=label,
            next_on=rules.next_charge_after(period, row.enabled, row.effective_on),
        )
    if refusal:
        if block is not None:
            fraud.record_attempt(
                # A recurring charge is a purchase with the stored card: the fraud team sees it
                # beside refused orders.
                BlockedAttemptKind.ORDER,
                None,
                recipient.email if recipient else None,
                card.last4,
                blocked_card=block,
                commit=False,
            )
        for address in _billing_addresses():
            queue_mail(
                to_address=address,
                subject=f"Recurring charge refused: {row.description}",
                template="recurring_refused_billing",
                organisation_id=row.organisation_id,
                recurring=row,
                charge=charge,
                card_label=label,
                reason=refusal,
            )
    audit.record(
        "recurring_payment.refused" if refusal else "recurring_payment.charge",
        actor=None,
        obj=charge,
        organisation_id=row.organisation_id,
        recurring_payment_id=row.id,
        period_on=period.isoformat(),
        amount_cents=row.amount_cents,
        payment_id=payment.id if payment is not None else None,
        card=label,
        reason=refusal,
    )
    if refusal:
        run.refused += 1
        log.warning("recurring payment %s: period %s refused (%s)", row.id, period, refusal)
    else:
        run.charged += 1
    run.lines.append(
        f"{row.description}, period {period.isoformat()}: "
        + (f"refused ({refusal})" if refusal else f"charged {money(row.amount_cents)}")
    )


def _billing_addresses() -> list[str]:
    """Every active billing clerk's address (admins when there is none)."""
    for role in (Role.BILLING, Role.ADMIN):
        found = list(
            db.session.scalars(
                sa.select(User.email).where(User.role == role, User.active).order_by(User.id)
            )
        )
        if found:
            return found
    return []


def last_charges(recurring_ids: list[int]) -> dict[int, RecurringCharge]:
    """The latest charge attempt of each of these recurring payments (one query)."""
    if not recurring_ids:
        return {}
    latest = (
        sa.select(sa.func.max(RecurringCharge.id))
        .where(RecurringCharge.recurring_payment_id.in_(recurring_ids))
        .group_by(RecurringCharge.recurring_payment_id)
    )
    return {
        charge.recurring_payment_id: charge
        for charge in db.session.scalars(
            sa.select(RecurringCharge).where(RecurringCharge.id.in_(latest))
        )
    }
