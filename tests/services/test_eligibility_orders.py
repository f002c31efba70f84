"""Which of an organisation's orders count for support eligibility."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import (
    Invoice,
    InvoiceStatus,
    OrderKind,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    utcnow,
)
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.services.cases.eligibility import organisation_eligibility
from tests.factories import make_order, make_organisation, make_product

pytestmark = pytest.mark.usefixtures("ctx")


def level(organisation) -> SupportLevel:
    return organisation_eligibility(organisation.id, utcnow().date()).level


def test_a_new_software_purchase_gives_support_but_new_equipment_does_not():
    printer = make_product(code="PRN", name="Receipt printer", physical=True)
    licence = make_product(code="LIC", name="AbleCommerce licence")
    with_printer, with_licence = make_organisation(), make_organisation()
    old = utcnow() - timedelta(days=400)
    for organisation in (with_printer, with_licence):
        make_order(organisation, ordered_at=old, kind=OrderKind.PURCHASE)
    make_order(with_printer, product_id=printer.id, product=printer.name)
    make_order(with_licence, product_id=licence.id, product=licence.name)
    db.session.commit()

    assert level(with_licence) == SupportLevel.ACTIVE
    assert level(with_printer) != SupportLevel.ACTIVE


def pay(order, amount: int, refunded: int = 0, status=PaymentStatus.SUCCEEDED):
    db.session.add(
        Payment(
            organisation_id=order.organisation_id,
            order_id=order.id,
            method=PaymentMethod.CARD,
            status=status,
            amount_cents=amount,
            refunded_cents=refunded,
        )
    )


def invoice(order, status: InvoiceStatus):
    today = utcnow().date()
    db.session.add(
        Invoice(
            number=f"I-{order.number}",
            organisation_id=order.organisation_id,
            order_id=order.id,
            status=status,
            issued_on=today,
            due_on=today,
            total_cents=order.amount_cents,
        )
    )


def long_evaluator():
    organisation = make_organisation()
    make_order(
        organisation,
        kind=OrderKind.EVALUATION,
        amount_cents=0,
        ordered_at=utcnow() - timedelta(days=120),
    )
    return organisation


def test_an_unpaid_invoice_order_does_not_make_a_long_evaluator_active():
    organisation = long_evaluator()
    order = make_order(organisation, status=OrderStatus.PENDING)
    invoice(order, InvoiceStatus.OPEN)
    db.session.commit()

    assert level(organisation) == SupportLevel.SEND_TO_SALES


def test_a_settled_invoice_gives_support_even_before_the_order_is_marked_paid():
    organisation = long_evaluator()
    order = make_order(organisation, status=OrderStatus.PENDING)
    invoice(order, InvoiceStatus.PAID)
    db.session.commit()

    assert level(organisation) == SupportLevel.ACTIVE


def test_a_payment_that_covers_a_pending_order_gives_support():
    organisation = long_evaluator()
    order = make_order(organisation, status=OrderStatus.PENDING, amount_cents=5000)
    pay(order, 5000)
    db.session.commit()

    assert level(organisation) == SupportLevel.ACTIVE


def test_a_failed_payment_does_not():
    organisation = long_evaluator()
    order = make_order(organisation, status=OrderStatus.PENDING, amount_cents=5000)
    pay(order, 5000, status=PaymentStatus.FAILED)
    db.session.commit()

    assert level(organisation) == SupportLevel.SEND_TO_SALES


def test_a_purchase_refunded_in_full_gives_no_support_but_a_partial_refund_does():
    full, partial = long_evaluator(), long_evaluator()
    pay(make_order(full, amount_cents=5000), 5000, refunded=5000)
    pay(make_order(partial, amount_cents=5000), 5000, refunded=4999)
    db.session.commit()

    assert level(full) == SupportLevel.SEND_TO_SALES
    assert level(partial) == SupportLevel.ACTIVE


def test_with_only_an_unpaid_order_the_agent_reads_why():
    organisation = make_organisation()
    order = make_order(organisation, status=OrderStatus.PENDING)
    db.session.commit()

    result = organisation_eligibility(organisation.id, utcnow().date())
    assert result.level == SupportLevel.NO_PLAN
    assert result.reason == f"Order {order.number} is not paid yet: it gives support once paid"


def test_as_of_an_earlier_day_later_orders_do_not_count():
    organisation = make_organisation()
    make_order(organisation, ordered_at=utcnow() - timedelta(days=400))
    make_order(organisation, ordered_at=utcnow() - timedelta(days=2))
    db.session.commit()

    earlier = (utcnow() - timedelta(days=10)).date()
    assert organisation_eligibility(organisation.id, earlier).level == SupportLevel.NO_PLAN
    assert level(organisation) == SupportLevel.ACTIVE
