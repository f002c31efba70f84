"""Account services: registration rules, authentication, session loading, counters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Organisation, Role, SeenAddress, User
from helpdesk.services import ServiceError, accounts
from helpdesk.services.counters import STARTS, next_number
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def register(**overrides) -> User:
    fields = {
        "name": "Ivy Park",
        "company": "Park Cinemas",
        "email": "ivy@park.example",
        "password": "popcorn-at-midnight",
        **overrides,
    }
    return accounts.register_customer(**fields)


def test_registration_numbers_customers_in_sequence():
    first = register()
    second = register(email="ola@park.example", name="Ola Berg")
    numbers = [first.organisation.customer_number, second.organisation.customer_number]
    assert numbers == [f"C{STARTS['customer']}", f"C{STARTS['customer'] + 1}"]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "bad@"}, "email"),
        ({"password": "popcorn"}, "password"),
        ({"password": "ivy-park-forever"}, "password"),  # contains the name
    ],
)
def test_refused_registration_writes_nothing(overrides, field):
    with pytest.raises(ServiceError) as refusal:
        register(**overrides)
    assert refusal.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_authenticate_checks_password_and_activity():
    user = make_user(Role.AGENT, email="kai@example.test")
    db.session.commit()
    assert accounts.authenticate("KAI@example.test", PASSWORD) == user
    assert accounts.authenticate("kai@example.test", "nope-nope-nope") is None
    assert accounts.authenticate("ghost@example.test", PASSWORD) is None
    user.active = False
    db.session.commit()
    assert accounts.authenticate("kai@example.test", PASSWORD) is None


def test_session_id_carries_the_version():
    user = make_user(Role.BILLING)
    db.session.commit()
    session_id = user.get_id()
    assert accounts.load_session_user(session_id) == user
    accounts.end_all_sessions(user)
    assert accounts.load_session_user(session_id) is None
    assert accounts.load_session_user(user.get_id()) == user
    for forged in ["", "abc", f"{user.id}", f"{user.id}:x", "999999:1"]:
        assert accounts.load_session_user(forged) is None


def test_login_records_the_address_once_per_user():
    user = make_user(Role.CUSTOMER)
    db.session.commit()
    for _ in range(3):
        accounts.record_login(user, "198.51.100.7")
    accounts.record_login(user, "2001:db8::7")
    addresses = db.session.scalars(
        sa.select(SeenAddress.ip_address).where(SeenAddress.user_id == user.id)
    ).all()
    assert sorted(addresses) == ["198.51.100.7", "2001:db8::7"]
    assert user.last_login_at is not None


def test_counters_are_independent_and_increasing():
    cases = [next_number("case") for _ in range(3)]
    orders = [next_number("order") for _ in range(2)]
    assert cases == [STARTS["case"], STARTS["case"] + 1, STARTS["case"] + 2]
    assert orders == [STARTS["order"], STARTS["order"] + 1]
    db.session.rollback()  # numbers belong to the transaction that took them
    assert next_number("case") == STARTS["case"]
