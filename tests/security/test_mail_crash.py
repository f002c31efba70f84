"""`flask ingest-mail` killed by SIGKILL around its commits, then run again (the MTA's retry)
or swept: every time exactly one case and one message, never none and never two.

The pipe is a real `flask` process on the test database. HELPDESK_TEST_PAUSE_AT makes it write
a marker file and sleep at a named point, so it is killed exactly there, without timing races;
SIGKILL lets nothing of ours run, so only what the database committed survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from helpdesk.extensions import db
from helpdesk.models import Case, InboundMail, InboundStatus, Message, OutboxMail, Role
from tests.factories import make_case, make_organisation, make_user
from tests.services.test_inbound import make_mail

ROOT = Path(__file__).resolve().parents[2]
CUSTOMER = "ann@oldtown.test"
PROCESS_TIMEOUT = 120
LARGE_BODY = (
    "The printer jams on page two; the full log follows.\n" + "log line 0123456789\n" * 50_000
)


@pytest.fixture
def customer(app: Flask) -> dict:
    """A customer login and one open case of theirs to reply to; ids and number."""
    with app.app_context():
        organisation = make_organisation(name="Oldtown Hardware")
        make_user(Role.CUSTOMER, organisation=organisation, email=CUSTOMER)
        case = make_case(organisation)
        db.session.commit()
        return {"case_id": case.id, "case_number": case.number}


def flask_env(app: Flask, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "test-secret-key",
        "HELPDESK_CARD_HASH_KEY": "test-card-hash-key",
        "HELPDESK_ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "HELPDESK_ENV": "development",
        **extra,
    }
    for name in ("HELPDESK_TEST_PAUSE_AT", "HELPDESK_TEST_PAUSE_MARKER"):
        if name not in extra:
            env.pop(name, None)
    return env


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def ingest_and_kill(app: Flask, tmp_path: Path, raw: bytes, point: str) -> None:
    """Pipe `raw` into `flask ingest-mail`, wait until it pauses at `point`, SIGKILL it."""
    marker = tmp_path / f"paused-{point}"
    env = flask_env(
        app, tmp_path, HELPDESK_TEST_PAUSE_AT=point, HELPDESK_TEST_PAUSE_MARKER=str(marker)
    )
    message = tmp_path / "message.eml"
    message.write_bytes(raw)
    with message.open("rb") as stdin:
        process = subprocess.Popen(
            flask_command("ingest-mail"),
            cwd=ROOT,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while not marker.exists():
            if process.poll() is not None:
                pytest.fail(f"ingest-mail ended before {point}: {process.stdout.read()!r}")
            if time.monotonic() > deadline:
                pytest.fail(f"ingest-mail never reached {point}")
            time.sleep(0.02)  # waiting for the marker only; the outcome never depends on it
    finally:
        os.kill(process.pid, signal.SIGKILL)  # our own child, by its id
        process.wait(PROCESS_TIMEOUT)
        process.stdout.close()
    assert process.returncode == -signal.SIGKILL


def run_flask(app: Flask, tmp_path: Path, *args: str, stdin: bytes = b"", **env: str):
    return subprocess.run(
        flask_command(*args),
        cwd=ROOT,
        env=flask_env(app, tmp_path, **env),
        input=stdin,
        capture_output=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def database(app: Flask) -> dict:
    """What the database holds, read afresh."""
    with app.app_context():
        mails = db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id)).all()
        state = {
            "cases": db.session.scalars(sa.select(Case.id).order_by(Case.id)).all(),
            "messages": db.session.scalars(sa.select(Message.case_id)).all(),
            "routed": [m.case_id for m in mails if m.status == InboundStatus.PROCESSED],
            "rows": [m.status for m in mails],
            "acknowledgements": db.session.scalars(
                sa.select(OutboxMail.case_id).where(OutboxMail.to_address == CUSTOMER)
            ).all(),
        }
        db.session.remove()
        return state


@pytest.mark.parametrize("point", ["before_raw_commit", "raw_committed", "case_committed"])
def test_a_new_case_mail_killed_then_redelivered_opens_one_case(app, customer, tmp_path, point):
    raw = make_mail(CUSTOMER, "Printer jams", LARGE_BODY, message_id="<big-1@oldtown.test>")
    ingest_and_kill(app, tmp_path, raw, point)
    survived = database(app)
    if point == "before_raw_commit":
        assert survived["rows"] == [] and len(survived["cases"]) == 1  # only the existing case
    elif point == "raw_committed":
        assert survived["rows"] == [InboundStatus.RECEIVED] and len(survived["cases"]) == 1
    else:
        assert survived["rows"] == [InboundStatus.PROCESSED] and len(survived["cases"]) == 2

    retry = run_flask(app, tmp_path, "ingest-mail", stdin=raw)
    assert retry.returncode == 0, retry.stderr
    after = database(app)
    [new_case] = [case for case in after["cases"] if case != customer["case_id"]]
    assert after["routed"] == [new_case]  # one row made the one case
    assert after["acknowledgements"] == [new_case]  # one "we received your case" mail
    assert after["messages"] == []  # the mail is the case's description, not a reply
    if point == "case_committed":
        assert after["rows"] == [InboundStatus.PROCESSED, InboundStatus.IGNORED]
        assert b"Duplicate of inbound mail" in retry.stdout
    else:
        assert after["rows"] == [InboundStatus.PROCESSED]
        assert b"processed (case #" in retry.stdout


def test_a_reply_killed_after_its_raw_commit_then_redelivered_adds_one_message(
    app, customer, tmp_path
):
    raw = make_mail(CUSTOMER, f"[#{customer['case_number']}] still jams", LARGE_BODY)
    ingest_and_kill(app, tmp_path, raw, "raw_committed")
    assert database(app)["messages"] == []

    for _ in range(2):  # the MTA may retry more than once
        retry = run_flask(app, tmp_path, "ingest-mail", stdin=raw)
        assert retry.returncode == 0, retry.stderr
    after = database(app)
    assert after["messages"] == [customer["case_id"]]
    assert after["cases"] == [customer["case_id"]]
    assert after["rows"] == [InboundStatus.PROCESSED, InboundStatus.IGNORED]


def test_a_mail_killed_after_its_raw_commit_is_routed_by_the_sweep(app, customer, tmp_path):
    raw = make_mail(CUSTOMER, "Printer jams", LARGE_BODY)
    ingest_and_kill(app, tmp_path, raw, "raw_committed")
    # Zero minutes: the row counts as stuck at once, without waiting for the wall clock.
    sweep = run_flask(app, tmp_path, "sweep-mail", HELPDESK_INBOUND_STUCK_MINUTES="0")
    assert sweep.returncode == 0, sweep.stderr
    assert b"1 unrouted message resumed." in sweep.stdout
    again = run_flask(app, tmp_path, "sweep-mail", HELPDESK_INBOUND_STUCK_MINUTES="0")
    assert again.returncode == 0 and again.stdout == b""
    after = database(app)
    [new_case] = [case for case in after["cases"] if case != customer["case_id"]]
    assert after["routed"] == [new_case] and after["acknowledgements"] == [new_case]
    assert after["rows"] == [InboundStatus.PROCESSED]
