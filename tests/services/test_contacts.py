"""Contacts kept current (seed 003): add, change an e-mail, former employees, correspondent."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Activity, AuditLog, Contact, Role
from helpdesk.services import ServiceError
from helpdesk.services.accounts import contacts
from helpdesk.services.accounts.contacts import ContactInput
from tests.factories import make_case, make_organisation, make_user

AT = datetime(2026, 3, 4, 10, 30)


@pytest.fixture
def world(ctx):
    org = make_organisation(name="Harbor Theatre", address="1 Quay Street\nPortland")
    other = make_organisation(name="Cedar Books")
    agent = make_user(Role.AGENT, name="Lena Lind")
    ben = make_user(Role.CUSTOMER, organisation=org, email="ben@harbor.example")
    hannah = Contact(
        organisation_id=org.id,
        name="Hannah Price",
        email="hannah@harbor.example",
        position="Box office manager",
        is_primary=True,
    )
    stranger = Contact(organisation_id=other.id, name="Sam Rye", email="sam@cedar.example")
    db.session.add_all([hannah, stranger])
    case = make_case(org, requester_id=ben.id, correspondent_email=ben.email)
    db.session.commit()
    return {"org": org, "agent": agent, "hannah": hannah, "stranger": stranger, "case": case}


def audits(action: str) -> list[AuditLog]:
    return list(db.session.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_adding_a_contact_folds_the_address_and_is_audited(world):
    ivy = contacts.save_contact(
        actor=world["agent"],
        organisation=world["org"],
        values=ContactInput(
            name="  Ivy   Park ",
            email="Ivy@Harbor.Example",
            phone="303 555 0128",
            position="Marketing",
        ),
    )
    assert (ivy.name, ivy.email, ivy.phone) == ("Ivy Park", "ivy@harbor.example", "303 555 0128")
    [entry] = audits("contact.add")
    assert entry.actor_id == world["agent"].id and entry.organisation_id == world["org"].id
    assert {"field": "email", "before": None, "after": "ivy@harbor.example"} in entry.details[
        "changes"
    ]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (ContactInput(name=" "), "name", "Enter the name."),
        (ContactInput(name="Ivy", email="not-an-address"), "email", "valid e-mail"),
        (ContactInput(name="Ivy", phone="call me"), "phone", "digits"),
        (ContactInput(name="Ivy", email="HANNAH@harbor.example"), "email", "Hannah Price already"),
    ],
)
def test_bad_contact_input_is_refused_with_the_field(world, values, field, message):
    with pytest.raises(ServiceError) as refused:
        contacts.save_contact(actor=world["agent"], organisation=world["org"], values=values)
    assert refused.value.field == field and message in refused.value.message
    assert audits("contact.add") == []


def test_changing_an_e_mail_address_logs_before_and_after(world):
    hannah = world["hannah"]
    contacts.save_contact(
        actor=world["agent"],
        organisation=world["org"],
        contact=hannah,
        values=ContactInput(
            name="Hannah Price",
            email="h.price@harbor.example",
            position="Box office manager",
            is_primary=True,
        ),
    )
    assert hannah.email == "h.price@harbor.example"
    [entry] = audits("contact.update")
    assert entry.details["changes"] == [
        {"field": "email", "before": "hannah@harbor.example", "after": "h.price@harbor.example"}
    ]


def test_one_primary_contact_per_organisation(world):
    ivy = contacts.save_contact(
        actor=world["agent"],
        organisation=world["org"],
        values=ContactInput(name="Ivy Park", is_primary=True),
    )
    db.session.refresh(world["hannah"])
    assert ivy.is_primary and not world["hannah"].is_primary


def test_a_contact_of_another_organisation_cannot_be_changed_here(world):
    with pytest.raises(ServiceError):
        contacts.save_contact(
            actor=world["agent"],
            organisation=world["org"],
            contact=world["stranger"],
            values=ContactInput(name="Sam Rye"),
        )


@pytest.mark.parametrize(
    ("position", "note"),
    [
        ("Box office manager", "former box office manager"),
        (None, "former employee"),
        ("  Head  of IT ", "former head of IT"),
    ],
)
def test_former_note_is_former_and_the_position(position, note):
    assert contacts.former_note_for(position) == note


def test_marking_a_former_employee_keeps_them_marked_and_unoffered(world):
    hannah = world["hannah"]
    contacts.mark_former(actor=world["agent"], contact=hannah)
    assert hannah.former_employee and hannah.former_note == "former box office manager"
    assert not hannah.is_primary
    assert hannah in contacts.organisation_contacts(world["org"].id)
    assert hannah not in contacts.correspondent_choices(world["org"].id)
    assert audits("contact.former")[0].details["note"] == "former box office manager"
    with pytest.raises(ServiceError, match="already"):
        contacts.mark_former(actor=world["agent"], contact=hannah)
    contacts.mark_current(actor=world["agent"], contact=hannah)
    assert not hannah.former_employee and hannah.former_note is None


def test_changing_the_correspondent_is_on_the_case_and_audited(world):
    case = world["case"]
    version = case.version
    contacts.change_correspondent(
        actor=world["agent"], case=case, contact_id=world["hannah"].id, now=AT
    )
    db.session.refresh(case)
    assert case.correspondent_email == "hannah@harbor.example"
    assert case.version == version + 1
    [activity] = db.session.scalars(sa.select(Activity).where(Activity.case_id == case.id))
    assert activity.summary == (
        "Correspondent changed from ben@harbor.example to Hannah Price <hannah@harbor.example>"
    )
    assert activity.created_at == AT
    [entry] = audits("case.correspondent")
    assert (entry.details["before"], entry.details["after"]) == (
        "ben@harbor.example",
        "hannah@harbor.example",
    )


def test_a_former_foreign_or_address_less_contact_is_not_a_correspondent(world):
    case, agent = world["case"], world["agent"]
    nobody = Contact(organisation_id=world["org"].id, name="No Mail")
    db.session.add(nobody)
    db.session.commit()
    contacts.mark_former(actor=agent, contact=world["hannah"])
    for contact_id, message in [
        (world["hannah"].id, "has left the organisation (former box office manager)"),
        (world["stranger"].id, "Choose a contact of this organisation."),
        (nobody.id, "has no e-mail address"),
        (None, "Choose a contact"),
    ]:
        with pytest.raises(ServiceError, match=message.replace("(", r"\(").replace(")", r"\)")):
            contacts.change_correspondent(actor=agent, case=case, contact_id=contact_id, now=AT)
    db.session.refresh(case)
    assert case.correspondent_email == "ben@harbor.example"
    assert audits("case.correspondent") == []
