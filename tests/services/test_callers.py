"""Caller lookup (seed 000 steps I-II): one box, every field a caller can give; the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import (
    CaseStatus,
    Contact,
    Order,
    OrderKind,
    OrderStatus,
    Organisation,
    PaymentCard,
    PhoneNumber,
    Role,
    utcnow,
)
from helpdesk.rules.eligibility import SupportLevel
from helpdesk.services.tracker import callers
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def card(organisation, last4: str, brand: str = "Visa") -> PaymentCard:
    row = PaymentCard(
        organisation_id=organisation.id,
        brand=brand,
        last4=last4,
        exp_month=12,
        exp_year=2030,
        processor_token=f"tok_{organisation.id}_{last4}",
        fingerprint=f"fp{organisation.id}{last4}",
    )
    db.session.add(row)
    return row


@pytest.fixture
def accounts() -> dict[str, int]:
    """Harbor Theatre (old purchase, a former employee), Northwind (recent), a decoy."""
    harbor = make_organisation(
        name="Harbor Theatre", customer_number="C100002", phone="+1 303 555 0200"
    )
    ben = make_user(
        Role.CUSTOMER, organisation=harbor, name="Ben Harris", email="ben@harbortheatre.example"
    )
    db.session.add_all(
        [
            Contact(
                organisation_id=harbor.id,
                user_id=ben.id,
                name="Ben Harris",
                email="ben@harbortheatre.example",
                phone="+1 303 555 0102",
                position="Owner",
                is_primary=True,
            ),
            Contact(
                organisation_id=harbor.id,
                name="Hannah Price",
                email="hannah@harbortheatre.example",
                phone="(303) 555-0127",
                former_employee=True,
                former_note="former box office manager",
            ),
        ]
    )
    make_order(
        harbor,
        number="O500002",
        version="9.0",
        ordered_at=utcnow() - timedelta(days=200),
        licensed_website="shop.harbortheatre.example",
        licence_key="AB12CD34EF56A7B8",
    )
    card(harbor, "4242")
    northwind = make_organisation(name="Northwind Outfitters", customer_number="C100001")
    anna = make_user(
        Role.CUSTOMER,
        organisation=northwind,
        name="Anna Novak",
        email="anna@northwind.example",
        phone="303-555-0101",
    )
    make_order(
        northwind,
        number="O500001",
        ordered_at=utcnow() - timedelta(days=12),
        licensed_website="shop.northwind.example",
        licence_key="FFFF0000EEEE1111",
    )
    card(northwind, "1881", brand="Mastercard")
    db.session.add(PhoneNumber(organisation_id=northwind.id, number="+1 (720) 555-0199"))
    decoy = make_organisation(name="Percent 100% Wild_Card Ltd", customer_number="C100003")
    make_user(Role.CUSTOMER, organisation=decoy, name="Wendy Wild", email="wendy@wild.example")
    # Staff never show up as callers.
    make_user(Role.AGENT, name="Harbor Agent", email="harbor.agent@example.com")
    db.session.commit()
    return {"harbor": harbor.id, "northwind": northwind.id, "decoy": decoy.id, "anna": anna.id}


def found(text: str) -> list[int]:
    return [hit.organisation_id for hit in callers.find_callers(text)]


def matches(text: str) -> list[tuple[str, str]]:
    return [(m.field, m.value) for hit in callers.find_callers(text) for m in hit.matches]


@pytest.mark.parametrize(
    ("text", "who", "field"),
    [
        ("harbortheatre", "harbor", "Licensed website"),  # step I: "partial or full website"
        ("SHOP.HARBORTHEATRE.EXAMPLE", "harbor", "Licensed website"),
        ("O500002", "harbor", "Order number"),
        ("500002", "harbor", "Order number"),
        ("o500001", "northwind", "Order number"),
        ("ben harris", "harbor", "Contact"),
        ("Hannah", "harbor", "Contact"),  # a former employee still identifies the account
        ("Anna Nov", "northwind", "Login"),  # a login without a contact row
        ("harbor thea", "harbor", "Company"),
        ("northwind", "northwind", "Company"),
        ("hannah@harbortheatre", "harbor", "E-mail"),
        ("ANNA@NORTHWIND.EXAMPLE", "northwind", "Login e-mail"),
        ("C100002", "harbor", "Customer ID"),
        ("c100001", "northwind", "Customer ID"),
        ("AB12CD34EF56A7B8", "harbor", "Licence key"),
        ("ab12-cd34-ef56-a7b8", "harbor", "Licence key"),
        ("EF56 A7B8", "harbor", "Licence key"),
        ("4242", "harbor", "Card"),
        ("1881", "northwind", "Card"),
    ],
)
def test_each_field_finds_its_account(accounts, text, who, field):
    assert found(text) == [accounts[who]]
    assert field in [label for label, _ in matches(text)]


@pytest.mark.parametrize(
    ("text", "who", "field"),
    [
        ("+1 303 555 0102", "harbor", "Contact phone"),
        ("303-555-0102", "harbor", "Contact phone"),
        ("(303) 5550102", "harbor", "Contact phone"),
        ("303.555.0127", "harbor", "Contact phone"),  # stored as "(303) 555-0127"
        ("3035550101", "northwind", "Login phone"),  # stored as "303-555-0101"
        ("+13035550200", "harbor", "Company phone"),
        ("720 555 0199", "northwind", "Service number"),
    ],
)
def test_phone_numbers_match_digits_whatever_the_formatting(accounts, text, who, field):
    assert found(text) == [accounts[who]]
    assert field in [label for label, _ in matches(text)]


def test_short_phone_fragments_and_mixed_text_are_not_phone_lookups(accounts):
    assert callers.find_callers("555") == []  # three digits: too vague for a phone number
    assert "Contact phone" not in [label for label, _ in matches("ben 0102")]


def test_several_accounts_closest_first(accounts):
    hits = callers.find_callers("example")  # every website and e-mail contains it
    assert {h.organisation_id for h in hits} == {
        accounts["harbor"],
        accounts["northwind"],
        accounts["decoy"],
    }
    # An exact company name beats a partial one.
    make_organisation(name="Harbor", customer_number="C200000")
    db.session.commit()
    assert [h.name for h in callers.find_callers("harbor")][:2] == ["Harbor", "Harbor Theatre"]


def test_licence_keys_in_results_are_masked(accounts):
    shown = dict(matches("AB12CD34"))
    assert shown["Licence key"] == "••••••••••••A7B8"
    assert "AB12CD34" not in str(callers.find_callers("AB12CD34"))


def test_cards_are_shown_by_brand_and_last_four_only(accounts):
    assert ("Card", "Visa ending 4242") in matches("4242")
    assert matches("424") == []  # only all four digits find a card


def test_no_match(accounts):
    assert callers.find_callers("nobody-at-all.example") == []


@pytest.mark.parametrize("text", ["", " ", "h", "%", "_"])
def test_too_short_queries_find_nothing(accounts, text):
    assert callers.find_callers(text) == []


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("%%", None),  # a bare wildcard would match everything
        ("__", None),
        ("h%e", None),
        ("harbor_theatre", None),  # "_" must not stand for the dot or any other character
        ("100%", "decoy"),  # literal percent sign in a company name
        ("Wild_Card", "decoy"),  # literal underscore
        ("\\\\", None),  # two backslashes, the LIKE escape character itself
    ],
)
def test_like_wildcards_are_literal(accounts, text, who):
    assert found(text) == ([accounts[who]] if who else [])


def test_staff_are_never_callers(accounts):
    assert found("Harbor Agent") == []
    assert found("harbor.agent@example.com") == []


def test_lookup_costs_a_fixed_number_of_bounded_queries(accounts):
    for n in range(40):
        org = make_organisation(name=f"Example Shop {n}")
        make_order(org, licensed_website=f"shop{n}.example")
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        hits = callers.find_callers("example")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(hits) == callers.MAX_ACCOUNTS
    assert len(statements) <= len(callers.FIELDS) + 1
    assert all("LIMIT" in s.upper() for s in statements if "organisations.id IN" not in s)


def test_account_panel_content(accounts):
    make_case(make_organisation(), subject="Not theirs")  # another customer's case stays out
    org = db.session.get(Organisation, accounts["harbor"])
    open_case = make_case(org, subject="Tickets do not print")
    make_case(org, subject="Old and done", status=CaseStatus.CLOSED)
    make_order(
        org,
        number="O500099",
        kind=OrderKind.EVALUATION,
        status=OrderStatus.CANCELLED,
        licence_key=None,
    )
    db.session.commit()
    account = callers.account(accounts["harbor"], utcnow().date())
    assert account.organisation.name == "Harbor Theatre"
    people = {p.name: p for p in account.people}
    assert people["Hannah Price"].former and people["Hannah Price"].former_note
    assert not people["Ben Harris"].former and people["Ben Harris"].is_primary
    assert [p.name for p in account.reachable] == ["Ben Harris"]
    assert account.primary.email == "ben@harbortheatre.example"
    assert [o.number for o in account.orders] == ["O500099", "O500002"]
    assert account.orders[1].licence_key == "••••••••••••A7B8"
    assert account.orders[1].website == "shop.harbortheatre.example"
    assert [c.id for c in account.open_cases] == [open_case.id]
    assert account.eligibility.level == SupportLevel.NO_PLAN
    assert account.is_customer
    assert callers.account(999_999, utcnow().date()) is None


def test_logins_without_a_contact_row_are_people_too(accounts):
    account = callers.account(accounts["northwind"], utcnow().date())
    assert [(p.key, p.name) for p in account.people] == [(f"user-{accounts['anna']}", "Anna Novak")]
    assert account.primary.name == "Anna Novak"


def test_an_evaluator_is_not_a_customer():
    org = make_organisation()
    make_order(org, kind=OrderKind.EVALUATION, amount_cents=0)
    db.session.commit()
    assert not callers.is_customer(org.id)
    make_order(org, kind=OrderKind.PURCHASE, status=OrderStatus.CANCELLED)
    db.session.commit()
    assert not callers.is_customer(org.id)


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (None, ""),
        ("", ""),
        ("ABC", "••••"),
        ("ABCD", "••••"),
        ("ABCDE", "••••BCDE"),
        ("AB12CD34EF56A7B8", "••••••••••••A7B8"),
    ],
)
def test_mask_licence_key(key, masked):
    assert callers.mask_licence_key(key) == masked


def test_long_queries_are_cut(accounts):
    assert callers.clean_query("  harbor   theatre  ") == "harbor theatre"
    assert len(callers.clean_query("x" * 500)) == callers.MAX_CHARS


def test_the_lookup_index_follows_renames_and_deletions(accounts):
    """Names, e-mails and numbers are found through a trigram index (an FTS5 table kept by
    triggers on SQLite): a change or a deletion shows in the very next lookup."""
    harbor = db.session.get(Organisation, accounts["harbor"])
    assert found("arbor Thea") == [harbor.id]
    harbor.name = "Lighthouse Stage"
    order = db.session.scalars(sa.select(Order).where(Order.number == "O500002")).one()
    order.licence_key = "9999-8888-7777-6666"
    hannah = db.session.scalars(sa.select(Contact).where(Contact.name == "Hannah Price")).one()
    db.session.delete(hannah)
    db.session.commit()
    assert found("ghthouse st") == [harbor.id]  # any part, any case
    assert found("arbor Thea") == []
    assert found("8888 7777") == [harbor.id] and found("CD34-EF56") == []
    assert "hannah" not in str(matches("hannah@harbor"))
    # The index takes no wildcards: LIKE's own characters still match only themselves.
    assert found("light%stage") == [] and found("ben_harris") == []
