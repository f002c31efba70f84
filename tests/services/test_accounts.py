"""Account services: registration, authentication, sessions, counters, profile, passwords."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, Organisation, OutboxMail, Role, SeenAddress, User
from helpdesk.services import ServiceError
from helpdesk.services.accounts import accounts
from helpdesk.services.core.counters import STARTS, next_number
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
    session_id = accounts.open_login_session(user)
    assert accounts.load_session_user(session_id) == user
    accounts.end_all_sessions(user)
    assert accounts.load_session_user(session_id) is None
    assert accounts.load_session_user(accounts.open_login_session(user)) == user
    user_id, version, token = session_id.split(":")
    for forged in [
        "",
        "abc",
        f"{user.id}",
        f"{user.id}:x",
        "999999:1",
        f"{user.id}:{int(version) + 1}",  # the pre-session format, without a token
        f"{user.id}:{int(version) + 1}:{token}x",
        f"999999:{int(version) + 1}:{token}",
    ]:
        assert accounts.load_session_user(forged) is None


def test_logging_out_ends_that_login_only():
    user = make_user(Role.AGENT)
    db.session.commit()
    laptop, phone = accounts.open_login_session(user), accounts.open_login_session(user)

    accounts.end_login_session(laptop)

    assert accounts.load_session_user(laptop) is None
    assert accounts.load_session_user(phone) == user


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


SECRET = "test-secret-key"
NEW_PASSWORD = "lighthouse-keeper-42"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_time_zone_choices_are_sorted_iana_names():
    zones = accounts.time_zone_choices()
    assert list(zones) == sorted(zones)
    assert {"America/Denver", "Europe/Oslo", "UTC"} <= set(zones)


def test_update_profile_saves_and_trims():
    user = make_user(Role.AGENT)
    db.session.commit()
    accounts.update_profile(user, name="  Kai Lund ", phone=" ", time_zone="Asia/Tokyo")
    db.session.expire_all()
    assert (user.name, user.phone, user.time_zone) == ("Kai Lund", None, "Asia/Tokyo")


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"phone": "5" * 41}, "phone"),
    ],
)
def test_update_profile_refuses_bad_values_and_changes_nothing(fields, field):
    user = make_user(Role.CUSTOMER, name="Kai", time_zone="Europe/Berlin")
    db.session.commit()
    values = {"name": "Kai Lund", "phone": "", "time_zone": "Europe/Oslo", **fields}
    with pytest.raises(ServiceError) as refusal:
        accounts.update_profile(user, **values)
    assert refusal.value.field == field
    db.session.rollback()
    assert (user.name, user.time_zone) == ("Kai", "Europe/Berlin")


def test_an_empty_zone_makes_the_profile_follow_the_business_zone():
    user = make_user(Role.CUSTOMER, name="Kai", time_zone="Europe/Berlin")
    db.session.commit()
    accounts.update_profile(user, name="Kai", phone="", time_zone="")
    assert user.time_zone is None


def test_change_password_checks_the_current_one_and_the_policy():
    user = make_user(Role.BILLING, email="kai@example.test", name="Kai Lund")
    db.session.commit()
    for current, new, field in [
        ("wrong-wrong-wrong", NEW_PASSWORD, "current_password"),
        (PASSWORD, "kai-lund-forever", "new_password"),
        (PASSWORD, "short", "new_password"),
    ]:
        with pytest.raises(ServiceError) as refusal:
            accounts.change_password(user, current, new)
        assert refusal.value.field == field
    db.session.rollback()
    assert user.check_password(PASSWORD) and user.session_version == 1
    assert count(AuditLog) == 0 and count(OutboxMail) == 0


def test_change_password_ends_sessions_audits_and_mails():
    user = make_user(Role.CUSTOMER, email="kai@example.test")
    db.session.commit()
    old_session = accounts.open_login_session(user)
    accounts.change_password(user, PASSWORD, NEW_PASSWORD, ip="198.51.100.7")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    assert accounts.load_session_user(old_session) is None
    audit = db.session.scalar(sa.select(AuditLog))
    assert (audit.action, audit.actor_id, audit.ip_address) == (
        "account.password_change",
        user.id,
        "198.51.100.7",
    )
    mail = db.session.scalar(sa.select(OutboxMail))
    assert (mail.to_address, mail.subject) == ("kai@example.test", "Your password was changed")
    assert "198.51.100.7" in mail.body_text
    db.session.rollback()  # committed: nothing left to undo
    assert count(AuditLog) == 1 and count(OutboxMail) == 1


def test_reset_token_names_the_user_until_it_expires():
    user = make_user(Role.AGENT)
    db.session.commit()
    token = accounts.make_reset_token(user, SECRET)
    assert accounts.user_for_reset_token(token, SECRET, 3600) == user
    assert accounts.user_for_reset_token(token, SECRET, -1) is None  # expired
    assert accounts.user_for_reset_token(token, "another-key", 3600) is None
    assert accounts.user_for_reset_token(token + "x", SECRET, 3600) is None
    assert accounts.user_for_reset_token("", SECRET, 3600) is None
    user.active = False
    db.session.commit()
    assert accounts.user_for_reset_token(token, SECRET, 3600) is None


def test_reset_token_dies_with_the_password_it_was_made_for():
    user = make_user(Role.AGENT)
    db.session.commit()
    token = accounts.make_reset_token(user, SECRET)
    accounts.change_password(user, PASSWORD, NEW_PASSWORD)
    assert accounts.user_for_reset_token(token, SECRET, 3600) is None


def test_reset_request_mails_only_active_accounts():
    active = make_user(Role.CUSTOMER, email="kai@example.test")
    make_user(Role.CUSTOMER, email="gone@example.test", active=False)
    db.session.commit()
    links = []

    def link_for(token: str) -> str:
        links.append(token)
        return f"https://help.example/auth/reset/{token}"

    options = {"secret_key": SECRET, "max_age": 1800, "link_for": link_for}
    assert accounts.request_password_reset("ghost@example.test", **options) is False
    assert accounts.request_password_reset("gone@example.test", **options) is False
    assert accounts.request_password_reset(" KAI@example.test", **options) is True
    (mail,) = db.session.scalars(sa.select(OutboxMail)).all()
    assert mail.user_id == active.id and mail.template_key == "password_reset"
    assert f"https://help.example/auth/reset/{links[0]}\n" in mail.body_text
    assert "within 30 minutes" in mail.body_text
    assert accounts.user_for_reset_token(links[0], SECRET, 1800) == active


def test_reset_password_works_once_and_ends_sessions():
    user = make_user(Role.ADMIN, email="kai@example.test", name="Kai Lund")
    db.session.commit()
    token = accounts.make_reset_token(user, SECRET)
    old_session = accounts.open_login_session(user)
    with pytest.raises(ServiceError) as weak:
        accounts.reset_password(token, "kai-lund-2026", secret_key=SECRET, max_age=60)
    assert weak.value.field == "password"
    accounts.reset_password(token, NEW_PASSWORD, secret_key=SECRET, max_age=60, ip="203.0.113.9")
    assert user.check_password(NEW_PASSWORD)
    assert accounts.load_session_user(old_session) is None
    assert db.session.scalar(sa.select(AuditLog.action)) == "account.password_reset"
    with pytest.raises(ServiceError) as used:
        accounts.reset_password(token, "yet-another-pass-9", secret_key=SECRET, max_age=60)
    assert used.value.field == "token"
    with pytest.raises(ServiceError):
        accounts.reset_password(token, NEW_PASSWORD, secret_key=SECRET, max_age=-1)
    assert user.check_password(NEW_PASSWORD) and count(AuditLog) == 1
