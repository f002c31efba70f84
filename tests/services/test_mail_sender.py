"""The outbox sender against a real SMTP server (aiosmtpd in a thread) on a free local port."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import smtplib
import socket
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, OutboxStatus, Role, utcnow
from helpdesk.services.mail import mail_sender
from helpdesk.services.mail.mail_sender import LEASE, MailSettings, send_batch
from tests.conftest import as_user, csrf_from
from tests.factories import make_order, make_user

_numbers = itertools.count(1)


# --- a real SMTP server that records what it accepted -------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Recorder:
    """aiosmtpd handler: accepts everything except the replies a test scripts."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    data_replies: list[str] = field(default_factory=list)  # replies to the next DATA commands
    logins: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, message
            )
        )
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_smtp_server(
    port: int | None = None, recorder: Recorder | None = None, **smtp_options
) -> Iterator[Recorder]:
    """An SMTP server on 127.0.0.1 for the duration of the block."""
    recorder = recorder or Recorder()
    recorder.port = port or free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port, **smtp_options)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[Recorder]:
    """A server, and the app's mail settings pointing at it."""
    with running_smtp_server() as recorder:
        point_mail_at(app, monkeypatch, recorder.port)
        yield recorder


def point_mail_at(app, monkeypatch, port: int, **settings) -> None:
    for key, value in {
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SECURITY": "none",
        "MAIL_FROM": "Northwind Support <support@helpdesk.test>",
        "MAIL_TIMEOUT": 5,
        **settings,
    }.items():
        monkeypatch.setitem(app.config, key, value)


def queue_rows(app, count: int, **fields) -> list[int]:
    """Outbox rows as an action would leave them (for cases no portal form can produce)."""
    with app.app_context():
        rows = []
        for _ in range(count):
            n = next(_numbers)
            rows.append(
                OutboxMail(
                    **{
                        "to_address": f"reader{n}@example.test",
                        "to_name": f"Reader {n}",
                        "subject": f"Notice {n}",
                        "body_text": f"Body of notice {n}.",
                        "template_key": "password_changed",
                        "message_id": f"<notice-{n}-{id(rows)}@helpdesk.test>",
                        **fields,
                    }
                )
            )
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


def rows_by_id(app) -> dict[int, OutboxMail]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMail)).all()
        db.session.expunge_all()
        return {row.id: row for row in rows}


def batch(app, **kwargs) -> mail_sender.BatchResult:
    with app.app_context():
        return send_batch(**kwargs)


# --- through real actions: a customer opens a case, an agent answers ----------------------------


@pytest.fixture
def thread(app, client):
    """Anna opens a case on the portal, Tomas answers it: two mails in the case's thread."""
    with app.app_context():
        anna = make_user(Role.CUSTOMER, name="Anna Nováková", email="anna@northwind.example")
        tomas = make_user(Role.AGENT, name="Tomas Tran", tier=2)
        order = make_order(anna.organisation)
        db.session.commit()
        ids = {"anna": anna.id, "tomas": tomas.id, "order": order.id}
    as_user(app, client, ids["anna"])
    token = csrf_from(client.get("/cases/new").text)
    opened = client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "order_id": str(ids["order"]),
            "category": "support",
            "subject": "Checkout fails",
            "body": "Step 3 shows an error.",
        },
        content_type="multipart/form-data",
    )
    assert opened.status_code == 302
    number = int(opened.headers["Location"].rsplit("/", 1)[1])
    agent = app.test_client()
    as_user(app, agent, ids["tomas"])
    token = csrf_from(agent.get(f"/tracker/cases/{number}").text)
    answered = agent.post(
        f"/tracker/cases/{number}/messages",
        data={"csrf_token": token, "kind": "reply", "body": "Clear the cache, then retry."},
    )
    assert answered.status_code == 302
    return number


def test_a_case_thread_arrives_threaded_and_the_rows_are_marked_sent(app, smtp, thread):
    result = batch(app)

    assert (result.sent, result.retried, result.failed) == (2, 0, 0)
    ack, answer = smtp.received
    rows = sorted(rows_by_id(app).values(), key=lambda row: row.id)
    assert [r.message["Message-ID"] for r in smtp.received] == [row.message_id for row in rows]
    for received in smtp.received:
        assert received.recipients == ["anna@northwind.example"]
        assert received.sender == "support@helpdesk.test"
        assert received.message["From"] == "Northwind Support <support@helpdesk.test>"
        assert received.message["To"] == "Anna Nováková <anna@northwind.example>"
        assert received.message["Subject"].startswith(f"[#{thread}] ")
        assert received.message["Date"] is not None
    assert ack.message["Subject"] == f"[#{thread}] We received your case: Checkout fails"
    assert ack.message["In-Reply-To"] is None and ack.message["References"] is None
    assert ack.message["Auto-Submitted"] == "auto-generated"  # no vacation reply loops
    assert f"support case #{thread}" in ack.message.get_content()
    assert answer.message["Subject"] == f"[#{thread}] Re: Checkout fails"
    assert answer.message["In-Reply-To"] == rows[0].message_id
    assert answer.message["References"] == rows[0].message_id
    assert answer.message["Auto-Submitted"] is None  # a person wrote it
    assert "Clear the cache, then retry." in answer.message.get_content()
    assert all(row.status == OutboxStatus.SENT and row.sent_at for row in rows)
    assert [row.attempts for row in rows] == [1, 1]
    assert batch(app).claimed == 0  # sent is sent: a second run finds nothing


def test_later_case_mail_references_the_root_and_the_previous_mail(app, smtp, thread):
    with app.app_context():
        first = db.session.scalar(sa.select(OutboxMail).order_by(OutboxMail.id))
        case_id, root = first.case_id, first.message_id
    [third] = queue_rows(app, 1, case_id=case_id, template_key="agent_replied")
    [fourth] = queue_rows(
        app, 1, case_id=case_id, template_key="agent_replied", in_reply_to="<customer@mail.test>"
    )
    batch(app)

    rows = rows_by_id(app)
    by_id = {r.message["Message-ID"]: r.message for r in smtp.received}
    answer = sorted(rows)[1]
    third_mail = by_id[rows[third].message_id]
    assert third_mail["In-Reply-To"] == rows[answer].message_id
    assert third_mail["References"].split() == [root, rows[answer].message_id]
    fourth_mail = by_id[rows[fourth].message_id]
    assert fourth_mail["In-Reply-To"] == "<customer@mail.test>"
    assert fourth_mail["References"].split() == [
        root,
        rows[answer].message_id,
        rows[third].message_id,
        "<customer@mail.test>",
    ]


# --- failures, retries, refusals ----------------------------------------------------------------


def test_server_down_keeps_the_row_queued_for_a_later_try_then_delivers_it(app, monkeypatch):
    port = free_port()  # nobody listens here yet
    point_mail_at(app, monkeypatch, port)
    [mail_id] = queue_rows(app, 1)
    started = utcnow()

    result = batch(app)

    row = rows_by_id(app)[mail_id]
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    assert row.status == OutboxStatus.QUEUED and row.attempts == 1
    assert "refused" in row.last_error.lower()
    assert row.next_attempt_at >= started + timedelta(minutes=1)
    with running_smtp_server(port) as smtp:
        assert batch(app).claimed == 0  # not due yet: the back-off is kept
        result = batch(app, now=utcnow() + timedelta(minutes=2))
    row = rows_by_id(app)[mail_id]
    assert result.sent == 1 and smtp.message_ids() == [row.message_id]
    assert row.status == OutboxStatus.SENT and row.attempts == 2


def test_one_unreachable_connect_fails_the_whole_batch_for_a_retry(app, monkeypatch):
    point_mail_at(app, monkeypatch, free_port())
    queue_rows(app, 3)
    calls = []
    real_connect = mail_sender.SmtpConnection._connect

    def counting_connect(self):
        calls.append(1)
        return real_connect(self)

    monkeypatch.setattr(mail_sender.SmtpConnection, "_connect", counting_connect)
    result = batch(app)
    assert (result.retried, len(calls)) == (3, 1)
    assert {row.attempts for row in rows_by_id(app).values()} == {1}


def test_a_permanent_recipient_refusal_fails_at_once_and_the_batch_goes_on(app, smtp):
    gone, busy, fine = queue_rows(app, 3)
    rows = rows_by_id(app)
    smtp.refuse[rows[gone].to_address] = "550 5.1.1 No such user here"
    smtp.refuse[rows[busy].to_address] = "450 4.2.1 Mailbox busy, try later"

    result = batch(app)

    rows = rows_by_id(app)
    assert (result.sent, result.retried, result.failed) == (1, 1, 1)
    assert rows[gone].status == OutboxStatus.FAILED and rows[gone].attempts == 1
    assert rows[gone].last_error == "550 5.1.1 No such user here"
    assert rows[busy].status == OutboxStatus.QUEUED and "450" in rows[busy].last_error
    assert rows[fine].status == OutboxStatus.SENT
    assert smtp.message_ids() == [rows[fine].message_id]


def test_the_last_allowed_attempt_gives_up(app, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    [mail_id] = queue_rows(app, 1, attempts=2)
    smtp.refuse[rows_by_id(app)[mail_id].to_address] = "451 4.3.0 Try again later"

    assert batch(app).failed == 1
    row = rows_by_id(app)[mail_id]
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)


def test_a_dropped_connection_is_reopened_for_the_next_message(app, smtp):
    first, second, third = queue_rows(app, 3)
    smtp.data_replies.append("421 4.3.2 Shutting down")  # smtplib hangs up on a 421

    result = batch(app)

    rows = rows_by_id(app)
    assert (result.sent, result.retried) == (2, 1)
    assert rows[first].status == OutboxStatus.QUEUED and "421" in rows[first].last_error
    assert smtp.message_ids() == [rows[second].message_id, rows[third].message_id]


# --- header injection ---------------------------------------------------------------------------


def test_line_breaks_in_a_name_or_subject_inject_no_header(app, smtp, client):
    with app.app_context():
        mallory = make_user(
            Role.CUSTOMER, name="Mallory\r\nBcc: victim@evil.test", email="mallory@example.test"
        )
        order = make_order(mallory.organisation)
        db.session.commit()
        mallory_id, order_id = mallory.id, order.id
    as_user(app, client, mallory_id)
    token = csrf_from(client.get("/cases/new").text)
    client.post(
        "/cases/new",
        data={
            "csrf_token": token,
            "order_id": str(order_id),
            "category": "support",
            "subject": "Hello",
            "body": "Text.",
        },
        content_type="multipart/form-data",
    )
    [subject_row] = queue_rows(app, 1, subject="Invoice\nBcc: victim@evil.test\nX-Evil: 1")

    assert batch(app).sent == 2

    for received in smtp.received:
        assert received.recipients == [received.message["To"].addresses[0].addr_spec]
        assert received.message["Bcc"] is None and received.message["X-Evil"] is None
        head = received.raw.split(b"\r\n\r\n", 1)[0]  # the body may quote the name as it is
        assert b"\nBcc:" not in head and b"\nX-Evil:" not in head
    by_id = {r.message["Message-ID"]: r.message for r in smtp.received}
    assert by_id[rows_by_id(app)[subject_row].message_id]["Subject"] == (
        "Invoice Bcc: victim@evil.test X-Evil: 1"
    )
    names = {r.message["To"].addresses[0].display_name for r in smtp.received}
    assert "Mallory Bcc: victim@evil.test" in names  # the name kept, on one line


def test_an_address_that_smuggles_a_header_fails_without_stopping_the_batch(app, smtp):
    [bad] = queue_rows(app, 1, to_address="ok@example.test\r\nBcc: victim@evil.test")
    [good] = queue_rows(app, 1)

    result = batch(app)

    rows = rows_by_id(app)
    assert (result.sent, result.failed) == (1, 1)
    assert rows[bad].status == OutboxStatus.FAILED and rows[bad].last_error.startswith(
        "Bad message"
    )
    assert smtp.message_ids() == [rows[good].message_id]
    assert all(r.recipients == [rows[good].to_address] for r in smtp.received)


# --- a sender killed mid-batch ------------------------------------------------------------------


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no handler catches it."""


def kill_in_mark(monkeypatch, *, on_call: int, after_marking: bool):
    """Kill the sender at its `on_call`-th mark, after that commit or just before it; returns
    the real `_mark_sent` to put back."""
    real_mark = mail_sender._mark_sent
    calls = itertools.count(1)

    def mark(mail, at):
        call = next(calls)
        if call == on_call and not after_marking:
            raise Killed
        real_mark(mail, at)
        if call == on_call:
            raise Killed

    monkeypatch.setattr(mail_sender, "_mark_sent", mark)
    return real_mark


def test_killed_between_messages_loses_nothing_and_sends_nothing_twice(app, smtp, monkeypatch):
    ids = queue_rows(app, 5)
    real_mark = kill_in_mark(monkeypatch, on_call=2, after_marking=True)
    with pytest.raises(Killed):
        batch(app)
    monkeypatch.setattr(mail_sender, "_mark_sent", real_mark)  # a new sender process

    statuses = Counter(row.status for row in rows_by_id(app).values())
    assert statuses == {OutboxStatus.SENT: 2, OutboxStatus.SENDING: 3}
    assert batch(app).claimed == 0  # another sender leaves the dead one's claims alone ...
    result = batch(app, now=utcnow() + LEASE + timedelta(seconds=1))  # ... until the lease ends
    assert result.sent == 3

    rows = rows_by_id(app)
    assert all(row.status == OutboxStatus.SENT for row in rows.values())
    assert Counter(smtp.message_ids()) == Counter({rows[i].message_id: 1 for i in ids})


def test_killed_after_acceptance_before_marking_resends_only_that_one(app, smtp, monkeypatch):
    """The documented at-least-once window: one message, accepted but not yet marked sent."""
    ids = queue_rows(app, 4)
    real_mark = kill_in_mark(monkeypatch, on_call=3, after_marking=False)
    with pytest.raises(Killed):
        batch(app)
    monkeypatch.setattr(mail_sender, "_mark_sent", real_mark)  # a new sender process
    accepted_unmarked = smtp.received[2].message["Message-ID"]

    batch(app, now=utcnow() + LEASE + timedelta(seconds=1))

    rows = rows_by_id(app)
    assert all(row.status == OutboxStatus.SENT for row in rows.values())
    expected = {rows[i].message_id: 1 for i in ids} | {accepted_unmarked: 2}
    assert Counter(smtp.message_ids()) == Counter(expected)


def test_a_dead_senders_stale_claims_are_taken_over_fresh_ones_are_not(app, smtp):
    now = utcnow()
    stale = queue_rows(app, 2, status=OutboxStatus.SENDING, claimed_at=now - LEASE * 2)
    [fresh] = queue_rows(app, 1, status=OutboxStatus.SENDING, claimed_at=now - timedelta(minutes=1))

    assert batch(app).sent == 2

    rows = rows_by_id(app)
    assert [rows[i].status for i in stale] == [OutboxStatus.SENT] * 2
    assert rows[fresh].status == OutboxStatus.SENDING
    assert sorted(smtp.message_ids()) == sorted(rows[i].message_id for i in stale)


def test_a_shorter_mail_lease_setting_takes_a_dead_senders_claims_over_sooner(
    app, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_LEASE_SECONDS", 30)  # HELPDESK_MAIL_LEASE_SECONDS
    now = utcnow()
    [stale] = queue_rows(
        app, 1, status=OutboxStatus.SENDING, claimed_at=now - timedelta(seconds=31)
    )
    [fresh] = queue_rows(
        app, 1, status=OutboxStatus.SENDING, claimed_at=now - timedelta(seconds=29)
    )

    assert batch(app, now=now).sent == 1

    rows = rows_by_id(app)
    assert rows[stale].status == OutboxStatus.SENT and rows[fresh].status == OutboxStatus.SENDING
    assert smtp.message_ids() == [rows[stale].message_id]


def test_a_claim_another_sender_took_over_is_not_sent_again(app, smtp, monkeypatch):
    """Our lease lapsed mid-batch (a very slow server) and a second sender claimed the row."""
    [mail_id] = queue_rows(app, 1)
    real_build = mail_sender.build_message
    takeover = utcnow() + LEASE * 2

    def build_then_lose_the_claim(*args, **kwargs):
        message = real_build(*args, **kwargs)
        db.session.execute(
            sa.update(OutboxMail).where(OutboxMail.id == mail_id).values(claimed_at=takeover)
        )
        db.session.commit()
        return message

    monkeypatch.setattr(mail_sender, "build_message", build_then_lose_the_claim)
    result = batch(app)

    assert (result.claimed, result.sent, result.retried, result.failed) == (1, 0, 0, 0)
    assert smtp.received == []
    row = rows_by_id(app)[mail_id]
    assert (row.status, row.claimed_at, row.attempts) == (OutboxStatus.SENDING, takeover, 0)


def test_a_requested_stop_finishes_the_message_and_hands_the_rest_back(app, smtp):
    ids = queue_rows(app, 3)

    result = batch(app, should_stop=lambda: len(smtp.received) >= 1)

    rows = rows_by_id(app)
    assert (result.claimed, result.sent) == (3, 1)
    assert [rows[i].status for i in ids] == [OutboxStatus.SENT] + [OutboxStatus.QUEUED] * 2
    assert [rows[i].attempts for i in ids[1:]] == [0, 0]  # released untried: no attempt spent
    assert batch(app).sent == 2  # and due at once, without waiting for the lease


def test_concurrent_senders_deliver_every_row_exactly_once(app, smtp):
    ids = queue_rows(app, 30)
    settings = MailSettings.from_config({**app.config, "MAIL_BATCH_SIZE": 4})
    barrier = threading.Barrier(3)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sender() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                while (result := send_batch(settings)).claimed:
                    sent.append(result.sent)
            except BaseException as error:  # the test must see it, not a silent thread
                errors.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=sender, daemon=True) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert errors == [] and not any(worker.is_alive() for worker in workers)
    rows = rows_by_id(app)
    assert sum(sent) == 30
    assert Counter(smtp.message_ids()) == Counter({rows[i].message_id: 1 for i in ids})
    assert all(row.status == OutboxStatus.SENT for row in rows.values())


# --- STARTTLS, TLS and login (a self-signed certificate made with openssl) ----------------------


@pytest.fixture
def certificate(tmp_path, monkeypatch) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 that the sender's default context trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # what ssl.create_default_context() trusts
    return str(cert), str(key)


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def test_starttls_then_login_then_delivery(app, monkeypatch, certificate):
    logins: list[tuple[bytes, bool]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret-pass"
        logins.append((auth_data.login, session.ssl is not None))
        return AuthResult(success=ok, handled=False)  # aiosmtpd sends the 235 or 535

    with running_smtp_server(
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
    ) as smtp:
        point_mail_at(
            app,
            monkeypatch,
            smtp.port,
            MAIL_SECURITY="starttls",
            MAIL_USERNAME="helpdesk",
            MAIL_PASSWORD="s3cret-pass",
        )
        [mail_id] = queue_rows(app, 1)
        assert batch(app).sent == 1
        assert logins == [(b"helpdesk", True)]  # logged in only inside TLS
        assert smtp.message_ids() == [rows_by_id(app)[mail_id].message_id]

        monkeypatch.setitem(app.config, "MAIL_PASSWORD", "wrong-pass")
        [refused] = queue_rows(app, 1)
        assert batch(app).retried == 1
        row = rows_by_id(app)[refused]
        assert row.status == OutboxStatus.QUEUED and row.last_error.startswith("535")
        assert "wrong-pass" not in row.last_error


def test_implicit_tls(app, monkeypatch, certificate):
    context = server_context(certificate)
    with running_smtp_server(ssl_context=context) as smtp:
        point_mail_at(app, monkeypatch, smtp.port, MAIL_SECURITY="tls")
        queue_rows(app, 1)
        assert batch(app).sent == 1 and len(smtp.received) == 1


def test_an_untrusted_certificate_is_refused(app, monkeypatch, certificate):
    monkeypatch.delenv("SSL_CERT_FILE")
    with running_smtp_server(ssl_context=server_context(certificate)) as smtp:
        point_mail_at(app, monkeypatch, smtp.port, MAIL_SECURITY="tls")
        [mail_id] = queue_rows(app, 1)
        assert batch(app).retried == 1
        assert smtp.received == []
        assert "CERTIFICATE_VERIFY_FAILED" in rows_by_id(app)[mail_id].last_error


# --- the pure parts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (8, 60), (50, 60)],
)
def test_backoff_doubles_up_to_an_hour(attempts, minutes):
    assert mail_sender.backoff(attempts) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Plain subject", "Plain subject"),
        ("A\r\nBcc: x@y", "A Bcc: x@y"),
        ("A\nB\rC", "A B C"),
        ("Tab\there\x00nul", "Tab here nul"),
        ("Line\u2028sep\x85next", "Line sep next"),
        ("Žluťoučký kůň", "Žluťoučký kůň"),
    ],
)
def test_one_line_neutralises_line_breaks_and_controls(raw, clean):
    assert mail_sender.one_line(raw) == clean


@pytest.mark.parametrize(
    ("earlier", "in_reply_to", "parent", "references"),
    [
        ([], None, None, []),
        ([], "<in@x>", "<in@x>", ["<in@x>"]),
        (["<a@x>"], None, "<a@x>", ["<a@x>"]),
        (["<a@x>", "<b@x>"], "<a@x>", "<a@x>", ["<a@x>", "<b@x>"]),
        (["<a@x>", "<b@x>"], "<c@x>", "<c@x>", ["<a@x>", "<b@x>", "<c@x>"]),
        (
            [f"<{n}@x>" for n in range(15)],
            None,
            "<14@x>",
            ["<0@x>"] + [f"<{n}@x>" for n in range(6, 15)],
        ),
    ],
)
def test_thread_headers_keep_the_root_and_the_latest(earlier, in_reply_to, parent, references):
    assert mail_sender.thread_headers(earlier, in_reply_to) == (parent, references)


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (452, b"mailbox full")}), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPDataError(451, b"local error"), False),
        (smtplib.SMTPSenderRefused(553, b"not our domain", "s@x"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (mail_sender.PermanentFailure("bad"), True),
    ],
)
def test_only_refusals_of_this_mail_are_permanent(error, permanent):
    assert mail_sender.is_permanent(error) is permanent


def test_describe_never_repeats_the_password():
    error = smtplib.SMTPAuthenticationError(535, b"bad credentials for hunter2")
    assert mail_sender.describe(error, "hunter2") == "535 bad credentials for ***"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MAIL_SECURITY": "ssl"}, "HELPDESK_MAIL_SECURITY"),
        ({"MAIL_FROM": "Helpdesk"}, "HELPDESK_MAIL_FROM"),
    ],
)
def test_bad_mail_settings_are_named(app, overrides, message):
    with pytest.raises(ValueError, match=message):
        MailSettings.from_config({**app.config, **overrides})


def test_the_password_stays_out_of_the_settings_repr(app):
    settings = MailSettings.from_config({**app.config, "MAIL_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(settings)
