"""Orders, payments, refunds and shipments through the API. Money is integer cents; a card is
shown as its brand and last four digits only, never more of its number."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field

from helpdesk.api.schemas.common import Cursor, Id, NamedRef, PageSize, PersonRef, Strict, UtcTime
from helpdesk.api.schemas.text import line
from helpdesk.models import (
    InvoiceStatus,
    OrderKind,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    RefundDestination,
    ShipmentStatus,
)
from helpdesk.rules.numbers import LARGEST_ID

Cents = Annotated[int, Field(strict=True, ge=1, le=LARGEST_ID)]
Reason = line(500, min_length=1)


class OrderListQuery(Strict):
    organisation_id: Id | None = Field(default=None, description="Only this customer's orders.")
    limit: PageSize = 25
    cursor: Cursor = None


class Card(BaseModel):
    """A stored card as it may be shown (PCI DSS): brand, last four, expiry."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int


class Refund(BaseModel):
    id: int
    payment_id: int
    amount_cents: int
    destination: RefundDestination = Field(description="`card` or `prepaid` (the balance).")
    reason: str
    created_by: PersonRef | None
    created_at: UtcTime


class Payment(BaseModel):
    id: int
    organisation: NamedRef
    order_id: int | None
    invoice_id: int | None
    method: PaymentMethod
    status: PaymentStatus
    amount_cents: int
    refunded_cents: int
    refundable_cents: int = Field(description="What can still be refunded.")
    currency: str
    card: Card | None
    created_at: UtcTime
    refunds: list[Refund]
    url: str = Field(description="The payment's page in the browser.")


class Shipment(BaseModel):
    id: int
    item: str
    status: ShipmentStatus
    scheduled_on: date | None
    carrier: str | None
    tracking_number: str | None
    shipped_at: UtcTime | None
    reship_of_id: int | None = Field(description="The shipment this one replaces.")


class Invoice(BaseModel):
    id: int
    number: str
    status: InvoiceStatus
    issued_on: date
    due_on: date
    paid_at: UtcTime | None
    total_cents: int
    currency: str


class OrderSummary(BaseModel):
    id: int
    number: str
    organisation: NamedRef
    product: str
    version: str
    kind: OrderKind
    status: OrderStatus
    quantity: int
    amount_cents: int
    currency: str
    ordered_at: UtcTime
    expires_on: date | None = Field(description="End of a paid support or maintenance term.")
    licensed_website: str | None
    url: str = Field(description="The order's page in the browser.")


class OrderDetail(OrderSummary):
    licence_key: str | None
    promotion: str | None = Field(description="The code of the promotion applied.")
    invoices: list[Invoice]
    payments: list[Payment]
    shipments: list[Shipment]


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


class RefundCreate(Strict):
    amount_cents: Cents = Field(description="Whole cents, at most what is left to refund.")
    reason: Reason = Field(description="Why; the customer's notice and the audit log say it.")
    destination: RefundDestination = Field(
        description="`card`: back to the card paid with; `prepaid`: the customer's balance."
    )


class RefundCreated(BaseModel):
    refund: Refund
    payment: Payment = Field(description="The payment after the refund.")
