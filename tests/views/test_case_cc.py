"""More people on a case (issue 19 item 5): colleagues of the organisation in CC get public
replies; strangers are never added, from the portal, the case page or an e-mail's Cc."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaseCc, CaseStatus, Contact, OutboxMail, Role
from helpdesk.services.mail import inbound
from tests.conftest import as_user, post_form
from tests.factories import make_case, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        agent = make_user(Role.AGENT)
        cara = make_user(Role.CUSTOMER, email="cara@cedar.example", name="Cara")
        org = cara.organisation
        colleague = make_user(Role.CUSTOMER, email="dev@cedar.example", organisation=org)
        db.session.add_all(
            [
                Contact(organisation_id=org.id, name="Finance", email="finance@cedar.example"),
                Contact(
                    organisation_id=org.id,
                    name="Gone",
                    email="gone@cedar.example",
                    former_employee=True,
                ),
            ]
        )
        make_user(Role.CUSTOMER, email="stranger@other.example")
        case = make_case(
            org, requester_id=cara.id, correspondent_email=cara.email, status=CaseStatus.OPEN
        )
        db.session.commit()
        return {
            "agent": agent.id,
            "cara": cara.id,
            "colleague": colleague.id,
            "number": case.number,
            "case_id": case.id,
        }


def copied(app, desk) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(sa.select(CaseCc.email).where(CaseCc.case_id == desk["case_id"]))
        )


def test_a_customer_copies_a_colleague_and_the_agent_a_contact(app, desk):
    customer = as_user(app, app.test_client(), desk["cara"])
    page = f"/cases/{desk['number']}"
    assert "People on this case" in customer.get(page).get_data(as_text=True)
    post_form(customer, f"{page}/cc", {"email": "DEV@cedar.example"}, page=page)
    agent = as_user(app, app.test_client(), desk["agent"])
    tracker_page = f"/tracker/cases/{desk['number']}"
    html = agent.get(tracker_page).get_data(as_text=True)
    assert '<option value="finance@cedar.example">' in html  # offered from the contacts
    assert '<option value="gone@cedar.example">' not in html  # not a former employee
    post_form(agent, f"{tracker_page}/cc", {"email": "finance@cedar.example"}, page=tracker_page)
    assert copied(app, desk) == ["dev@cedar.example", "finance@cedar.example"]


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("stranger@other.example", "only they can be CC"),
        ("gone@cedar.example", "only they can be CC"),
        ("cara@cedar.example", "gets this case&#39;s replies already"),
        ("not an address", "Type an e-mail address"),
    ],
)
def test_refused_addresses(app, desk, address, message):
    agent = as_user(app, app.test_client(), desk["agent"])
    page = f"/tracker/cases/{desk['number']}"
    post_form(agent, f"{page}/cc", {"email": address}, page=page)
    assert message in agent.get(page).get_data(as_text=True)
    assert copied(app, desk) == []


def test_public_replies_go_to_each_cc_but_notes_do_not(app, desk):
    agent = as_user(app, app.test_client(), desk["agent"])
    page = f"/tracker/cases/{desk['number']}"
    post_form(agent, f"{page}/cc", {"email": "finance@cedar.example"}, page=page)
    post_form(
        agent, f"{page}/messages", {"kind": "note", "body": "internal", "then": ""}, page=page
    )
    post_form(agent, f"{page}/messages", {"kind": "reply", "body": "Fixed.", "then": ""}, page=page)
    with app.app_context():
        sent = sorted(
            db.session.scalars(
                sa.select(OutboxMail.to_address).where(OutboxMail.template_key == "agent_replied")
            )
        )
    assert sent == ["cara@cedar.example", "finance@cedar.example"]
    with app.app_context():
        bodies = dict(
            db.session.execute(
                sa.select(OutboxMail.to_address, OutboxMail.body_text).where(
                    OutboxMail.template_key == "agent_replied"
                )
            ).all()
        )
    assert bodies["cara@cedar.example"].startswith("Hello Cara,")
    copy = bodies["finance@cedar.example"]
    assert copy.startswith("Hello,") and "you are in copy of the case" in copy
    post_form(agent, f"{page}/cc/remove", {"email": "finance@cedar.example"}, page=page)
    assert copied(app, desk) == []


def test_the_organisations_addresses_in_an_emails_cc_are_added_strangers_are_not(app, desk):
    raw = (
        "From: Cara <cara@cedar.example>\r\nTo: support@example.test\r\n"
        "Cc: Dev <dev@cedar.example>, stranger@other.example, finance@cedar.example\r\n"
        f"Subject: Re: [#{desk['number']}] Printer\r\nMessage-ID: <cc-1@cedar.example>\r\n\r\n"
        "Adding my colleagues.\r\n"
    ).encode()
    new_case = (
        b"From: Cara <cara@cedar.example>\r\nTo: support@example.test\r\n"
        b"Cc: dev@cedar.example, stranger@other.example\r\n"
        b"Subject: Another problem\r\nMessage-ID: <cc-2@cedar.example>\r\n\r\nHello.\r\n"
    )
    with app.app_context():
        inbound.ingest(new_case)
        opened = db.session.scalar(sa.select(CaseCc.email).where(CaseCc.case_id != desk["case_id"]))
        assert opened == "dev@cedar.example"
        inbound.ingest(raw)
    assert copied(app, desk) == ["dev@cedar.example", "finance@cedar.example"]
