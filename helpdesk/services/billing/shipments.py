"""The shipment queue (seed 002 "Shipment Queue"): list it, mark a shipment packed or shipped,
send a replacement for a parcel that was lost or arrived broken.

The moves and the carrier's details follow helpdesk.rules.shipments; each move locks the
row (two clerks on one parcel: the second sees the first one's move), is audited and commits.
A replacement ("reship") locks the original the same way and carries the key of the form
that asked for it, so a double click or a retried request sends one replacement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    ActivityKind,
    Case,
    Order,
    Organisation,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)
from helpdesk.rules import shipments as rules
from helpdesk.rules.billing_access import may_handle_money
from helpdesk.services import ServiceError
from helpdesk.services.billing import locking
from helpdesk.services.core import audit

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


# --- replacements -----------------------------------------------------------------------------

REASON_MAX = 500  # shipments.reship_reason is VARCHAR(500)
KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # shipments.reship_key is VARCHAR(64)
KEY_REUSED = "This form was already used for another replacement: reload the page and try again."
NOT_THIS_CASE = "This shipment is not one of the case's order: open it from its own case."


@dataclass(frozen=True)
class ReshipResult:
    """The replacement shipment, and whether a request with the same key made it earlier."""

    shipment: Shipment
    replay: bool


def reship(
    shipment_id: int,
    *,
    actor: User,
    reason: str,
    idempotency_key: str,
    case_id: int | None = None,
    ip_address: str | None = None,
) -> ReshipResult:
    """Queue a replacement of a shipped parcel (lost, broken); audited, on the case; commit."""
    if actor is None or not may_handle_money(actor.role, actor.billing_permission, actor.active):
        raise ServiceError(
            "Only billing staff, administrators and agents with the billing permission can "
            "send a replacement."
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise ServiceError("Say why the parcel is sent again.", field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(f"Use at most {REASON_MAX} characters.", field="reason")
    if not isinstance(idempotency_key, str) or not KEY_PATTERN.fullmatch(idempotency_key):
        raise ServiceError("This form is out of date: reload the page and try again.")
    try:
        return _reship_locked(shipment_id, actor, reason, idempotency_key, case_id, ip_address)
    except IntegrityError:
        db.session.rollback()
        first = _by_key(idempotency_key)  # the same key, committed a moment ago
        if first is None:
            raise
        return _replay(first, shipment_id)


def _reship_locked(
    shipment_id: int,
    actor: User,
    reason: str,
    key: str,
    case_id: int | None,
    ip_address: str | None,
) -> ReshipResult:
    original = locking.locked_row(Shipment, shipment_id)
    try:
        if original is None:
            raise ServiceError("This shipment does not exist.")
        first = _by_key(key)
        if first is not None:
            return _replay(first, shipment_id)
        case = None
        if case_id is not None:
            case = db.session.get(Case, case_id)
            if case is None or case.order_id != original.order_id:
                raise ServiceError(NOT_THIS_CASE)
        if original.status != ShipmentStatus.SHIPPED:
            raise ServiceError(
                f"This parcel has not left yet ({original.status}): there is nothing to replace."
            )
        open_replacement = db.session.scalar(
            sa.select(Shipment.id).where(
                Shipment.reship_of_id == original.id,
                Shipment.status != ShipmentStatus.SHIPPED,
            )
        )
        if open_replacement is not None:
            raise ServiceError("A replacement of this parcel is already in the shipment queue.")
    except ServiceError:
        db.session.rollback()  # release the lock
        raise
    replacement = Shipment(
        order_id=original.order_id,
        organisation_id=original.organisation_id,
        item=original.item,
        scheduled_on=utcnow().date(),
        reship_of_id=original.id,
        reship_reason=reason,
        reship_key=key,
    )
    db.session.add(replacement)
    db.session.flush()
    if case is not None:
        db.session.add(
            Activity(
                case_id=case.id,
                actor_id=actor.id,
                kind=ActivityKind.ACTION,
                summary=f"Replacement of {original.item} queued for shipping: {reason}"[:500],
                details={"shipment_id": replacement.id, "reship_of_id": original.id},
            )
        )
    audit.record(
        "shipment.reship",
        actor=actor,
        obj=replacement,
        organisation_id=original.organisation_id,
        ip_address=ip_address,
        reship_of_id=original.id,
        item=original.item,
        reason=reason,
        **({"case_number": case.number} if case is not None else {}),
    )
    db.session.commit()
    return ReshipResult(shipment=replacement, replay=False)


def _by_key(key: str) -> Shipment | None:
    return db.session.scalar(
        sa.select(Shipment)
        .where(Shipment.reship_key == key)
        .execution_options(populate_existing=True)
    )


def _replay(first: Shipment, shipment_id: int) -> ReshipResult:
    db.session.rollback()  # nothing was written; end the transaction and its lock
    if first.reship_of_id != shipment_id:
        raise ServiceError(KEY_REUSED)
    return ReshipResult(shipment=first, replay=True)
