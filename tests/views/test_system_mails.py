"""The e-mails the system writes on its own, triggered the way people trigger them (issue 15
items 4, 8 and 9): the acknowledgement of a case opened on the portal follows the support level
at opening; a stranger's e-mail, piped into `flask ingest-mail`, gets how to register, not the
phone script; the agent's "Customer replied" mail links to the case in the tracker."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Case, CaseStatus, InboundMail, InboundStatus, OutboxMail, Role, utcnow
from helpdesk.services.mail import canned
from helpdesk.services.mail.links import mail_link
from tests.conftest import as_user, post_form
from tests.factories import make_order, make_user
from tests.services.test_inbound import make_mail

PROMISE = "we answer e-mail within 4 business hours"
RESOURCES = "These resources answer most installation and set-up questions"


def flat(text: str) -> str:
    return " ".join(text.split())


def mails(app, template: str) -> list[OutboxMail]:
    with app.app_context():
        found = db.session.scalars(
            sa.select(OutboxMail).where(OutboxMail.template_key == template).order_by(OutboxMail.id)
        ).all()
        db.session.expunge_all()
        return found


# --- item 4: the acknowledgement of a portal case -------------------------------------------


def ago(days: int):
    return utcnow() - timedelta(days=days)


def customer_with_order(app, **order) -> tuple[int, int]:
    with app.app_context():
        customer = make_user(Role.CUSTOMER)
        made = make_order(customer.organisation, **order)
        db.session.commit()
        return customer.id, made.id


def open_on_the_portal(app, client, customer_id: int, order_id: int) -> str:
    """The customer opens a case with the portal's form; the acknowledgement's text."""
    as_user(app, client, customer_id)
    response = post_form(
        client,
        "/cases/new",
        {
            "order_id": str(order_id),
            "category": "support",
            "subject": "Checkout fails",
            "body": "The checkout page shows an error.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    [mail] = mails(app, "case_opened")
    with app.app_context():
        customer_email = db.session.scalar(sa.select(Case.correspondent_email))
    assert mail.to_address == customer_email
    return flat(mail.body_text)


def test_no_plan_is_offered_the_support_resources_and_promised_no_answer_time(app, client):
    text = open_on_the_portal(app, client, *customer_with_order(app, ordered_at=ago(400)))
    assert "no active support plan at the moment" in text
    assert RESOURCES in text and "/help" in text
    assert "ask us about priority support" in text
    assert PROMISE not in text and "4 business hours" not in text


def test_an_unsupported_version_gets_the_versions_5_text(app, client):
    text = open_on_the_portal(
        app, client, *customer_with_order(app, ordered_at=ago(3), version="5.1")
    )
    assert "Versions 5.x and older are no longer supported" in text
    assert "upgrade to the current version" in text
    assert PROMISE not in text and RESOURCES not in text


def test_an_active_plan_is_promised_an_answer_within_4_business_hours(app, client):
    text = open_on_the_portal(app, client, *customer_with_order(app, ordered_at=ago(3)))
    assert PROMISE in text
    assert RESOURCES not in text and "no active support plan" not in text


# --- item 8: a stranger's e-mail through `flask ingest-mail` ---------------------------------


def test_a_strangers_mail_piped_to_ingest_mail_gets_how_to_register(app):
    with app.app_context():
        canned.add_missing_defaults()  # the phone script ("thank you for calling") is there
        db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["ingest-mail"], input=make_mail("Eve Rye <eve@nowhere.test>", "Shop is down")
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalar(sa.select(InboundMail))
        assert (stored.status, stored.case_id) == (InboundStatus.PROCESSED, None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0
    [reply] = mails(app, "how_to_open_case")
    text = flat(reply.body_text)
    assert reply.to_address == "eve@nowhere.test"
    assert text.startswith("Hello Eve Rye, thank you for your e-mail.")
    assert "could not match your address to a customer account" in text
    assert f"Register an account for your company: {mail_link_in(app, 'auth.register')}" in text
    assert "calling" not in text and "support plan is active" not in text


def mail_link_in(app, endpoint: str, **values) -> str:
    with app.app_context():
        return mail_link(endpoint, **values)


# --- item 9: "Customer replied" links to the case in the tracker ------------------------------


@pytest.fixture
def answered_case(app) -> dict:
    """An answered case of a customer's, assigned to an agent."""
    with app.app_context():
        agent = make_user(Role.AGENT, email="lena@support.test")
        customer = make_user(Role.CUSTOMER)
        order = make_order(customer.organisation)
        db.session.commit()
        return {"agent": agent.id, "customer": customer.id, "order": order.id}


def test_the_customer_replied_mail_opens_the_case_in_the_tracker(app, client, answered_case):
    as_user(app, client, answered_case["customer"])
    opened = post_form(
        client,
        "/cases/new",
        {
            "order_id": str(answered_case["order"]),
            "category": "support",
            "subject": "Printer jams",
            "body": "It jams on page two.",
        },
        content_type="multipart/form-data",
    )
    assert opened.status_code == 302
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        case.assignee_id, case.status = answered_case["agent"], CaseStatus.ANSWERED
        db.session.commit()
        number = case.number

    response = post_form(
        client, f"/cases/{number}/reply", {"body": "It still jams."}, page=f"/cases/{number}"
    )
    assert response.status_code == 302

    [mail] = mails(app, "customer_replied")
    assert mail.to_address == "lena@support.test"
    link = mail_link_in(app, "tracker.case_view", number=number)
    assert link.endswith(f"/tracker/cases/{number}")
    assert f"Open the case: {link}" in mail.body_text
    assert mail.body_text.rstrip().endswith(f"/tracker/cases/{number}")
