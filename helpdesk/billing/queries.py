"""Read-only queries of the payment manager: the filtered transaction list, a payment's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql import Select

from helpdesk.extensions import db
from helpdesk.models import (
    Invoice,
    Order,
    Organisation,
    Payment,
    PaymentCard,
    PaymentMethod,
    PaymentStatus,
    Refund,
    User,
)
from helpdesk.services.tracker.callers import escape_like


@dataclass(frozen=True)
class TransactionFilters:
    """What the list is narrowed to; None means "any"."""

    date_from: date | None = None
    date_to: date | None = None
    customer: str | None = None
    method: PaymentMethod | None = None
    status: PaymentStatus | None = None


def narrowed(query: Select, column, date_from: date | None, date_to: date | None) -> Select:
    """`query` limited to whole UTC days of `column` (naive UTC), both ends included."""
    if date_from:
        query = query.where(column >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(column < datetime.combine(date_to + timedelta(days=1), time.min))
    return query


def named_like(query: Select, customer: str | None) -> Select:
    """`query` (joined to its organisation) limited to names containing `customer`."""
    if not customer:
        return query
    return query.where(Organisation.name.ilike(f"%{escape_like(customer)}%", escape="\\"))


def transactions(filters: TransactionFilters) -> Select:
    """Payments matching `filters`, newest first (paged by the caller, in the database)."""
    query = (
        sa.select(Payment)
        .join(Payment.organisation)
        .options(contains_eager(Payment.organisation))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
    )
    query = narrowed(query, Payment.created_at, filters.date_from, filters.date_to)
    query = named_like(query, filters.customer)
    if filters.method:
        query = query.where(Payment.method == filters.method)
    if filters.status:
        query = query.where(Payment.status == filters.status)
    return query


@dataclass(frozen=True)
class RefundLine:
    """One refund as the payment page lists it."""

    refund: Refund
    by: str


@dataclass(frozen=True)
class PaymentDetail:
    payment: Payment
    organisation: Organisation
    card: PaymentCard | None
    order: Order | None
    invoice: Invoice | None
    refunds: list[RefundLine]

    @property
    def card_label(self) -> str | None:
        """Brand and last four only (PCI DSS): never more of the number."""
        return f"{self.card.brand} ending {self.card.last4}" if self.card else None

    @property
    def remaining_cents(self) -> int:
        return self.payment.amount_cents - self.payment.refunded_cents


def payment_detail(payment: Payment) -> PaymentDetail:
    """Everything the payment page shows, in a handful of indexed reads."""
    rows = db.session.execute(
        sa.select(Refund, User.name)
        .outerjoin(User, User.id == Refund.created_by_id)
        .where(Refund.payment_id == payment.id)
        .order_by(Refund.created_at, Refund.id)
    ).all()
    return PaymentDetail(
        payment=payment,
        organisation=db.session.get(Organisation, payment.organisation_id),
        card=db.session.get(PaymentCard, payment.card_id) if payment.card_id else None,
        order=db.session.get(Order, payment.order_id) if payment.order_id else None,
        invoice=db.session.get(Invoice, payment.invoice_id) if payment.invoice_id else None,
        refunds=[RefundLine(refund=r, by=name or "(system)") for r, name in rows],
    )
