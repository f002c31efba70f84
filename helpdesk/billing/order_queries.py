"""Read-only queries of the order pages: the filtered order list, an order's page, catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql import Select

from helpdesk.billing.queries import named_like, narrowed
from helpdesk.extensions import db
from helpdesk.models import (
    Invoice,
    Order,
    OrderStatus,
    Organisation,
    Payment,
    PaymentCard,
    Product,
    Promotion,
    Shipment,
    utcnow,
)
from helpdesk.services.billing.orders import card_label


@dataclass(frozen=True)
class OrderFilters:
    """What the list is narrowed to; None means "any"."""

    date_from: date | None = None
    date_to: date | None = None
    customer: str | None = None
    product: str | None = None  # a product name as orders store it
    status: OrderStatus | None = None


def orders(filters: OrderFilters) -> Select:
    """Orders matching `filters`, newest first (paged by the caller, in the database)."""
    query = (
        sa.select(Order)
        .join(Order.organisation)
        .options(contains_eager(Order.organisation))
        .order_by(Order.ordered_at.desc(), Order.id.desc())
    )
    query = narrowed(query, Order.ordered_at, filters.date_from, filters.date_to)
    query = named_like(query, filters.customer)
    if filters.product:
        query = query.where(Order.product == filters.product)
    if filters.status:
        query = query.where(Order.status == filters.status)
    return query


def product_names() -> list[str]:
    """Every product name in the catalogue, for the product filter."""
    return list(db.session.scalars(sa.select(Product.name).distinct().order_by(Product.name)))


def active_products() -> list[Product]:
    """What can be ordered now, by name."""
    return list(
        db.session.scalars(
            sa.select(Product).where(Product.active.is_(True)).order_by(Product.name, Product.id)
        )
    )


def usable_cards(organisation_id: int) -> list[PaymentCard]:
    """The customer's active stored cards that have not expired."""
    today = utcnow().date()
    not_expired = sa.or_(
        PaymentCard.exp_year > today.year,
        sa.and_(PaymentCard.exp_year == today.year, PaymentCard.exp_month >= today.month),
    )
    return list(
        db.session.scalars(
            sa.select(PaymentCard)
            .where(
                PaymentCard.organisation_id == organisation_id,
                PaymentCard.active.is_(True),
                not_expired,
            )
            .order_by(PaymentCard.id)
        )
    )


def promotions() -> Select:
    """Promotions, running ones first, then by last day, latest first (paged by the caller)."""
    return sa.select(Promotion).order_by(
        Promotion.active.desc(), Promotion.ends_on.desc(), Promotion.id.desc()
    )


def product_labels() -> dict[str, str]:
    """Product code -> "name version", to show what a promotion is for."""
    rows = db.session.execute(sa.select(Product.code, Product.name, Product.version)).all()
    return {code: f"{name} {version}" for code, name, version in rows}


@dataclass(frozen=True)
class PaymentLine:
    """One payment of an order, its card shown as brand and last four only."""

    payment: Payment
    card: str | None


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    organisation: Organisation
    product: Product | None
    promotion: Promotion | None
    invoices: list[Invoice]
    payments: list[PaymentLine]
    shipments: list[Shipment]


def order_detail(order: Order) -> OrderDetail:
    """Everything the order page shows, in a handful of indexed reads."""
    payments = db.session.execute(
        sa.select(Payment, PaymentCard)
        .outerjoin(PaymentCard, PaymentCard.id == Payment.card_id)
        .where(Payment.order_id == order.id)
        .order_by(Payment.created_at, Payment.id)
    ).all()
    return OrderDetail(
        order=order,
        organisation=db.session.get(Organisation, order.organisation_id),
        product=db.session.get(Product, order.product_id) if order.product_id else None,
        promotion=db.session.get(Promotion, order.promotion_id) if order.promotion_id else None,
        invoices=list(
            db.session.scalars(
                sa.select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
            )
        ),
        payments=[PaymentLine(p, card_label(c) if c else None) for p, c in payments],
        shipments=list(
            db.session.scalars(
                sa.select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)
            )
        ),
    )
