"""Search gives the same answers on SQLite and PostgreSQL: stems, intake fields, contacts.

QUERIES is the shared list: every query must give exactly these cases on both databases
(CI runs this module on each). Add a query here whenever one database is found to differ.
"""

from __future__ import annotations

import pytest

from helpdesk.extensions import db
from helpdesk.models import Contact, Role
from helpdesk.services.tracker.search import phone_words, search_cases, search_contacts
from tests.factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def desk() -> None:
    acme = make_organisation(name="Acme Widgets GmbH")
    zoe = make_user(Role.CUSTOMER, organisation=acme, name="Zoe Quist", email="zoe@acme.test")
    globex = make_organisation(name="Globex Corporation")
    make_case(
        acme,
        number=101,
        subject="Installation fails on Windows",
        body="The setup stops at step three with a permissions error.",
        requester_id=zoe.id,
        correspondent_email=zoe.email,
    )
    make_case(globex, number=102, subject="Installed twice", body="Billing charged two licences.")
    make_case(
        globex,
        number=103,
        subject="Voice mail: crashes at start",
        body="Caller says the editor crashes when opening large files.",
        callback_phone="+1 (555) 010-2233",
        product_version="5.2.1",
        operating_system="Ubuntu 24.04",
    )
    make_case(acme, number=104, subject="Configuring the mail relay", body="Relays are refused.")
    db.session.add_all(
        [
            Contact(organisation_id=acme.id, user_id=zoe.id, name="Zoe Quist", email=zoe.email),
            Contact(
                organisation_id=globex.id,
                name="Hank Scorpio",
                email="hank@globex.test",
                phone="+1 555 010 9999",
                position="Chief executive",
            ),
        ]
    )
    db.session.commit()


# (query, the case numbers it must find on both databases, best first where it matters)
QUERIES = [
    ("installing", {101, 102}),  # stems: installation, installed
    ("installation", {101, 102}),
    ("install windows", {101}),
    ("crashing", {103}),  # crashes
    ("configured", {104}),  # configuring
    ("relay", {104}),  # relays
    ("licence", {102}),  # licences
    ("permission", {101}),
    ("quist", {101}),  # the requester
    ("acme", {101, 104}),  # the company
    ("5550102233", {103}),  # the callback number without its country code
    ("+1 555 010 2233", {103}),  # ... as typed
    ("15550102233", {103}),  # ... all digits
    ("5.2.1", {103}),  # the product version
    ("ubuntu", {103}),  # the operating system
    ("ubuntu 24.04", {103}),
    ("windows 5.2.1", set()),  # every word must match one case
    ("flamingo", set()),
]


@pytest.mark.parametrize(("text", "expected"), QUERIES)
def test_queries_find_the_same_cases_on_both_databases(desk, text, expected):
    assert {hit.number for hit in search_cases(text).hits} == expected


def test_stemmed_matches_are_highlighted(desk):
    hit = search_cases("installing windows").hits[0]
    assert hit.number == 101
    assert "<mark>Installation</mark>" in str(hit.subject_html)


def test_an_intake_match_shows_in_the_snippet(desk):
    (hit,) = search_cases("ubuntu").hits
    assert "<mark>Ubuntu</mark>" in str(hit.snippet)


CONTACT_QUERIES = [
    ("hank", ["Hank Scorpio"]),
    ("scorpio globex", ["Hank Scorpio"]),
    ("hank@globex.test", ["Hank Scorpio"]),
    ("5550109999", ["Hank Scorpio"]),
    ("zoe", ["Zoe Quist"]),
    ("acme", ["Zoe Quist"]),  # by company
    ("nobody", []),
]


@pytest.mark.parametrize(("text", "names"), CONTACT_QUERIES)
def test_contacts_are_found_by_name_email_phone_and_company(desk, text, names):
    assert [hit.name for hit in search_contacts(text)] == names


def test_a_contact_hit_says_who_and_where(desk):
    (hit,) = search_contacts("scorpio")
    assert (hit.organisation, hit.email, hit.position) == (
        "Globex Corporation",
        "hank@globex.test",
        "Chief executive",
    )
    assert str(hit.name_html) == "Hank <mark>Scorpio</mark>"


def test_contact_index_follows_edits_renames_and_deletes(desk):
    hank = db.session.scalar(db.select(Contact).where(Contact.name == "Hank Scorpio"))
    hank.name = "Henry Scorpio"
    hank.organisation.name = "Globex Industries"
    db.session.commit()
    assert [h.name for h in search_contacts("henry industries")] == ["Henry Scorpio"]
    assert search_contacts("corporation") == []
    db.session.delete(hank)
    db.session.commit()
    assert search_contacts("henry") == []


def test_case_index_follows_intake_edits(desk):
    case = make_case(make_organisation(), number=105, subject="Call back")
    db.session.commit()
    case.operating_system = "FreeBSD 14"
    db.session.commit()
    assert [hit.number for hit in search_cases("freebsd").hits] == [105]


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("", ""),
        ("555 0102", "555 0102 5550102"),
        ("+1 (555) 010-2233", "+1 (555) 010-2233 15550102233 5550102233"),
    ],
)
def test_phone_words(phone, words):
    assert phone_words(phone) == words
