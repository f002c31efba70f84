"""The shipment queue (seed 002 "Shipment Queue"): list it, mark a shipment packed or shipped.

The moves and the carrier's details follow helpdesk.rules.shipments; each move locks the
row (two clerks on one parcel: the second sees the first one's move), is audited and commits.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Order, Organisation, Shipment, ShipmentStatus, User, utcnow
from helpdesk.rules import shipments as rules
from helpdesk.services import ServiceError, audit

NOT_SHIPPED = "open"  # the queue's default view: pending and packed
ALL = "all"


@dataclass(frozen=True)
class ShipmentLine:
    """A shipment as the queue shows it, with its customer's name and order number."""

    shipment: Shipment
    customer: str
    order_number: str


def queue_query(status: str = NOT_SHIPPED) -> sa.Select:
    """Shipments in `status` ("open": not yet shipped; "all"), earliest scheduled first."""
    query = sa.select(Shipment).order_by(
        Shipment.scheduled_on.asc().nulls_last(), Shipment.id.asc()
    )
    if status == NOT_SHIPPED:
        return query.where(Shipment.status != ShipmentStatus.SHIPPED)
    if status == ALL:
        return query
    return query.where(Shipment.status == ShipmentStatus(status))


def lines(shipments: list[Shipment]) -> list[ShipmentLine]:
    """Rows for these shipments: customers and orders read in one query each."""
    organisation_ids = {s.organisation_id for s in shipments}
    order_ids = {s.order_id for s in shipments}
    names = _lookup(Organisation.id, Organisation.name, organisation_ids)
    numbers = _lookup(Order.id, Order.number, order_ids)
    return [
        ShipmentLine(s, names.get(s.organisation_id, ""), numbers.get(s.order_id, ""))
        for s in shipments
    ]


def _lookup(key: sa.Column, value: sa.Column, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(key, value).where(key.in_(ids))).all())


def _locked(shipment_id: int) -> Shipment:
    shipment = db.session.scalar(
        sa.select(Shipment)
        .where(Shipment.id == shipment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if shipment is None:
        db.session.rollback()
        raise ServiceError("This shipment does not exist.")
    return shipment


def _move(shipment: Shipment, target: ShipmentStatus) -> ShipmentStatus:
    """Check the move; the status before it. Refusals end the transaction."""
    refusal = rules.transition_error(shipment.status.value, target.value)
    if refusal is not None:
        db.session.rollback()
        raise ServiceError(refusal)
    return shipment.status


def mark_packed(shipment_id: int, *, actor: User, ip_address: str | None = None) -> Shipment:
    """Pending -> packed; audited; commit."""
    shipment = _locked(shipment_id)
    before = _move(shipment, ShipmentStatus.PACKED)
    shipment.status = ShipmentStatus.PACKED
    audit.record(
        "shipment.pack",
        actor=actor,
        obj=shipment,
        organisation_id=shipment.organisation_id,
        ip_address=ip_address,
        before=before.value,
        after=shipment.status.value,
    )
    db.session.commit()
    return shipment


def mark_shipped(
    shipment_id: int,
    *,
    actor: User,
    carrier: str | None,
    tracking_number: str | None,
    ip_address: str | None = None,
) -> Shipment:
    """Packed -> shipped with the carrier and tracking number; audited; commit."""
    try:
        carrier = rules.clean_carrier(carrier)
    except ValueError as error:
        raise ServiceError(str(error), field="carrier") from None
    try:
        tracking_number = rules.clean_tracking_number(tracking_number)
    except ValueError as error:
        raise ServiceError(str(error), field="tracking_number") from None
    shipment = _locked(shipment_id)
    before = _move(shipment, ShipmentStatus.SHIPPED)
    shipment.status = ShipmentStatus.SHIPPED
    shipment.carrier = carrier
    shipment.tracking_number = tracking_number
    shipment.shipped_at = utcnow()
    audit.record(
        "shipment.ship",
        actor=actor,
        obj=shipment,
        organisation_id=shipment.organisation_id,
        ip_address=ip_address,
        before=before.value,
        after=shipment.status.value,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    db.session.commit()
    return shipment
