"""Support eligibility of an organisation, from its orders (rules.eligibility does the deciding)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Order, OrderStatus, Product
from helpdesk.rules.eligibility import Eligibility, OrderFacts, account_eligibility


def order_facts(order: Order) -> OrderFacts:
    """The parts of an order the eligibility rule looks at."""
    return OrderFacts(
        kind=order.kind,
        version=order.version,
        ordered_at=order.ordered_at.date(),
        expires_at=order.expires_on,
        order_ref=order.number,
    )


def organisation_eligibility(organisation_id: int, today: date) -> Eligibility:
    """The best support level any of the organisation's live orders gives today.

    Equipment (a receipt printer, a desk phone) is shipped, not supported by seed 000's
    software terms, so its orders give no support."""
    orders = db.session.scalars(
        sa.select(Order)
        .outerjoin(Product, Product.id == Order.product_id)
        .where(
            Order.organisation_id == organisation_id,
            Order.status != OrderStatus.CANCELLED,
            sa.or_(Product.id.is_(None), Product.physical.is_(False)),
        )
    )
    return account_eligibility([order_facts(order) for order in orders], today)
