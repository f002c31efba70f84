"""Mail you can read in development: without an SMTP host, mail is captured in the outbox and
an administrator reads it in full at /admin/sent-mail, links and all."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from helpdesk.admin import sent_mail_views
from helpdesk.extensions import db
from helpdesk.models import OutboxMail, OutboxStatus, Role
from helpdesk.services.mail.mail_sender import MailSettings
from tests.conftest import as_user, post_form
from tests.factories import make_user
from tests.services.test_mail_sender import point_mail_at, queue_rows, running_smtp_server

RESET_LINK = re.compile(r'<a href="(https?://[^/"]+/auth/reset/[^"]+)"')


@pytest.fixture
def capturing(app, monkeypatch):
    """No SMTP host, outside production: the development default."""
    monkeypatch.setitem(app.config, "MAIL_HOST", "")
    monkeypatch.setitem(app.config, "HELPDESK_ENV", "development")


@pytest.fixture
def people(app) -> dict[str, int]:
    with app.app_context():
        users = {
            "admin": make_user(Role.ADMIN, email="root@example.test"),
            "agent": make_user(Role.AGENT, email="agent@example.test"),
            "customer": make_user(Role.CUSTOMER, email="noor@example.test", name="Noor Haddad"),
        }
        db.session.commit()
        return {key: user.id for key, user in users.items()}


def ask_for_reset(app, email: str = "noor@example.test") -> None:
    visitor = app.test_client()
    post_form(visitor, "/auth/reset", {"email": email}, follow_redirects=True)


def only_mail(app) -> OutboxMail:
    with app.app_context():
        (mail,) = db.session.scalars(sa.select(OutboxMail)).all()
        db.session.expunge(mail)
        return mail


def read_reset_link(app, admin_client) -> str:
    """Open the newest mail from the list, as an administrator would, and take its link."""
    listing = admin_client.get("/admin/sent-mail").text
    message_path = re.search(r'<a href="(/admin/sent-mail/\d+)">Reset your password', listing)
    assert message_path, listing
    (link,) = RESET_LINK.findall(admin_client.get(message_path.group(1)).text)
    return unescape(link)


def test_send_mail_captures_without_an_smtp_host_and_the_view_shows_it_with_links(
    app, client, people, capturing
):
    ask_for_reset(app)

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Captured 1 (no SMTP host set: read them at /admin/sent-mail)")
    mail = only_mail(app)
    assert mail.status == OutboxStatus.SENT and mail.last_error is None  # no server was asked
    as_user(app, client, people["admin"])
    listing = client.get("/admin/sent-mail").text
    assert "Mail is captured, not sent" in listing
    assert "Noor Haddad &lt;noor@example.test&gt;" in listing and "password_reset" in listing
    page = client.get(f"/admin/sent-mail/{mail.id}").text
    assert "<dt>To</dt><dd>Noor Haddad &lt;noor@example.test&gt;</dd>" in page
    message_id = mail.message_id.replace("<", "&lt;").replace(">", "&gt;")
    assert f"<dt>Message-ID</dt><dd>{message_id}</dd>" in page
    assert len(RESET_LINK.findall(page)) == 1  # the link in the text is clickable


def test_queued_mail_is_readable_before_any_send_mail_run(app, client, people, capturing):
    ask_for_reset(app)
    as_user(app, client, people["admin"])
    mail = only_mail(app)
    assert mail.status == OutboxStatus.QUEUED
    assert f'id="sent-mail-{mail.id}"' in client.get("/admin/sent-mail").text
    assert "<strong>queued</strong>" in client.get(f"/admin/sent-mail/{mail.id}").text


def test_a_password_reset_is_finished_by_reading_the_mail_in_the_view(app, people, capturing):
    ask_for_reset(app)
    admin = as_user(app, app.test_client(), people["admin"])

    path = urlsplit(read_reset_link(app, admin)).path
    customer = app.test_client()
    data = {"password": "lighthouse-keeper-42", "confirm": "lighthouse-keeper-42"}
    post_form(customer, path, data, follow_redirects=True)
    login = post_form(
        customer,
        "/auth/login",
        {"email": "noor@example.test", "password": "lighthouse-keeper-42"},
    )

    assert login.status_code == 302 and "/auth/login" not in login.headers["Location"]


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_only_administrators_read_mail(app, client, people, capturing, role):
    ask_for_reset(app)
    mail = only_mail(app)
    as_user(app, client, people[role])
    assert client.get("/admin/sent-mail").status_code == 403
    assert client.get(f"/admin/sent-mail/{mail.id}").status_code == 403


def test_an_unknown_mail_is_not_found(app, client, people):
    as_user(app, client, people["admin"])
    assert client.get("/admin/sent-mail/999999").status_code == 404


def test_html_parts_are_framed_without_scripts_and_attachments_listed(
    app, client, people, capturing, monkeypatch
):
    ask_for_reset(app)
    message = EmailMessage()
    message["Subject"] = "Rich"
    message.set_content("See https://example.test/a.")
    message.add_alternative(
        '<p>Hi<script>alert(1)</script> <a href="https://example.test/b">b</a>', subtype="html"
    )
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    monkeypatch.setattr(sent_mail_views, "message_of", lambda mail, sender: message)
    as_user(app, client, people["admin"])

    page = client.get(f"/admin/sent-mail/{only_mail(app).id}").text

    assert '<a href="https://example.test/a" rel="noopener noreferrer">' in page  # no "."
    (frame,) = re.findall(r"<iframe[^>]*>", page)
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
    assert "<script" not in frame and "&lt;script&gt;" in frame  # only inside srcdoc
    assert "a.pdf (application/pdf, 8 bytes)" in page


@pytest.mark.parametrize(
    ("host", "env", "captured"),
    [
        ("", "development", True),
        ("smtp.example.test", "development", False),
        ("", "production", False),  # production keeps delivering to localhost, as before
    ],
)
def test_mail_is_captured_only_without_a_host_outside_production(app, host, env, captured):
    settings = MailSettings.from_config({**app.config, "MAIL_HOST": host, "HELPDESK_ENV": env})
    assert settings.capture is captured
    assert settings.host == (host or "localhost")


def test_the_settings_page_says_whether_mail_is_captured(app, client, people, monkeypatch):
    as_user(app, client, people["admin"])
    monkeypatch.setitem(app.config, "MAIL_HOST", "")
    assert "Outgoing mail</dt><dd>captured, not sent" in client.get("/admin/settings").text
    monkeypatch.setitem(app.config, "MAIL_HOST", "smtp.example.test")
    assert "Outgoing mail</dt><dd>SMTP</dd>" in client.get("/admin/settings").text


def test_with_an_smtp_host_mail_is_really_sent_and_still_listed(app, client, people, monkeypatch):
    ask_for_reset(app)
    with running_smtp_server() as smtp:
        point_mail_at(app, monkeypatch, smtp.port)
        result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.output == "Sent 1, retried 0, failed 0.\n"
    [received] = smtp.received
    assert received.recipients == ["noor@example.test"]
    mail = only_mail(app)
    assert received.message["Message-ID"] == mail.message_id
    as_user(app, client, people["admin"])
    listing = client.get("/admin/sent-mail").text
    assert "Mail is captured" not in listing and f'id="sent-mail-{mail.id}"' in listing
    page = client.get(f"/admin/sent-mail/{mail.id}").text
    assert "<strong>sent</strong>" in page and len(RESET_LINK.findall(page)) == 1


def test_the_list_is_newest_first_by_when_the_mail_was_written(app, client, people):
    [later] = queue_rows(app, 1, created_at=datetime(2026, 3, 2, 9, 0))
    [earlier] = queue_rows(app, 1, created_at=datetime(2026, 3, 1, 9, 0))
    as_user(app, client, people["admin"])
    listing = client.get("/admin/sent-mail").text
    assert listing.index(f'id="sent-mail-{later}"') < listing.index(f'id="sent-mail-{earlier}"')
