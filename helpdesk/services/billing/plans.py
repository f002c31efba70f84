"""Recurring payments and service plans (seed 002 "Period Payments" and "Service ABO").

Billing staff enable or disable a customer's recurring payment (flat-rate plan, monthly
package, number porting) or service plan subscription from an effective date, today or later:
a change cannot reach into the past, where charges were already made or skipped. An enabled
recurring payment is next charged on its effective date; disabling one from a later date keeps
the charges before that date (helpdesk.rules.recurring), so only a next charge on or after it
goes.
Each change is audited with the row's state before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.formatting import when
from helpdesk.models import (
    PhoneNumber,
    RecurringKind,
    RecurringPayment,
    Subscription,
    User,
)
from helpdesk.rules import recurring as recurring_rules
from helpdesk.services import ServiceError
from helpdesk.services.core import audit

KIND_LABELS = {
    RecurringKind.FLAT_RATE: "Flat-rate plan",
    RecurringKind.MONTHLY_PACKAGE: "Monthly package",
    RecurringKind.NUMBER_PORTING: "Number porting",
}


@dataclass(frozen=True)
class SubscriptionLine:
    """A subscription as its row shows it: the plan and the service number, if any."""

    subscription: Subscription
    number: str | None


def recurring_payments_query(organisation_id: int) -> sa.Select:
    """The customer's recurring payments, oldest first (the caller pages it)."""
    return (
        sa.select(RecurringPayment)
        .where(RecurringPayment.organisation_id == organisation_id)
        .order_by(RecurringPayment.id)
    )


def subscriptions_query(organisation_id: int) -> sa.Select:
    """The customer's service plan subscriptions with their plans, oldest first (paged)."""
    return (
        sa.select(Subscription)
        .where(Subscription.organisation_id == organisation_id)
        .options(selectinload(Subscription.plan))
        .order_by(Subscription.id)
    )


def subscription_lines(subscriptions: list[Subscription]) -> list[SubscriptionLine]:
    """The rows for these subscriptions, their service numbers read in one query."""
    ids = {s.phone_number_id for s in subscriptions if s.phone_number_id is not None}
    numbers = (
        dict(
            db.session.execute(
                sa.select(PhoneNumber.id, PhoneNumber.number).where(PhoneNumber.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return [SubscriptionLine(s, numbers.get(s.phone_number_id)) for s in subscriptions]


def recurring_payment_of(organisation_id: int, recurring_id: int) -> RecurringPayment | None:
    """The customer's recurring payment with this id; None if it is another customer's."""
    return db.session.scalar(
        sa.select(RecurringPayment).where(
            RecurringPayment.id == recurring_id,
            RecurringPayment.organisation_id == organisation_id,
        )
    )


def subscription_of(organisation_id: int, subscription_id: int) -> Subscription | None:
    """The customer's subscription with this id; None if it is another customer's."""
    return db.session.scalar(
        sa.select(Subscription)
        .where(Subscription.id == subscription_id, Subscription.organisation_id == organisation_id)
        .options(selectinload(Subscription.plan))
    )


def _checked_date(effective_on: date | None, today: date) -> date:
    if effective_on is None:
        raise ServiceError("Enter the date the change takes effect.", field="effective_on")
    if effective_on < today:
        raise ServiceError(
            f"Choose today ({when(today)}) or a later date: "
            "a change cannot take effect in the past.",
            field="effective_on",
        )
    return effective_on


def _unchanged(row: RecurringPayment | Subscription, enabled: bool, effective_on: date) -> None:
    if row.enabled == enabled and row.effective_on == effective_on:
        state = "enabled" if enabled else "disabled"
        raise ServiceError(
            f"Nothing to change: this is already {state} from {when(effective_on)}.",
            field="effective_on",
        )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _locked(model: type, row_id: int, organisation_id: int) -> Any:
    """The row for update, so two clerks' changes queue instead of overwriting unseen."""
    row = db.session.scalar(
        sa.select(model)
        .where(model.id == row_id, model.organisation_id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        db.session.rollback()
        raise ServiceError("This customer has no such plan.")
    return row


def set_recurring_payment(
    recurring_id: int,
    *,
    organisation_id: int,
    actor: User,
    enabled: bool,
    effective_on: date | None,
    today: date,
    ip_address: str | None = None,
) -> RecurringPayment:
    """Enable or disable a recurring payment from `effective_on` (today or later); commit."""
    effective_on = _checked_date(effective_on, today)
    row = _locked(RecurringPayment, recurring_id, organisation_id)
    try:
        _unchanged(row, enabled, effective_on)
    except ServiceError:
        db.session.rollback()
        raise
    before = _recurring_state(row)
    row.enabled = enabled
    row.effective_on = effective_on
    row.next_charge_on = (
        effective_on
        if enabled
        else recurring_rules.next_charge_when_disabled(row.next_charge_on, effective_on)
    )
    audit.record(
        f"recurring_payment.{'enable' if enabled else 'disable'}",
        actor=actor,
        obj=row,
        organisation_id=organisation_id,
        ip_address=ip_address,
        kind=row.kind.value,
        description=row.description,
        before=before,
        after=_recurring_state(row),
    )
    db.session.commit()
    return row


def _recurring_state(row: RecurringPayment) -> dict[str, Any]:
    return {
        "enabled": row.enabled,
        "effective_on": _iso(row.effective_on),
        "next_charge_on": _iso(row.next_charge_on),
    }


def set_subscription(
    subscription_id: int,
    *,
    organisation_id: int,
    actor: User,
    enabled: bool,
    effective_on: date | None,
    today: date,
    ip_address: str | None = None,
) -> Subscription:
    """Enable or disable a service plan subscription from `effective_on`; commit."""
    effective_on = _checked_date(effective_on, today)
    row = _locked(Subscription, subscription_id, organisation_id)
    try:
        _unchanged(row, enabled, effective_on)
    except ServiceError:
        db.session.rollback()
        raise
    before = {"enabled": row.enabled, "effective_on": _iso(row.effective_on)}
    row.enabled = enabled
    row.effective_on = effective_on
    audit.record(
        f"subscription.{'enable' if enabled else 'disable'}",
        actor=actor,
        obj=row,
        organisation_id=organisation_id,
        ip_address=ip_address,
        plan_id=row.plan_id,
        phone_number_id=row.phone_number_id,
        before=before,
        after={"enabled": enabled, "effective_on": _iso(effective_on)},
    )
    db.session.commit()
    return row
