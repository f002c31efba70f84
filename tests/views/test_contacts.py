"""The agents' contacts screen and the case page's correspondent, through the test client."""

from __future__ import annotations

import html as htmllib
import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditLog, CaseStatus, Contact, OutboxMail, Role
from tests.conftest import as_user, post_form
from tests.factories import make_case, make_organisation, make_user


@pytest.fixture
def desk(app):
    with app.app_context():
        org = make_organisation(name="Harbor Theatre", address="1 Quay Street\nPortland OR")
        agent = make_user(Role.AGENT, name="Lena Lind")
        ben = make_user(
            Role.CUSTOMER, organisation=org, name="Ben Harris", email="ben@harbor.example"
        )
        hannah = Contact(
            organisation_id=org.id,
            name="Hannah Price",
            email="hannah@harbor.example",
            position="Box office manager",
            former_employee=True,
            former_note="former box office manager",
        )
        ivy = Contact(
            organisation_id=org.id,
            name="Ivy Park",
            email="ivy@harbor.example",
            position="Marketing",
        )
        db.session.add_all([hannah, ivy])
        case = make_case(
            org,
            requester_id=ben.id,
            correspondent_email=ben.email,
            status=CaseStatus.OPEN,
            assignee_id=agent.id,
        )
        db.session.commit()
        return {
            "org": org.id,
            "agent": agent.id,
            "ben": ben.id,
            "hannah": hannah.id,
            "ivy": ivy.id,
            "number": case.number,
        }


def contacts_url(desk, suffix=""):
    return f"/tracker/callers/{desk['org']}/contacts{suffix}"


def text(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_account_panel_and_the_case_page_lead_to_the_contacts(app, client, desk):
    as_user(app, client, desk["agent"])
    panel = client.get(f"/tracker/callers/{desk['org']}").text
    assert f'href="{contacts_url(desk)}">Add or change contacts</a>' in panel
    case_page = client.get(f"/tracker/cases/{desk['number']}").text
    assert (
        f'href="{contacts_url(desk)}?case={desk["number"]}">Contacts of Harbor Theatre</a>'
        in case_page
    )


def test_former_employees_stay_listed_and_marked(app, client, desk):
    as_user(app, client, desk["agent"])
    page = text(client.get(contacts_url(desk)).text)
    assert "Ivy Park Marketing ivy@harbor.example" in page
    assert "Hannah Price former former box office manager hannah@harbor.example" in page
    assert page.index("Ivy Park") < page.index("Hannah Price")  # current people first
    assert "Portal logins not yet on the list Ben Harris ben@harbor.example" in page


def test_add_a_contact_with_the_organisation_address_shortcut(app, client, desk):
    as_user(app, client, desk["agent"])
    typed = {"name": "Omar Novak", "email": "omar@harbor.example", "position": "Web developer"}
    filled = post_form(client, contacts_url(desk), {**typed, "use_org_address": "1"})
    assert filled.status_code == 200
    assert "1 Quay Street\nPortland OR</textarea>" in filled.text
    assert 'value="Omar Novak"' in filled.text  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(sa.select(Contact).where(Contact.name == "Omar Novak")) is None
    saved = post_form(
        client, contacts_url(desk), {**typed, "address": "1 Quay Street\nPortland OR"}
    )
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"]).text
    assert "Omar Novak is now a contact of Harbor Theatre." in page
    with app.app_context():
        omar = db.session.scalar(sa.select(Contact).where(Contact.name == "Omar Novak"))
        assert omar.address == "1 Quay Street\nPortland OR"
        assert (
            db.session.scalar(sa.select(AuditLog.action).where(AuditLog.object_id == omar.id))
            == "contact.add"
        )


def test_a_bad_address_is_a_form_error_and_nothing_is_saved(app, client, desk):
    as_user(app, client, desk["agent"])
    response = post_form(client, contacts_url(desk), {"name": "Omar", "email": "omar@"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in response.text
    assert 'value="Omar"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2


def test_change_an_e_mail_address_then_mark_the_person_as_former(app, client, desk):
    as_user(app, client, desk["agent"])
    edit = contacts_url(desk, f"/{desk['ivy']}")
    assert 'value="Marketing"' in client.get(edit).text
    response = post_form(
        client,
        edit,
        {"name": "Ivy Park", "email": "ivy.park@harbor.example", "position": "Marketing"},
    )
    assert response.status_code == 302
    page = client.get(edit).text
    assert 'value="ivy.park@harbor.example"' in page
    assert 'value="former marketing"' in page  # the suggested description
    response = post_form(client, edit + "/former", {"note": "former marketing lead"}, page=edit)
    assert response.status_code == 302
    listing = text(client.get(response.headers["Location"]).text)
    assert "Ivy Park is marked as former marketing lead." in listing
    assert "Ivy Park former former marketing lead" in listing


def test_the_correspondent_is_changed_to_a_current_contact_only_and_logged(app, client, desk):
    as_user(app, client, desk["agent"])
    case_url = f"/tracker/cases/{desk['number']}"
    page = client.get(case_url).text
    panel = page[page.index('class="side-facts case-correspondent"') : page.index('id="priority')]
    options = re.findall(r'<option[^>]*value="(\d*)"[^>]*>([^<]*)</option>', panel)
    assert options == [
        ("", "Choose a contact"),
        (str(desk["ivy"]), "Ivy Park &lt;ivy@harbor.example&gt; · Marketing"),
    ]
    refused = post_form(
        client, f"{case_url}/correspondent", {"contact_id": str(desk["hannah"])}, page=case_url
    )
    assert refused.status_code == 422
    assert "Not a valid choice." in refused.text
    response = post_form(
        client, f"{case_url}/correspondent", {"contact_id": str(desk["ivy"])}, page=case_url
    )
    assert response.status_code == 302
    page = text(client.get(case_url).text)
    assert "Answers on this case now go to Ivy Park <ivy@harbor.example>." in page
    assert "Correspondent Ivy Park ivy@harbor.example" in page
    assert "Correspondent changed from ben@harbor.example to Ivy Park <ivy@harbor.example>" in page
    # The next answer is mailed to the new correspondent.
    reply = post_form(
        client,
        f"{case_url}/messages",
        {"kind": "reply", "body": "Fixed.", "then": ""},
        page=case_url,
    )
    assert reply.status_code == 302
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail).order_by(OutboxMail.id.desc()))
        assert mail.to_address == "ivy@harbor.example"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.BILLING])
def test_only_agents_and_admins_keep_contacts(app, client, desk, role):
    with app.app_context():
        user = make_user(role)
        db.session.commit()
        user_id = user.id
    as_user(app, client, user_id)
    assert client.get(contacts_url(desk)).status_code == 403
    assert client.get(contacts_url(desk, f"/{desk['ivy']}")).status_code == 403


def test_a_contact_of_another_organisation_is_not_found_here(app, client, desk):
    with app.app_context():
        other = make_organisation()
        db.session.commit()
        other_id = other.id
    as_user(app, client, desk["agent"])
    assert client.get(f"/tracker/callers/{other_id}/contacts/{desk['ivy']}").status_code == 404
    assert client.get("/tracker/callers/999999/contacts").status_code == 404
