"""Which of an organisation's orders count for support eligibility."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import OrderKind, utcnow
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.services.eligibility import organisation_eligibility
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
