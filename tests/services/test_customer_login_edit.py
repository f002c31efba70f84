"""A customer login's name and phone changed for them by staff: audited on the profile's
change log, nothing written when nothing changed, never a staff login."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Role
from helpdesk.services import ServiceError
from helpdesk.services.accounts import customers
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("ctx")


def _audits() -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "customer.update")))


def test_changes_are_saved_and_on_the_change_log():
    login = make_user(Role.CUSTOMER, name="Nancy", phone="0421 100")
    clerk = make_user(Role.BILLING)
    changes = customers.update_login(
        login.id, actor=clerk, name=" Nancy   Fuller ", phone="", ip_address="192.0.2.9"
    )
    assert (login.name, login.phone) == ("Nancy Fuller", None)
    assert [(c["before"], c["after"]) for c in changes] == [
        ("Nancy", "Nancy Fuller"),
        ("0421 100", None),
    ]
    [entry] = _audits()
    assert (entry.actor_id, entry.organisation_id, entry.object_id) == (
        clerk.id,
        login.organisation_id,
        login.id,
    )
    assert entry.ip_address == "192.0.2.9"


def test_nothing_changed_writes_nothing():
    login = make_user(Role.CUSTOMER, name="Nancy")
    assert customers.update_login(login.id, actor=login, name="Nancy", phone="") == []
    assert _audits() == []


@pytest.mark.parametrize(
    "name, phone, field",
    [("", "", "name"), ("x" * 121, "", "name"), ("Nancy", "call me", "phone")],
)
def test_refused_values_name_their_field(name, phone, field):
    login = make_user(Role.CUSTOMER, name="Nancy")
    with pytest.raises(ServiceError) as refused:
        customers.update_login(login.id, actor=login, name=name, phone=phone)
    assert refused.value.field == field
    assert login.name == "Nancy"


def test_a_staff_login_is_no_customer():
    agent = make_user(Role.AGENT)
    with pytest.raises(ServiceError):
        customers.update_login(agent.id, actor=agent, name="Renamed", phone="")
