"""Case services: all-or-nothing writes, including the files on disk."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Attachment, Case, Category, OutboxMail, Role, Setting
from helpdesk.services import ServiceError
from helpdesk.services.cases import cases
from helpdesk.services.cases.attachments import Upload
from helpdesk.services.mail import outbox
from tests.factories import make_order, make_user

pytestmark = pytest.mark.usefixtures("ctx")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def open_for(customer, order, policy, **overrides):
    fields = dict(
        customer=customer,
        order_id=order.id,
        category=Category.SUPPORT,
        subject="Printer",
        body="It jams.",
        uploads=[Upload("a.txt", b"x")],
        policy=policy,
    )
    return cases.open_case(**{**fields, **overrides})


def test_a_failure_after_the_files_are_written_leaves_no_case_no_mail_no_file(policy, monkeypatch):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()

    def broken_mail(**_):
        raise RuntimeError("mail template missing")

    monkeypatch.setattr(outbox, "queue_mail", broken_mail)
    with pytest.raises(RuntimeError):
        open_for(customer, order, policy)
    assert (count(Case), count(Attachment), count(OutboxMail)) == (0, 0, 0)
    assert not any(policy.directory.iterdir())


def test_case_numbers_increase(policy, app):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    with app.test_request_context():
        first = open_for(customer, order, policy, uploads=[])
        second = open_for(customer, order, policy, uploads=[])
    assert second.number == first.number + 1


def test_too_many_files_are_refused(policy, app):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    uploads = [Upload(f"{n}.txt", b"x") for n in range(policy.per_message + 1)]
    with pytest.raises(ServiceError, match="at most"):
        open_for(customer, order, policy, uploads=uploads)
    assert count(Case) == 0


def test_nul_bytes_are_refused_in_the_description_and_spaced_in_the_subject(policy):
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    with pytest.raises(ServiceError) as refusal:
        open_for(customer, order, policy, body="bad\x00body")
    assert refusal.value.field == "body"
    # A subject is one line: its control characters become spaces (issue 16 item 9).
    assert open_for(customer, order, policy, subject="bad\x00subject").subject == "bad subject"


def test_the_acknowledgement_states_the_hours_the_administrator_set(policy):
    """Not hours written into the template: the settings' hours, zone, days and goal."""
    for key, value in {
        "BUSINESS_HOURS_START": "09:00",
        "BUSINESS_HOURS_END": "18:30",
        "BUSINESS_TIME_ZONE": "Europe/Berlin",
        "BUSINESS_DAYS": "mon,tue,wed,thu",
        "FIRST_RESPONSE_HOURS": 6,
    }.items():
        db.session.add(Setting(key=key, value=value))
    customer = make_user(Role.CUSTOMER)
    order = make_order(customer.organisation)
    db.session.commit()
    case = open_for(customer, order, policy, uploads=[])
    mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.case_id == case.id)).one()
    text = " ".join(mail.body_text.split())
    assert (
        "Our support hours are 9:00 to 18:30 Central European Time, Monday to Thursday; "
        "we answer e-mail within 6 business hours."
    ) in text
