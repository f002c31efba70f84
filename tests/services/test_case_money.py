"""Refunds and replacement parcels made from a case: the payment manager's services, with the
case's timeline and the audit row written in the same transaction (issue 15 item 15)."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    AuditLog,
    Refund,
    Role,
    Shipment,
    ShipmentStatus,
    utcnow,
)
from helpdesk.services import ServiceError
from helpdesk.services.billing import refunds, shipments
from tests.factories import make_case, make_order, make_organisation, make_user
from tests.services.test_refunds import make_payment

pytestmark = pytest.mark.usefixtures("ctx")


def key() -> str:
    return secrets.token_urlsafe(16)


@pytest.fixture
def world() -> dict:
    """A case about an order with a $100.00 card payment and a parcel that shipped."""
    organisation = make_organisation(name="Acme Hosting")
    order = make_order(organisation)
    case = make_case(organisation, order_id=order.id)
    payment = make_payment(organisation, order_id=order.id)
    parcel = Shipment(
        order_id=order.id,
        organisation_id=organisation.id,
        item="Receipt printer",
        status=ShipmentStatus.SHIPPED,
        carrier="UPS",
        tracking_number="1Z999",
        shipped_at=utcnow(),
    )
    db.session.add(parcel)
    db.session.commit()
    return {"organisation": organisation, "case": case, "payment": payment, "parcel": parcel}


def activities(case) -> list[Activity]:
    return list(db.session.scalars(sa.select(Activity).where(Activity.case_id == case.id)))


def refund_from_case(actor, world, amount=2500, request_key=None, case=None):
    return refunds.refund(
        actor=actor,
        payment_id=world["payment"].id,
        amount_cents=amount,
        reason="Printer arrived late",
        destination="card",
        idempotency_key=request_key or key(),
        case_id=(case or world["case"]).id,
    )


def test_a_refund_from_the_case_is_on_its_timeline_and_in_the_audit(world):
    clerk = make_user(Role.BILLING, name="Bea Billing")
    result = refund_from_case(clerk, world)
    [activity] = activities(world["case"])
    assert activity.actor_id == clerk.id
    assert activity.summary == (
        f"Refunded $25.00 of payment #{world['payment'].id} to Visa ending 4242: "
        "Printer arrived late"
    )
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "refund.create"))
    assert entry.object_id == result.refund.id
    assert entry.details["case_number"] == world["case"].number
    assert db.session.get(type(world["payment"]), world["payment"].id).refunded_cents == 2500


def test_a_retried_refund_from_the_case_refunds_and_logs_once(world):
    clerk = make_user(Role.BILLING)
    same = key()
    first = refund_from_case(clerk, world, request_key=same)
    again = refund_from_case(clerk, world, request_key=same)
    assert again.replay and again.refund.id == first.refund.id
    assert len(activities(world["case"])) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 1


def test_a_payment_of_another_order_is_refused_on_this_case(world):
    clerk = make_user(Role.BILLING)
    other = make_case(world["organisation"], order_id=make_order(world["organisation"]).id)
    with pytest.raises(ServiceError, match="not one of the case's order"):
        refund_from_case(clerk, world, case=other)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0
    assert activities(other) == []


def test_an_agent_refunds_only_with_the_billing_permission(world):
    agent = make_user(Role.AGENT)
    with pytest.raises(ServiceError, match="billing permission"):
        refund_from_case(agent, world)
    agent.billing_permission = True
    db.session.commit()
    assert refund_from_case(agent, world).refund.created_by_id == agent.id


def test_the_refund_form_rules_hold_on_the_case(world):
    clerk = make_user(Role.BILLING)
    with pytest.raises(ServiceError, match="at most \\$100.00"):
        refund_from_case(clerk, world, amount=10_001)
    assert activities(world["case"]) == []


def reship(actor, world, request_key=None, case=None, parcel=None):
    return shipments.reship(
        (parcel or world["parcel"]).id,
        actor=actor,
        reason="Lost by the carrier",
        idempotency_key=request_key or key(),
        case_id=(case or world["case"]).id,
    )


def test_a_replacement_joins_the_shipment_queue_logged_on_the_case(world):
    clerk = make_user(Role.BILLING)
    result = reship(clerk, world)
    new = result.shipment
    assert (new.status, new.item, new.reship_of_id) == (
        ShipmentStatus.PENDING,
        "Receipt printer",
        world["parcel"].id,
    )
    assert new.reship_reason == "Lost by the carrier"
    [activity] = activities(world["case"])
    assert activity.summary == (
        "Replacement of Receipt printer queued for shipping: Lost by the carrier"
    )
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "shipment.reship"))
    assert entry.object_id == new.id and entry.details["reship_of_id"] == world["parcel"].id


def test_a_retried_replacement_sends_one_parcel(world):
    clerk = make_user(Role.BILLING)
    same = key()
    first = reship(clerk, world, request_key=same)
    again = reship(clerk, world, request_key=same)
    assert again.replay and again.shipment.id == first.shipment.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 2


def test_a_second_replacement_waits_for_the_first_to_ship(world):
    clerk = make_user(Role.BILLING)
    reship(clerk, world)
    with pytest.raises(ServiceError, match="already in the shipment queue"):
        reship(clerk, world)


def test_only_a_parcel_that_left_is_replaced(world):
    clerk = make_user(Role.BILLING)
    pending = Shipment(
        order_id=world["parcel"].order_id,
        organisation_id=world["organisation"].id,
        item="Desk phone",
    )
    db.session.add(pending)
    db.session.commit()
    with pytest.raises(ServiceError, match="has not left yet"):
        reship(clerk, world, parcel=pending)


def test_agents_without_the_permission_cannot_reship(world):
    with pytest.raises(ServiceError, match="billing permission"):
        reship(make_user(Role.AGENT), world)
    assert activities(world["case"]) == []
