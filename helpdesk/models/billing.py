"""Orders and money (seed 000 orders, seed 002 Payment Manager). Money is integer cents."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.base import CreatedAt, enum_type
from helpdesk.rules.eligibility import OrderKind


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    PREPAID = "prepaid"
    BANK = "bank"


class PaymentStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PENDING = "pending"


class RefundDestination(enum.StrEnum):
    CARD = "card"
    PREPAID = "prepaid"


class RecurringKind(enum.StrEnum):
    FLAT_RATE = "flat_rate"
    MONTHLY_PACKAGE = "monthly_package"
    NUMBER_PORTING = "number_porting"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


class ShipmentStatus(enum.StrEnum):
    PENDING = "pending"
    PACKED = "packed"
    SHIPPED = "shipped"


class Promotion(CreatedAt, db.Model):
    """A sale or bundle, assignable to an eligible order within its dates."""

    __tablename__ = "promotions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    product: Mapped[str | None] = mapped_column(sa.String(120))  # None: any product
    percent_off: Mapped[int | None]
    amount_off_cents: Mapped[int | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("percent_off IS NULL OR percent_off BETWEEN 1 AND 100", name="percent"),
        sa.CheckConstraint("amount_off_cents IS NULL OR amount_off_cents > 0", name="amount"),
    )


class Product(CreatedAt, db.Model):
    """A catalogue entry staff can order for a customer; `physical` ones are shipped."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    version: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[OrderKind] = mapped_column(enum_type(OrderKind, "product_kind"))
    unit_cents: Mapped[int]
    physical: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("unit_cents >= 0", name="unit_price"),)


class Order(CreatedAt, db.Model):
    """A purchase, evaluation, hosting plan or paid support plan of an organisation."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    purchaser_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    product: Mapped[str] = mapped_column(sa.String(120), index=True)
    version: Mapped[str] = mapped_column(sa.String(20))
    kind: Mapped[OrderKind] = mapped_column(enum_type(OrderKind, "order_kind"))
    status: Mapped[OrderStatus] = mapped_column(
        enum_type(OrderStatus, "order_status"), default=OrderStatus.PAID
    )
    ordered_at: Mapped[datetime]
    expires_on: Mapped[date | None]  # end of a paid support / maintenance term
    licensed_website: Mapped[str | None] = mapped_column(sa.String(253), index=True)
    licence_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    partner_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    amount_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    promotion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("promotions.id"))
    # Orders placed from the catalogue; older ones name their product only.
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    # One key per rendered order form: a double click or a retry places one order.
    # A unique index, not a table constraint: SQLite adds it without rebuilding the table.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)

    organisation = relationship("Organisation")
    promotion = relationship(Promotion)

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity"),
        sa.CheckConstraint("amount_cents >= 0", name="amount"),
        sa.Index("ix_orders_organisation_ordered", "organisation_id", "ordered_at"),
        sa.Index("ix_orders_ordered", "ordered_at"),
    )


class PaymentCard(CreatedAt, db.Model):
    """A stored card: the processor's token plus brand and last four; never the number (PCI DSS)."""

    __tablename__ = "payment_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    brand: Mapped[str] = mapped_column(sa.String(20))
    last4: Mapped[str] = mapped_column(sa.String(4), index=True)
    exp_month: Mapped[int] = mapped_column(sa.SmallInteger)
    exp_year: Mapped[int] = mapped_column(sa.SmallInteger)
    processor_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)  # HMAC, for FRAUD-STOP
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("exp_month BETWEEN 1 AND 12", name="exp_month"),)


class Payment(CreatedAt, db.Model):
    """Money received. `refunded_cents` can never pass `amount_cents` (database-enforced)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_cards.id"), index=True)
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod, "payment_method"))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_type(PaymentStatus, "payment_status"), default=PaymentStatus.SUCCEEDED
    )
    amount_cents: Mapped[int]
    refunded_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    processor_reference: Mapped[str | None] = mapped_column(sa.String(64))

    organisation = relationship("Organisation")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment")

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(
            "refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_within_amount"
        ),
        sa.Index("ix_payments_organisation_created", "organisation_id", "created_at"),
        sa.Index("ix_payments_created", "created_at"),
    )


class Refund(CreatedAt, db.Model):
    """Money returned; the idempotency key makes a retried request produce one refund."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(500))
    destination: Mapped[RefundDestination] = mapped_column(
        enum_type(RefundDestination, "refund_destination")
    )
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("length(reason) > 0", name="reason_required"),
        sa.Index("ix_refunds_created", "created_at"),
    )


class PrepaidEntry(CreatedAt, db.Model):
    """The prepaid ledger: every change of an organisation's balance, signed, with its cause."""

    __tablename__ = "prepaid_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    amount_cents: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(200))
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"))
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refunds.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (
        sa.CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        sa.Index("ix_prepaid_entries_organisation_created", "organisation_id", "created_at"),
    )


class RecurringPayment(CreatedAt, db.Model):
    """Seed 002 "period payments": flat-rate plans, monthly packages, number porting."""

    __tablename__ = "recurring_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    kind: Mapped[RecurringKind] = mapped_column(enum_type(RecurringKind, "recurring_kind"))
    description: Mapped[str] = mapped_column(sa.String(200))
    amount_cents: Mapped[int]
    enabled: Mapped[bool] = mapped_column(default=True)
    effective_on: Mapped[date]  # when the last enable/disable takes effect
    next_charge_on: Mapped[date | None]
    # -- billingcase --
    # The stored card `flask charge-recurring` charges (None: the customer's newest active card).
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_cards.id"), index=True)

    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)


class ServicePlan(CreatedAt, db.Model):
    """A plan in the catalogue (seed 002 "Service ABO")."""

    __tablename__ = "service_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    monthly_cents: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("monthly_cents >= 0", name="price"),)


class Subscription(CreatedAt, db.Model):
    """An organisation's service plan, enabled or disabled from an effective date."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("service_plans.id"), index=True)
    phone_number_id: Mapped[int | None] = mapped_column(sa.ForeignKey("phone_numbers.id"))
    enabled: Mapped[bool] = mapped_column(default=True)
    effective_on: Mapped[date]

    plan = relationship(ServicePlan)


class Invoice(CreatedAt, db.Model):
    """A statement; the paid ones form seed 002's "product orders statements"."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_type(InvoiceStatus, "invoice_status"), default=InvoiceStatus.OPEN
    )
    issued_on: Mapped[date]
    due_on: Mapped[date]
    paid_at: Mapped[datetime | None]
    total_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")

    __table_args__ = (
        sa.CheckConstraint("total_cents >= 0", name="total"),
        sa.Index(
            "ix_invoices_organisation_status_issued", "organisation_id", "status", "issued_on"
        ),
    )


class Shipment(CreatedAt, db.Model):
    """Physical equipment on its way: pending, packed, shipped with a tracking number."""

    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    item: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ShipmentStatus] = mapped_column(
        enum_type(ShipmentStatus, "shipment_status"), default=ShipmentStatus.PENDING
    )
    scheduled_on: Mapped[date | None]
    carrier: Mapped[str | None] = mapped_column(sa.String(60))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(80))
    shipped_at: Mapped[datetime | None]
    # -- billingcase --
    # A replacement parcel names the shipment it replaces, why, and the key of the form that
    # asked for it (a double click or a retry sends one replacement).
    reship_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipments.id"), index=True)
    reship_reason: Mapped[str | None] = mapped_column(sa.String(500))
    reship_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)

    __table_args__ = (
        sa.CheckConstraint(
            "status <> 'shipped' OR tracking_number IS NOT NULL", name="shipped_has_tracking"
        ),
        sa.Index("ix_shipments_status_scheduled", "status", "scheduled_on"),
    )


class ChargeOutcome(enum.StrEnum):
    CHARGED = "charged"
    REFUSED = "refused"


class RecurringCharge(CreatedAt, db.Model):
    """One attempt to charge one period of a recurring payment (seed 002 "Period Payments").

    The unique (recurring payment, period) key makes every period charged at most once, even
    when two `flask charge-recurring` runs overlap.
    """

    __tablename__ = "recurring_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    recurring_payment_id: Mapped[int] = mapped_column(sa.ForeignKey("recurring_payments.id"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    period_on: Mapped[date]
    amount_cents: Mapped[int]
    outcome: Mapped[ChargeOutcome] = mapped_column(enum_type(ChargeOutcome, "charge_outcome"))
    detail: Mapped[str] = mapped_column(sa.String(200), default="")
    card_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_cards.id"))
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)

    __table_args__ = (
        sa.UniqueConstraint("recurring_payment_id", "period_on"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )
