"""An e-mailed reply from an address that is not the case's: agents see it marked and may
accept it; the customer does not see it; the trusted mail servers are an admin setting."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Case,
    CaseStatus,
    InboundStatus,
    Message,
    Role,
    utcnow,
)
from helpdesk.services.mail import inbound
from tests.conftest import as_user, csrf_from
from tests.factories import make_case, make_organisation, make_user

BADGE = "Unverified sender"
BUTTON = "Accept as the customer's reply</button>"
HELD_TEXT = "Please send the licence keys to me instead."


@pytest.fixture
def held(app, tmp_path):
    """Ann's answered case with a reply from her colleague Carl held on it; ids only."""
    with app.app_context():
        organisation = make_organisation(name="Oldtown Hardware")
        ann = make_user(Role.CUSTOMER, organisation=organisation, email="ann@oldtown.test")
        make_user(Role.CUSTOMER, organisation=organisation, email="carl@oldtown.test")
        agent = make_user(Role.AGENT, email="agent@helpdesk.test")
        billing = make_user(Role.BILLING)
        case = make_case(
            organisation,
            status=CaseStatus.ANSWERED,
            requester_id=ann.id,
            assignee_id=agent.id,
            awaiting_agent_since=None,
            last_agent_reply_at=utcnow(),
        )
        db.session.commit()
        mail = EmailMessage()
        mail["From"] = "Carl <carl@oldtown.test>"
        mail["To"] = "support@helpdesk.invalid"
        mail["Subject"] = f"Re: [#{case.number}] {case.subject}"
        mail.set_content(HELD_TEXT)
        mail.add_attachment(b"key list", maintype="text", subtype="plain", filename="keys.txt")
        stored = inbound.ingest(mail.as_bytes())
        assert stored.status == InboundStatus.PROCESSED
        message = db.session.scalar(sa.select(Message).where(Message.case_id == case.id))
        assert message.unverified_sender
        attachment = db.session.scalar(sa.select(Attachment).where(Attachment.case_id == case.id))
        return {
            "number": case.number,
            "message": message.id,
            "attachment": attachment.id,
            "customer": ann.id,
            "agent": agent.id,
            "billing": billing.id,
        }


def accept_url(held, message_id=None) -> str:
    message_id = held["message"] if message_id is None else message_id
    return f"/tracker/cases/{held['number']}/messages/{message_id}/accept-sender"


def case_status(app, number) -> CaseStatus:
    with app.app_context():
        return db.session.scalar(sa.select(Case.status).where(Case.number == number))


def test_agents_see_the_badge_and_the_accept_button(app, client, held):
    as_user(app, client, held["agent"])
    page = client.get(f"/tracker/cases/{held['number']}").text
    assert BADGE in page and BUTTON in page and HELD_TEXT in page
    assert accept_url(held) in page
    thread = client.get(
        f"/tracker/cases/{held['number']}/thread", headers={"HX-Request": "true"}
    ).text
    assert BADGE in thread and BUTTON in thread


def test_billing_staff_see_the_badge_but_may_not_accept(app, client, held):
    as_user(app, client, held["billing"])
    page = client.get(f"/tracker/cases/{held['number']}").text
    assert BADGE in page and BUTTON not in page
    refused = client.post(accept_url(held), data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 403
    assert case_status(app, held["number"]) == CaseStatus.ANSWERED


def test_the_customer_sees_neither_the_message_nor_its_file(app, client, held):
    as_user(app, client, held["customer"])
    page = client.get(f"/cases/{held['number']}")
    assert page.status_code == 200
    assert HELD_TEXT not in page.text and BADGE not in page.text and "keys.txt" not in page.text
    thread = client.get(f"/cases/{held['number']}/thread", headers={"HX-Request": "true"}).text
    assert HELD_TEXT not in thread
    download = client.get(f"/cases/{held['number']}/attachments/{held['attachment']}")
    assert download.status_code == 404
    refused = client.post(accept_url(held), data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    assert case_status(app, held["number"]) == CaseStatus.ANSWERED


def test_accepting_needs_the_csrf_token(app, client, held):
    as_user(app, client, held["agent"])
    assert client.post(accept_url(held)).status_code == 400
    assert case_status(app, held["number"]) == CaseStatus.ANSWERED


def test_accepting_makes_it_the_customers_reply(app, client, held):
    as_user(app, client, held["agent"])
    page = client.get(f"/tracker/cases/{held['number']}").text
    response = client.post(
        accept_url(held), data={"csrf_token": csrf_from(page)}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Accepted as the customer&#39;s reply." in response.text
    assert BADGE not in response.text and HELD_TEXT in response.text
    assert case_status(app, held["number"]) == CaseStatus.WAITING
    # Now the customer sees it as a reply on the case.
    as_user(app, client, held["customer"])
    assert HELD_TEXT in client.get(f"/cases/{held['number']}").text
    again = client.post(accept_url(held), data={"csrf_token": csrf_from(page)})
    assert again.status_code == 403  # customers never reach the tracker


def test_accepting_twice_or_an_unknown_message_is_a_clear_refusal(app, client, held):
    as_user(app, client, held["agent"])
    token = csrf_from(client.get(f"/tracker/cases/{held['number']}").text)
    assert client.post(accept_url(held), data={"csrf_token": token}).status_code == 302
    twice = client.post(accept_url(held), data={"csrf_token": token})
    assert twice.status_code == 422 and "not waiting to be accepted" in twice.text
    for message_id in (10**6, 99999999999999999999):
        missing = client.post(accept_url(held, message_id), data={"csrf_token": token})
        assert missing.status_code in (404, 422)


def test_the_trusted_mail_servers_are_an_admin_setting(app, client):
    with app.app_context():
        admin_id = make_user(Role.ADMIN).id
        db.session.commit()
    as_user(app, client, admin_id)
    page = client.get("/admin/settings").text
    assert "Trusted mail servers (authserv-id)" in page and 'name="TRUSTED_AUTHSERV_IDS"' in page
    with app.app_context():
        from helpdesk.services.core import settings

        form = {
            spec.key: settings.entered_form(spec, app.config[spec.key])
            for spec in settings.REGISTRY
        }
    form.update(
        TRUSTED_AUTHSERV_IDS="mx.oldtown.test,  mx2.oldtown.test", csrf_token=csrf_from(page)
    )
    assert client.post("/admin/settings", data=form).status_code in (200, 302, 303)
    with app.test_request_context():
        from helpdesk.services.core import settings

        assert settings.setting("TRUSTED_AUTHSERV_IDS") == "mx.oldtown.test, mx2.oldtown.test"
