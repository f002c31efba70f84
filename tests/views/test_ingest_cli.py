"""`flask ingest-mail` (an MTA pipe) and `flask fetch-mail` (an IMAP poll)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from helpdesk.extensions import db
from helpdesk.models import Case, InboundMail, InboundStatus, Origin, Role
from helpdesk.services.mail import inbound
from tests.factories import make_user
from tests.services.test_inbound import FakeIMAP, make_mail


@pytest.fixture
def customer_email(app) -> str:
    with app.app_context():
        email = make_user(Role.CUSTOMER, email="ann@oldtown.test").email
        db.session.commit()
        return email


def run(app, *args, stdin: bytes | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_ingest_mail_reads_standard_input_and_opens_the_case(app, customer_email):
    result = run(app, "ingest-mail", stdin=make_mail(customer_email, "Cannot log in"))
    assert result.exit_code == 0, result.output
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert (case.subject, case.origin) == ("Cannot log in", Origin.EMAIL)
    assert f"processed (case #{case.number})" in result.output


def test_a_quarantined_message_still_exits_zero_so_the_mta_does_not_bounce(app):
    garbage = b"\x89PNG\r\n\x1a\n\x00\x00 not a mail"
    result = run(app, "ingest-mail", stdin=garbage)
    assert result.exit_code == 0
    assert "quarantined (The message has no headers.)" in result.output
    with app.app_context():
        mail = db.session.scalar(sa.select(InboundMail))
        assert (mail.status, mail.raw) == (InboundStatus.QUARANTINED, garbage)


def test_a_message_that_cannot_be_stored_is_a_temporary_failure(app, monkeypatch):
    def locked(raw, parsed):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(inbound, "_store", locked)
    result = run(app, "ingest-mail", stdin=make_mail("eve@nowhere.test"))
    assert result.exit_code == 75  # EX_TEMPFAIL: the MTA keeps it and tries again
    assert "try again later" in result.output


def test_fetch_mail_uses_the_configured_mailbox(app, customer_email, monkeypatch):
    box = FakeIMAP({3: make_mail(customer_email), 4: make_mail("eve@nowhere.test")})
    opened = []

    def fake_client(config):
        opened.append((config["IMAP_HOST"], config["IMAP_FOLDER"]))
        return box

    monkeypatch.setattr(inbound, "imap_client", fake_client)
    monkeypatch.setitem(app.config, "IMAP_USERNAME", "helpdesk")
    result = run(app, "fetch-mail")
    assert result.exit_code == 0, result.output
    assert "2 fetched, 2 deleted from the mailbox." in result.output
    assert opened == [("localhost", "INBOX")]
    assert box.calls == ["login helpdesk", "select INBOX", "expunge", "logout"]
    assert box.messages == {}


def test_fetch_mail_fails_loudly_and_keeps_what_it_could_not_store(
    app, customer_email, monkeypatch
):
    box = FakeIMAP({1: make_mail(customer_email)})

    def locked(raw, parsed):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(inbound, "imap_client", lambda config: box)
    monkeypatch.setattr(inbound, "_store", locked)
    result = run(app, "fetch-mail")
    assert result.exit_code == 1
    assert "UID 1 not stored" in result.output
    assert set(box.messages) == {1} and not box.deleted


def test_an_unreachable_mailbox_is_a_clear_error(app, monkeypatch):
    def refused(config):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(inbound, "imap_client", refused)
    result = run(app, "fetch-mail")
    assert result.exit_code == 1
    assert "Mailbox not reachable: connection refused" in result.output


def _left_unrouted(app, raw: bytes, at) -> int:
    from helpdesk.rules.inbound import parse

    with app.app_context():
        mail = inbound._store(raw, parse(raw))  # what a process killed after storing leaves
        mail.created_at = at
        db.session.commit()
        return mail.id


def test_sweep_mail_routes_stored_mail_a_crash_left_unrouted(app, customer_email, monkeypatch):
    from datetime import datetime, timedelta

    stored_at = datetime(2026, 3, 2, 9, 0)
    mail_id = _left_unrouted(app, make_mail(customer_email, "Cannot log in"), stored_at)
    monkeypatch.setitem(app.config, "CLOCK", lambda: stored_at + timedelta(minutes=4))
    early = run(app, "sweep-mail")
    assert early.exit_code == 0 and early.output == ""
    monkeypatch.setitem(app.config, "CLOCK", lambda: stored_at + timedelta(minutes=5))
    result = run(app, "sweep-mail")
    assert result.exit_code == 0, result.output
    with app.app_context():
        case = db.session.scalar(sa.select(Case))
        assert db.session.get(InboundMail, mail_id).case_id == case.id
    assert f"inbound mail {mail_id}: processed (case #{case.number})" in result.output
    assert "1 unrouted message resumed." in result.output


def test_fetch_mail_also_routes_stuck_mail_when_the_mailbox_is_down(
    app, customer_email, monkeypatch
):
    from datetime import datetime, timedelta

    stored_at = datetime(2026, 3, 2, 9, 0)
    mail_id = _left_unrouted(app, make_mail(customer_email, "Cannot log in"), stored_at)
    monkeypatch.setitem(app.config, "CLOCK", lambda: stored_at + timedelta(hours=1))

    def refused(config):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(inbound, "imap_client", refused)
    result = run(app, "fetch-mail")
    assert result.exit_code == 1  # the mailbox error is still reported
    assert f"inbound mail {mail_id}: processed (case #" in result.output
    with app.app_context():
        assert db.session.get(InboundMail, mail_id).status == InboundStatus.PROCESSED
