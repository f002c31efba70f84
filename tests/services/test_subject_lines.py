"""A case subject is stored as one clean line on every path that writes one (issue 16 item 9):
the portal, a case opened by hand, an e-mail, clones, and any other write of the column."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, Category, Role
from helpdesk.services.cases import cases, clone
from helpdesk.services.mail import inbound
from helpdesk.services.tracker import phone
from tests.factories import make_case, make_order, make_organisation, make_user

pytestmark = pytest.mark.usefixtures("ctx")

DIRTY = "  Printer\r\n offline\x00again\tafter\u2028update  "
CLEAN = "Printer offline again after update"
OLD_ROW = "Printer\r\n offline\tagain after update"  # PostgreSQL text cannot hold a NUL


def stored_subject(case_id: int) -> str:
    db.session.expire_all()  # read back what the database holds, not the object in memory
    return db.session.scalar(sa.select(Case.subject).where(Case.id == case_id))


def test_a_customers_new_case(policy):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    case = cases.open_case(
        customer=customer,
        order_id=order.id,
        category=Category.SUPPORT,
        subject=DIRTY,
        body="It stopped.",
        uploads=[],
        policy=policy,
    )
    assert stored_subject(case.id) == CLEAN


def test_only_control_characters_is_no_subject(policy):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    with pytest.raises(cases.ServiceError, match="Enter a subject."):
        cases.open_case(
            customer=customer,
            order_id=order.id,
            category=Category.SUPPORT,
            subject="\r\n\x00\t",
            body="It stopped.",
            uploads=[],
            policy=policy,
        )


def test_a_case_opened_by_hand():
    agent = make_user(Role.AGENT)
    organisation = make_organisation()
    db.session.commit()
    intake = phone.Intake(
        organisation_id=organisation.id, title=DIRTY, synopsis="Left a voice mail."
    )
    case = phone.open_phone_case(agent, intake)
    assert stored_subject(case.id) == CLEAN


def test_a_new_case_from_a_folded_mail_subject(policy):
    organisation = make_organisation()
    make_user(Role.CUSTOMER, organisation=organisation, email="ann@oldtown.test")
    db.session.commit()
    raw = (
        b"From: Ann <ann@oldtown.test>\r\n"
        b"To: support@helpdesk.invalid\r\n"
        # Folded, and an encoded word that decodes to CR/LF, BEL and NUL.
        b"Subject: Printer\r\n offline =?utf-8?q?again=0D=0Aafter=07update=00now?=\r\n"
        b"Message-ID: <folded@oldtown.test>\r\n"
        b"\r\n"
        b"The printer is offline.\r\n"
    )
    mail = inbound.ingest(raw, policy=policy)
    assert stored_subject(mail.case_id) == "Printer offline again after update now"


def test_clones_for_orders_and_for_a_department():
    agent = make_user(Role.AGENT)
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    original = make_case(customer.organisation, order_id=order.id)
    db.session.commit()
    # A row written before subjects were cleaned: its copy is stored clean.
    db.session.execute(sa.update(Case).where(Case.id == original.id).values(subject=OLD_ROW))
    db.session.commit()
    db.session.expire_all()

    [for_order] = clone.clone_for_orders(agent, original, [order.number], DIRTY, "Body.")
    for_department = clone.clone_for_department(agent, original, agent.id, "Sales")
    assert stored_subject(for_order.id) == CLEAN
    assert stored_subject(for_department.id) == CLEAN


def test_any_other_write_of_the_column():
    case = make_case(make_organisation(), subject=DIRTY)
    db.session.commit()
    assert stored_subject(case.id) == CLEAN
    case.subject = "Follow-up:\r\nstill offline"
    db.session.commit()
    assert stored_subject(case.id) == "Follow-up: still offline"
