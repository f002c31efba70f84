"""The administrators' inbound mail quarantine: list, raw copy, retry and discard."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AuditLog,
    Case,
    Contact,
    InboundMail,
    InboundStatus,
    Origin,
    Role,
)
from helpdesk.services.mail import inbound
from tests.conftest import as_user, csrf_from
from tests.factories import make_organisation, make_user
from tests.services.test_inbound import make_mail

URL = "/admin/mail-quarantine"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def people(app):
    with app.app_context():
        users = {
            "admin": make_user(Role.ADMIN, name="Ada Admin").id,
            "agent": make_user(Role.AGENT).id,
            "billing": make_user(Role.BILLING).id,
            "customer": make_user(Role.CUSTOMER).id,
        }
        db.session.commit()
        return users


@pytest.fixture
def shared_contact(app):
    """One address that is a contact of two organisations: its mail cannot be routed."""
    with app.app_context():
        first = make_organisation(name="First Co")
        second = make_organisation(name="Second Co")
        db.session.add_all(
            [
                Contact(organisation_id=first.id, name="Pat", email="pat@shared.test"),
                Contact(organisation_id=second.id, name="Pat", email="pat@shared.test"),
            ]
        )
        db.session.commit()
        mail = inbound.ingest(make_mail("pat@shared.test", "Which company am I?"))
        assert mail.status == InboundStatus.QUARANTINED
        return {"mail": mail.id, "first": first.id, "second": second.id}


GARBAGE = b"\xff\xfe<html><script>alert(1)</script>"


def stored(app, raw: bytes) -> int:
    with app.app_context():
        return inbound.ingest(raw).id


@pytest.mark.parametrize("role", ["agent", "billing", "customer"])
def test_only_admins_see_the_quarantine(app, client, people, role):
    mail_id = stored(app, GARBAGE)
    as_user(app, client, people[role])
    refused = client.get(URL)
    assert refused.status_code == 403
    assert client.get(f"{URL}/{mail_id}/raw").status_code == 403
    token = {"csrf_token": csrf_from(refused.get_data(as_text=True))}
    assert client.post(f"{URL}/{mail_id}/retry", data=token).status_code == 403
    assert client.post(f"{URL}/{mail_id}/discard", data=token).status_code == 403
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.QUARANTINED
        actions = db.session.scalars(sa.select(AuditLog.action)).all()
    # Nothing was done; the two refused posts are on record.
    assert sorted(actions) == [
        "refused.admin.inbound_mail_discard",
        "refused.admin.inbound_mail_retry",
    ]


def test_anonymous_visitors_are_sent_to_log_in(app, client):
    response = client.get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_list_shows_quarantined_mail_with_its_reason(app, client, people, shared_contact):
    page = as_user(app, client, people["admin"]).get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "pat@shared.test" in html and "Which company am I?" in html
    assert "is a contact of 2 organisations" in html
    fragment = client.get(URL, headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="mail-quarantine">')
    assert "pat@shared.test" in fragment


def test_ignored_mail_is_on_its_own_tab(app, client, people):
    raw = make_mail("robot@nowhere.test", headers=(("Auto-Submitted", "auto-replied"),))
    stored(app, raw)
    as_user(app, client, people["admin"])
    assert "robot@nowhere.test" not in client.get(URL).get_data(as_text=True)
    ignored = client.get(f"{URL}?show=ignored").get_data(as_text=True)
    assert "robot@nowhere.test" in ignored and "Auto-Submitted" in ignored


def test_the_raw_copy_downloads_as_plain_text(app, client, people):
    mail_id = stored(app, GARBAGE)
    response = as_user(app, client, people["admin"]).get(f"{URL}/{mail_id}/raw")
    assert response.status_code == 200
    assert response.data == GARBAGE
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"{URL}/999999/raw").status_code == 404


def test_retry_routes_the_message_once_the_data_is_fixed(app, client, people, shared_contact):
    with app.app_context():
        contact = db.session.scalar(
            sa.select(Contact).where(Contact.organisation_id == shared_contact["second"])
        )
        contact.former_employee = True
        db.session.commit()
    token = csrf_from(as_user(app, client, people["admin"]).get(URL).get_data(as_text=True))
    response = client.post(
        f"{URL}/{shared_contact['mail']}/retry", data={"csrf_token": token}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "processed on case #" in html
    with app.app_context():
        mail = db.session.get(InboundMail, shared_contact["mail"])
        assert mail.status == InboundStatus.PROCESSED
        case = db.session.get(Case, mail.case_id)
        assert (case.origin, case.organisation_id) == (Origin.EMAIL, shared_contact["first"])
        [entry] = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "inbound_mail.retry")
        ).all()
        assert (entry.actor_id, entry.object_id) == (people["admin"], mail.id)


def test_a_failed_retry_says_why_and_keeps_the_message(app, client, people):
    mail_id = stored(app, GARBAGE)
    token = csrf_from(as_user(app, client, people["admin"]).get(URL).get_data(as_text=True))
    response = client.post(f"{URL}/{mail_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is quarantined again: The message has no headers." in page
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.QUARANTINED


def test_discard_sets_the_message_aside_and_is_audited(app, client, people):
    mail_id = stored(app, GARBAGE)
    token = csrf_from(as_user(app, client, people["admin"]).get(URL).get_data(as_text=True))
    response = client.post(f"{URL}/{mail_id}/discard", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        assert mail.status == InboundStatus.IGNORED and mail.raw == GARBAGE
        assert mail.error.startswith("Discarded by Ada Admin.")
        assert (
            db.session.scalar(
                sa.select(AuditLog.actor_id).where(AuditLog.action == "inbound_mail.discard")
            )
            == people["admin"]
        )
    again = client.post(f"{URL}/{mail_id}/discard", data={"csrf_token": token}, headers=HTMX)
    assert "Only a quarantined message can be discarded." in again.get_data(as_text=True)


def test_actions_need_the_csrf_token_and_an_existing_message(app, client, people):
    mail_id = stored(app, GARBAGE)
    as_user(app, client, people["admin"])
    assert client.post(f"{URL}/{mail_id}/discard").status_code == 400
    token = csrf_from(client.get(URL).get_data(as_text=True))
    assert client.post(f"{URL}/999999/retry", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.QUARANTINED


def test_the_admin_home_links_to_the_quarantine(app, client, people):
    html = as_user(app, client, people["admin"]).get("/admin/").get_data(as_text=True)
    assert f'href="{URL}"' in html


def test_a_row_left_unrouted_shows_as_stuck_after_the_setting(app, client, people, monkeypatch):
    from datetime import datetime, timedelta

    from helpdesk.rules.inbound import parse

    stored_at = datetime(2026, 3, 2, 9, 0)
    with app.app_context():
        raw = make_mail("ann@oldtown.test", "Killed mid-way")
        mail = inbound._store(raw, parse(raw))  # what a process killed after storing leaves
        mail.created_at = stored_at
        db.session.commit()
        row = f'id="inbound-mail-{mail.id}"'
    as_user(app, client, people["admin"])

    def status_cell(minutes: int) -> str:
        monkeypatch.setitem(app.config, "CLOCK", lambda: stored_at + timedelta(minutes=minutes))
        html = client.get(URL, headers=HTMX).get_data(as_text=True)
        return html.split(row, 1)[1].split("</tr>", 1)[0]

    assert "being routed" in status_cell(1) and "stuck" not in status_cell(1)
    stuck = status_cell(5)
    assert ">stuck<" in stuck and "routing never finished" in stuck
