"""Support eligibility of an organisation, from its orders (rules.eligibility does the deciding)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    Invoice,
    InvoiceStatus,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Product,
)
from helpdesk.rules.eligibility import (
    Eligibility,
    OrderFacts,
    OrderPayment,
    SupportLevel,
    account_eligibility,
)

REASON_MAX = 300  # Case.eligibility_reason


def order_facts(order: Order, payment: OrderPayment = OrderPayment.PAID) -> OrderFacts:
    """The parts of an order the eligibility rule looks at."""
    return OrderFacts(
        kind=order.kind,
        version=order.version,
        ordered_at=order.ordered_at.date(),
        expires_at=order.expires_on,
        order_ref=order.number,
        payment=payment,
    )


def payment_states(orders: Sequence[Order]) -> dict[int, OrderPayment]:
    """Whether each order was paid, by order id.

    Paid: the order says so, its invoice was settled, or succeeded payments cover it (an
    order for nothing, like an evaluation, is paid when placed). Refunded in full: every cent
    of its succeeded payments was given back. Anything else (an open invoice) is unpaid."""
    ids = [order.id for order in orders]
    if not ids:
        return {}
    money = {
        order_id: (paid or 0, refunded or 0)
        for order_id, paid, refunded in db.session.execute(
            sa.select(
                Payment.order_id,
                sa.func.sum(Payment.amount_cents),
                sa.func.sum(Payment.refunded_cents),
            )
            .where(Payment.order_id.in_(ids), Payment.status == PaymentStatus.SUCCEEDED)
            .group_by(Payment.order_id)
        )
    }
    settled = set(
        db.session.scalars(
            sa.select(Invoice.order_id).where(
                Invoice.order_id.in_(ids), Invoice.status == InvoiceStatus.PAID
            )
        )
    )
    states = {}
    for order in orders:
        paid, refunded = money.get(order.id, (0, 0))
        if paid > 0 and refunded >= paid:
            states[order.id] = OrderPayment.REFUNDED
        elif (
            order.status == OrderStatus.PAID
            or order.id in settled
            or (order.amount_cents > 0 and paid >= order.amount_cents)
        ):
            states[order.id] = OrderPayment.PAID
        else:
            states[order.id] = OrderPayment.UNPAID
    return states


def organisation_eligibility(organisation_id: int, today: date) -> Eligibility:
    """The best support level any of the organisation's live, paid orders gives today.

    Equipment (a receipt printer, a desk phone) is shipped, not supported by seed 000's
    software terms, so its orders give no support. Orders placed after `today` do not count
    (a snapshot taken as of an earlier day sees the orders of that day)."""
    orders = db.session.scalars(
        sa.select(Order)
        .outerjoin(Product, Product.id == Order.product_id)
        .where(
            Order.organisation_id == organisation_id,
            Order.status != OrderStatus.CANCELLED,
            Order.ordered_at < datetime.combine(today + timedelta(days=1), time()),
            sa.or_(Product.id.is_(None), Product.physical.is_(False)),
        )
    ).all()
    states = payment_states(orders)
    return account_eligibility([order_facts(order, states[order.id]) for order in orders], today)


def record_at_opening(case: Case, at: datetime) -> Eligibility:
    """Keep on a new case its organisation's eligibility at `at`, with the reason; no flush.

    Seeds 000/003: the level found when the case arrives decides its tier and the reply the
    customer gets; kept, so it still explains them after the orders change."""
    result = organisation_eligibility(case.organisation_id, at.date())
    case.eligibility_level = result.level
    case.eligibility_reason = result.reason[:REASON_MAX]
    case.eligibility_order_ref = result.order_ref or None
    return result


def at_opening(case: Case) -> Eligibility | None:
    """The eligibility the case was opened with, or None when it was not recorded."""
    if case.eligibility_level is None:
        return None
    return Eligibility(
        SupportLevel(case.eligibility_level),
        case.eligibility_reason or "",
        case.eligibility_order_ref or "",
    )
