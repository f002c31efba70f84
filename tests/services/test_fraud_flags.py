"""Fraud flags on cases: set when a block is made or a case opened, cleared when lifted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    CaseFraudFlag,
    Category,
    PaymentCard,
    Role,
    SeenAddress,
)
from helpdesk.rules.cards import card_fingerprint
from helpdesk.services.accounts import accounts
from helpdesk.services.cases import cases, clone
from helpdesk.services.fraud import fraud
from helpdesk.services.fraud.fraud_flags import flagged_condition, flags_for_cases
from helpdesk.services.tracker import phone
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

CARD = "4000 0566 5566 5556"


def staff():
    return make_user(Role.ADMIN, name="Ada Admin")


def customer(name: str, *addresses: str):
    organisation = make_organisation(name=name)
    user = make_user(Role.CUSTOMER, organisation=organisation, name=f"{name} buyer")
    for address in addresses:
        db.session.add(SeenAddress(user_id=user.id, ip_address=address))
    db.session.flush()
    return organisation, user


def with_card(organisation, number: str = CARD) -> None:
    db.session.add(
        PaymentCard(
            organisation_id=organisation.id,
            brand="Visa",
            last4=number[-4:],
            exp_month=12,
            exp_year=2030,
            processor_token=f"tok_{organisation.id}_{number[-4:]}",
            fingerprint=card_fingerprint(number, current_app.config["CARD_HASH_KEY"].encode()),
        )
    )
    db.session.flush()


def flagged(*case_list) -> list[bool]:
    found = flags_for_cases([c.id for c in case_list])
    return [c.id in found for c in case_list]


def test_blocking_an_address_flags_the_cases_of_customers_seen_there():
    shady, buyer = customer("Shady Ltd", "203.0.113.7", "198.51.100.1")
    clean, _ = customer("Clean Co", "192.0.2.10")
    old = make_case(shady, subject="Licence key please")
    other = make_case(shady, subject="Second case")
    bystander = make_case(clean)
    db.session.commit()

    blocked = fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Card testing bots")

    assert flagged(old, other, bystander) == [True, True, False]
    (flag,) = flags_for_cases([old.id])[old.id]
    assert (flag.address, flag.login_name, flag.network, flag.blocked_as) == (
        "203.0.113.7",
        buyer.name,
        "203.0.113.0/24",
        "203.0.113.0/24",
    )
    assert flag.summary == (
        "Login address 203.0.113.7 is blocked (203.0.113.0/24): Card testing bots"
    )
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.object_id == blocked.id))
    assert audit.details["flagged_cases"] == 2


def test_ipv4_mapped_and_ipv6_addresses_match_their_blocks():
    mapped, _ = customer("Mapped", "::ffff:192.0.2.33")
    six, _ = customer("Six", "2001:db8::42")
    a, b = make_case(mapped), make_case(six)
    db.session.commit()
    fraud.block_ip("192.0.2.33", actor=staff(), reason="Chargebacks")
    fraud.block_ip("2001:db8::/32", actor=staff(), reason="Chargebacks")
    assert flagged(a, b) == [True, True]
    (flag,) = flags_for_cases([a.id])[a.id]
    assert flag.blocked_as is None  # the block is exactly this address


def test_blocking_a_card_flags_the_cases_of_customers_who_stored_it():
    shady, _ = customer("Shady Ltd")
    with_card(shady)
    with_card(shady, "4242 4242 4242 4242")
    case = make_case(shady)
    db.session.commit()

    fraud.block_card(CARD, actor=staff(), reason="Stolen card")

    (flag,) = flags_for_cases([case.id])[case.id]
    assert flag.card == "Visa ending 5556"
    assert flag.summary == "Card Visa ending 5556 is blocked: Stolen card"
    stored = db.session.execute(sa.select(CaseFraudFlag.__table__)).one()
    assert "4000056655665556" not in repr(stored) and stored.card_last4 == "5556"


def test_fraud_stop_flags_everyone_who_shares_an_address_or_card_with_the_account():
    stopped, _ = customer("Carders Inc", "198.51.100.10")
    with_card(stopped)
    sharer, _ = customer("Friend of carders", "198.51.100.10")
    card_sharer, _ = customer("Same card", "192.0.2.99")
    with_card(card_sharer)
    innocent, _ = customer("Innocent", "192.0.2.100")
    cases_ = [make_case(org) for org in (stopped, sharer, card_sharer, innocent)]
    db.session.commit()

    fraud.fraud_stop(stopped.id, actor=staff(), reason="Chargebacks")

    assert flagged(*cases_) == [True, True, True, False]
    assert len(flags_for_cases([cases_[0].id])[cases_[0].id]) == 2  # its address and its card


def test_lifting_a_block_clears_only_the_flags_it_caused():
    shady, _ = customer("Shady Ltd", "203.0.113.7")
    with_card(shady)
    case = make_case(shady)
    db.session.commit()
    actor = staff()
    ip_block = fraud.block_ip("203.0.113.7", actor=actor, reason="Bots")
    card_block = fraud.block_card(CARD, actor=actor, reason="Stolen")

    fraud.unblock(fraud.IP, ip_block.id, actor=actor, reason="Shared office, cleared")
    assert [f.card for f in flags_for_cases([case.id])[case.id]] == ["Visa ending 5556"]

    fraud.unblock(fraud.CARD, card_block.id, actor=actor, reason="Card recovered")
    assert flagged(case) == [False]


def test_a_case_opened_after_the_block_is_flagged_when_it_is_opened(policy):
    shady, buyer = customer("Shady Ltd", "203.0.113.7")
    order = make_order(shady)
    db.session.commit()
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")

    web = cases.open_case(
        customer=buyer,
        order_id=order.id,
        category=Category.LICENCE_KEY,
        subject="Need my key",
        body="Send it now.",
        uploads=[],
        policy=policy,
    )
    agent = make_user(Role.AGENT)
    db.session.commit()
    by_phone = phone.open_phone_case(
        agent, phone.Intake(organisation_id=shady.id, title="Voice mail", synopsis="Call back")
    )
    copy = clone.clone_for_department(staff(), web, agent.id, "Sales should see this")

    assert flagged(web, by_phone, copy) == [True, True, True]


def test_a_case_of_a_clean_customer_gets_no_flag(policy):
    clean, buyer = customer("Clean Co", "192.0.2.10")
    order = make_order(clean)
    db.session.commit()
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    case = cases.open_case(
        customer=buyer,
        order_id=order.id,
        category=Category.SUPPORT,
        subject="Question",
        body="How do I?",
        uploads=[],
        policy=policy,
    )
    assert flagged(case) == [False]


def test_the_folder_condition_finds_only_flagged_cases():
    shady, _ = customer("Shady Ltd", "203.0.113.7")
    clean, _ = customer("Clean Co", "192.0.2.10")
    bad, good = make_case(shady), make_case(clean)
    db.session.commit()
    fraud.block_ip("203.0.113.7", actor=staff(), reason="Bots")
    found = db.session.scalars(sa.select(bad.__class__.id).where(flagged_condition())).all()
    assert found == [bad.id] and good.id not in found


def test_a_login_from_a_blocked_address_after_the_block_flags_the_cases():
    shady, buyer = customer("Shady Ltd", "192.0.2.10")
    case = make_case(shady)
    db.session.commit()
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    assert flagged(case) == [False]

    accounts.record_login(buyer, "203.0.113.99")
    accounts.record_login(buyer, "203.0.113.99")  # seen again: still one flag

    (flag,) = flags_for_cases([case.id])[case.id]
    assert flag.address == "203.0.113.99"


def test_staff_logins_from_a_blocked_address_flag_nothing():
    agent = make_user(Role.AGENT)
    case = make_case(make_organisation())
    db.session.commit()
    fraud.block_ip("203.0.113.0/24", actor=staff(), reason="Bots")
    accounts.record_login(agent, "203.0.113.5")
    assert flagged(case) == [False]
