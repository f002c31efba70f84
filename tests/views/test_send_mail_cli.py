"""`flask send-mail`: one batch through the CLI runner; `--loop` as a real process stopped by
SIGTERM, delivering to a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, OutboxStatus, Role
from tests.conftest import as_user, csrf_from
from tests.factories import make_order, make_user
from tests.services.test_mail_sender import (
    Recorder,
    free_port,
    point_mail_at,
    queue_rows,
    running_smtp_server,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Recorder]:
    with running_smtp_server() as recorder:
        point_mail_at(app, monkeypatch, recorder.port)
        yield recorder


def statuses(app) -> list[OutboxStatus]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMail.status).order_by(OutboxMail.id)))


def test_send_mail_delivers_what_opening_a_case_queued(app, client, smtp):
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Novak", email="anna@northwind.example")
        order = make_order(anna.organisation)
        db.session.commit()
        anna_id, order_id = anna.id, order.id
    as_user(app, client, anna_id)
    token = csrf_from(client.get("/cases/new").text)
    client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "order_id": str(order_id),
            "category": "support",
            "subject": "Checkout fails",
            "body": "Step 3 shows an error.",
        },
        content_type="multipart/form-data",
    )

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.exit_code == 0, result.output
    assert result.output == "Sent 1, retried 0, failed 0.\n"
    [received] = smtp.received
    assert received.recipients == ["anna@northwind.example"]
    assert received.message["Subject"].endswith("We received your case: Checkout fails")
    assert statuses(app) == [OutboxStatus.SENT]
    again = app.test_cli_runner().invoke(args=["send-mail"])
    assert again.output == "Sent 0, retried 0, failed 0.\n" and len(smtp.received) == 1


def test_send_mail_counts_retries_and_failures(app, smtp):
    busy, gone = queue_rows(app, 2)
    with app.app_context():
        smtp.refuse[db.session.get(OutboxMail, busy).to_address] = "452 4.2.2 Mailbox full"
        smtp.refuse[db.session.get(OutboxMail, gone).to_address] = "550 5.1.1 Unknown user"

    result = app.test_cli_runner().invoke(args=["send-mail"])

    assert result.output == "Sent 0, retried 1, failed 1.\n"
    assert statuses(app) == [OutboxStatus.QUEUED, OutboxStatus.FAILED]


def test_send_mail_with_the_server_down_keeps_the_mail(app, monkeypatch):
    point_mail_at(app, monkeypatch, free_port())
    queue_rows(app, 1)
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0 and result.output == "Sent 0, retried 1, failed 0.\n"
    assert statuses(app) == [OutboxStatus.QUEUED]


def test_a_bad_security_setting_is_a_clear_error(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SECURITY", "ssl")
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 1
    assert "HELPDESK_MAIL_SECURITY must be one of none, starttls, tls" in result.output


# --- --loop, as the process a supervisor runs -------------------------------------------------


def start_loop(app, port: int, interval: str) -> subprocess.Popen:
    """`flask send-mail --loop` on the test database, configured the way production is: by
    environment variables."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "HELPDESK_CARD_HASH_KEY": "test-card-hash-key",
        "HELPDESK_MAIL_HOST": "127.0.0.1",
        "HELPDESK_MAIL_PORT": str(port),
        "HELPDESK_MAIL_TIMEOUT": "5",
        "HELPDESK_MAIL_BATCH_SIZE": "10",
    }
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "send-mail",
            "--loop",
            "--interval",
            interval,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[str, str]:
    try:
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()  # never leave a sender behind a failed test
            process.communicate()


def wait_for(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigterm_mid_batch_finishes_the_message_and_hands_the_rest_back(app):
    ids = queue_rows(app, 3)
    sender: list[subprocess.Popen] = []

    class TerminatingRecorder(Recorder):
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            if not self.received:
                sender[0].send_signal(signal.SIGTERM)
                await asyncio.sleep(0.3)  # the signal lands while this message is in flight
            return await super().handle_DATA(server, session, envelope)

    with running_smtp_server(recorder=TerminatingRecorder()) as smtp:
        sender.append(start_loop(app, smtp.port, interval="0.2"))
        out, err = finish(sender[0])

    assert sender[0].returncode == 0, err
    assert out == "Sent 1, retried 0, failed 0.\nStopped.\nSent 1, retried 0, failed 0.\n"
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.id.in_(ids))).all()
        sent = [row.message_id for row in rows if row.status == OutboxStatus.SENT]
        released = [row for row in rows if row.status == OutboxStatus.QUEUED]
    assert sent == smtp.message_ids() and len(sent) == 1
    assert len(released) == 2  # due again at once for the next sender, no attempt spent
    assert all(row.claimed_at is None and row.attempts == 0 for row in released)


def test_sigterm_while_idle_stops_at_once(app):
    [mail_id] = queue_rows(app, 1)
    with running_smtp_server() as smtp:
        process = start_loop(app, smtp.port, interval="60")
        try:
            wait_for(lambda: statuses(app) == [OutboxStatus.SENT])
            asked = time.monotonic()
            process.send_signal(signal.SIGTERM)
            out, err = finish(process)
        finally:
            if process.poll() is None:
                process.kill()
        waited = time.monotonic() - asked

    assert process.returncode == 0, err
    assert waited < 10  # not the 60 seconds of the interval
    assert out.endswith("Stopped.\nSent 1, retried 0, failed 0.\n")
    with app.app_context():
        assert smtp.message_ids() == [db.session.get(OutboxMail, mail_id).message_id]


def test_send_mail_logs_the_run_with_its_counts(app, smtp, caplog):
    caplog.set_level(logging.INFO, logger="helpdesk.jobs")
    busy, _sent = queue_rows(app, 2)
    with app.app_context():
        smtp.refuse[db.session.get(OutboxMail, busy).to_address] = "452 4.2.2 Mailbox full"

    app.test_cli_runner().invoke(args=["send-mail"])

    [run] = [record for record in caplog.records if record.name == "helpdesk.jobs"]
    assert run.job == "send-mail" and run.counts == {"sent": 1, "retried": 1, "failed": 0}
    assert run.duration_seconds >= 0 and run.request_id is None
