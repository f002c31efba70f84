"""Demo data for payments on the case page and recurring charges (issue 15 items 15, 18).

A case whose order has a card payment and a parcel that shipped (refund or send a replacement
from the case), an agent with the billing permission, and recurring payments that are due:
one on a good card (a missed period to catch up), one of another customer on a card
FRAUD-STOP blocked.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Case,
    Contact,
    Order,
    Organisation,
    Payment,
    PaymentCard,
    PaymentStatus,
    RecurringKind,
    RecurringPayment,
    Shipment,
    ShipmentStatus,
    User,
)
from helpdesk.rules.cards import card_brand, card_fingerprint, last_four
from helpdesk.services.core.counters import next_number

BILLING_AGENT_EMAIL = "agent2@example.com"  # granted the billing permission


def demo_case_number() -> int | None:
    """The demo case whose order has a payment and a shipped parcel."""
    return db.session.scalar(
        sa.select(Case.number)
        .join(Shipment, Shipment.order_id == Case.order_id)
        .where(Shipment.status == ShipmentStatus.SHIPPED, Shipment.reship_of_id.is_(None))
        .order_by(Case.number)
        .limit(1)
    )


def load(customers: list[User], card_key: bytes, blocked_card_number: str, now: datetime) -> None:
    """Add the rows above (called once from demo.load)."""
    today = now.date()
    case = db.session.scalar(
        sa.select(Case)
        .join(Payment, Payment.order_id == Case.order_id)
        .where(Payment.status == PaymentStatus.SUCCEEDED, Payment.card_id.is_not(None))
        .order_by(Case.number)
        .limit(1)
    )
    if case is not None:
        order = db.session.get(Order, case.order_id)
        db.session.add(
            Shipment(
                order_id=order.id,
                organisation_id=order.organisation_id,
                item="Receipt printer (TM-30)",
                status=ShipmentStatus.SHIPPED,
                scheduled_on=today - timedelta(days=6),
                carrier="UPS",
                tracking_number="1Z999AA10123456784",
                shipped_at=now - timedelta(days=5),
            )
        )
    agent = db.session.scalar(sa.select(User).where(User.email == BILLING_AGENT_EMAIL))
    if agent is not None:
        agent.billing_permission = True

    summit = customers[4].organisation_id
    card = db.session.scalar(
        sa.select(PaymentCard).where(PaymentCard.organisation_id == summit).limit(1)
    )
    missed = today - timedelta(days=33)
    db.session.add(
        RecurringPayment(
            organisation_id=summit,
            kind=RecurringKind.MONTHLY_PACKAGE,
            description="Voicemail package",
            amount_cents=900,
            effective_on=missed,
            next_charge_on=missed,  # one period missed, the next one due
            card_id=card.id if card else None,
        )
    )
    # Its own customer: a blocked stored card stops account changes for its organisation.
    kiosks = Organisation(name="Redwood Kiosks", customer_number=f"C{next_number('customer')}")
    db.session.add(kiosks)
    db.session.flush()
    db.session.add(
        Contact(
            organisation_id=kiosks.id,
            name="Rita Ross",
            email="rita@redwoodkiosks.example",
            is_primary=True,
        )
    )
    blocked = PaymentCard(
        organisation_id=kiosks.id,
        brand=card_brand(blocked_card_number),
        last4=last_four(blocked_card_number),
        exp_month=12,
        exp_year=now.year + 2,
        processor_token=f"tok_{secrets.token_hex(12)}",
        fingerprint=card_fingerprint(blocked_card_number, card_key),
    )
    db.session.add(blocked)
    db.session.flush()
    db.session.add(
        RecurringPayment(
            organisation_id=kiosks.id,
            kind=RecurringKind.MONTHLY_PACKAGE,
            description="Hosting package S",
            amount_cents=1900,
            effective_on=today,
            next_charge_on=today,
            card_id=blocked.id,
        )
    )
