"""Inbound mail routing: replies, new cases, strangers, robots, duplicates and the IMAP poll."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from helpdesk.extensions import db
from helpdesk.models import (
    Activity,
    Attachment,
    CannedResponse,
    Case,
    CaseLink,
    CaseStatus,
    Contact,
    InboundMail,
    InboundStatus,
    Message,
    Organisation,
    Origin,
    OutboxMail,
    Role,
    User,
    utcnow,
)
from helpdesk.services.cases import cases
from helpdesk.services.mail import inbound, outbox
from tests.conftest import as_user
from tests.factories import make_case, make_organisation, make_user

SUPPORT = "support@helpdesk.invalid"


@pytest.fixture
def people(app):
    """A customer login, a contact without a login, an agent; ids only."""
    with app.app_context():
        organisation = make_organisation(name="Oldtown Hardware")
        customer = make_user(Role.CUSTOMER, organisation=organisation, email="ann@oldtown.test")
        contact = Contact(
            organisation_id=organisation.id, name="Bob Till", email="Bob@Oldtown.test"
        )
        agent = make_user(Role.AGENT, email="agent@helpdesk.test", name="Agent Smith")
        admin = make_user(Role.ADMIN, email="admin@helpdesk.test")
        db.session.add(contact)
        db.session.commit()
        return {
            "organisation": organisation.id,
            "customer": customer.id,
            "agent": agent.id,
            "admin": admin.id,
        }


def make_mail(
    sender: str,
    subject: str = "Printer jams",
    body: str = "The printer jams on page two.",
    *,
    message_id: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SUPPORT
    mail["Subject"] = subject
    mail["Message-ID"] = message_id or make_msgid(domain="example.test")
    for name, value in headers:
        mail[name] = value
    mail.set_content(body)
    return mail.as_bytes()


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def outbox_to(address: str) -> list[OutboxMail]:
    return db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.to_address == address).order_by(OutboxMail.id)
    ).all()


# --- new cases ------------------------------------------------------------------------------


def test_a_known_customer_opens_an_email_case_and_is_acknowledged(app, people, policy):
    with app.app_context():
        mail = inbound.ingest(make_mail("Ann <ANN@oldtown.test>"), policy=policy)
        assert mail.status == InboundStatus.PROCESSED
        case = db.session.get(Case, mail.case_id)
        assert case.origin == Origin.EMAIL
        assert case.status == CaseStatus.NEW
        assert case.subject == "Printer jams"
        assert case.body == "The printer jams on page two."
        assert case.requester_id == people["customer"]
        assert case.organisation_id == people["organisation"]
        assert case.order_id is None
        [ack] = outbox_to("ann@oldtown.test")
        assert ack.subject == f"[#{case.number}] We received your case: Printer jams"


def test_a_contact_without_a_login_opens_a_case_in_their_organisation(app, people, policy):
    with app.app_context():
        mail = inbound.ingest(make_mail("bob@oldtown.test"), policy=policy)
        case = db.session.get(Case, mail.case_id)
        assert case.organisation_id == people["organisation"]
        assert case.requester_id is None
        assert case.correspondent_email == "bob@oldtown.test"
        assert case.origin == Origin.EMAIL


def test_a_former_employee_is_a_stranger(app, people, policy):
    with app.app_context():
        contact = db.session.scalar(sa.select(Contact))
        contact.former_employee = True
        db.session.commit()
        mail = inbound.ingest(make_mail("bob@oldtown.test"), policy=policy)
        assert mail.case_id is None and count(Case) == 0
        assert [m.template_key for m in outbox_to("bob@oldtown.test")] == [inbound.HOW_TO_TEMPLATE]


# --- replies --------------------------------------------------------------------------------


def answered_case(people, **overrides):
    """Ann's case, answered by the agent (Ann is its requester, so her replies count)."""
    organisation = db.session.get(Organisation, people["organisation"])
    case = make_case(
        organisation,
        **{
            "status": CaseStatus.ANSWERED,
            "assignee_id": people["agent"],
            "awaiting_agent_since": None,
            "last_agent_reply_at": utcnow(),
            "requester_id": people["customer"],
            **overrides,
        },
    )
    db.session.commit()
    return case


def test_a_reply_with_the_number_in_the_subject_moves_the_case_to_waiting(app, people, policy):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail(
            "ann@oldtown.test",
            f"Re: [#{case.number}] {case.subject}",
            "Still jams.\n\nOn Mon, Support <s@x> wrote:\n> Try a new cartridge.\n",
        )
        mail = inbound.ingest(raw, policy=policy)
        assert (mail.status, mail.case_id) == (InboundStatus.PROCESSED, case.id)
        db.session.refresh(case)
        assert case.status == CaseStatus.WAITING
        assert case.awaiting_agent_since is not None
        [message] = db.session.scalars(sa.select(Message).where(Message.case_id == case.id)).all()
        assert message.origin == Origin.EMAIL and message.from_customer
        assert message.body == "Still jams."  # the quoted answer is not repeated
        assert message.author_id == people["customer"]
        assert message.email_message_id == mail.message_id
        [notice] = outbox_to("agent@helpdesk.test")
        assert notice.template_key == "customer_replied"
        assert count(Case) == 1


def test_a_reply_found_by_in_reply_to_without_a_number(app, people, policy):
    with app.app_context():
        case = answered_case(people)
        sent = outbox.queue_mail(
            to_address="bob@oldtown.test", subject="Re: x", template="how_to_open_case", case=case
        )
        db.session.commit()
        raw = make_mail(
            "bob@oldtown.test",
            "Re: your answer",
            "Thanks, that did it.",
            headers=(("In-Reply-To", sent.message_id), ("References", sent.message_id)),
        )
        mail = inbound.ingest(raw, policy=policy)
        assert mail.case_id == case.id
        [message] = db.session.scalars(sa.select(Message).where(Message.case_id == case.id)).all()
        assert message.author_id is None and message.author_email == "bob@oldtown.test"
        assert "Thanks, that did it." in message.body_html


def test_another_organisations_case_number_is_not_attached(app, people, policy):
    with app.app_context():
        other = make_organisation(name="Someone Else")
        foreign = make_case(other)
        db.session.commit()
        mail = inbound.ingest(
            make_mail("ann@oldtown.test", f"[#{foreign.number}] let me in"), policy=policy
        )
        assert count(Message, Message.case_id == foreign.id) == 0
        new_case = db.session.get(Case, mail.case_id)
        assert new_case.id != foreign.id
        assert new_case.organisation_id == people["organisation"]


def test_a_reply_to_a_recently_closed_case_reopens_it(app, people, policy):
    with app.app_context():
        case = answered_case(people, closed_at=utcnow() - timedelta(days=1))
        case.status = CaseStatus.CLOSED
        db.session.commit()
        inbound.ingest(make_mail("ann@oldtown.test", f"[#{case.number}] again"), policy=policy)
        db.session.refresh(case)
        assert case.status == CaseStatus.WAITING and case.closed_at is None
        assert count(Case) == 1


def test_a_reply_to_a_long_closed_case_opens_a_linked_follow_up(app, people, policy):
    with app.app_context():
        case = answered_case(people, closed_at=utcnow() - timedelta(days=400))
        case.status = CaseStatus.CLOSED
        db.session.commit()
        mail = inbound.ingest(
            make_mail("ann@oldtown.test", f"[#{case.number}] again"), policy=policy
        )
        assert mail.case_id != case.id
        follow = db.session.get(Case, mail.case_id)
        assert f"Follow-up to case #{case.number}" in follow.body
        assert count(CaseLink, CaseLink.case_id == follow.id, CaseLink.linked_case_id == case.id)
        db.session.refresh(case)
        assert case.status == CaseStatus.CLOSED


# --- duplicates, robots, strangers ----------------------------------------------------------


def test_a_duplicate_message_creates_one_message(app, people, policy):
    with app.app_context():
        case = answered_case(people)
        raw = make_mail("ann@oldtown.test", f"[#{case.number}] more", message_id="<dup@x.test>")
        first = inbound.ingest(raw, policy=policy)
        second = inbound.ingest(raw, policy=policy)
        assert first.status == InboundStatus.PROCESSED
        assert second.status == InboundStatus.IGNORED and "Duplicate" in second.error
        assert second.raw == raw  # the copy is kept too
        assert count(Message, Message.case_id == case.id) == 1
        assert count(InboundMail) == 2


def test_a_stranger_gets_one_how_to_reply_per_day(app, people, policy):
    with app.app_context():
        first = inbound.ingest(make_mail("Eve <eve@nowhere.test>"), policy=policy)
        second = inbound.ingest(make_mail("eve@nowhere.test", "Hello??"), policy=policy)
        assert first.status == InboundStatus.PROCESSED and first.case_id is None
        assert second.status == InboundStatus.IGNORED
        [reply] = outbox_to("eve@nowhere.test")
        assert reply.subject == "How to open a support case"
        assert "opened from an account in the support portal" in reply.body_text
        assert count(Case) == 0


def test_a_stranger_gets_the_email_answer_not_the_phone_script(app, people, policy):
    """The "How to open a support case" system e-mail tells callers with an active plan
    "thank you for calling"; someone with no account who wrote gets how to register."""
    with app.app_context():
        db.session.add(
            CannedResponse(
                key="faq-open-case",
                title="FAQ-How to open a support case",
                subject="How to open a support case",
                body="Hello {customer_name},\nthank you for calling. Your support plan is active.",
            )
        )
        db.session.commit()
        inbound.ingest(make_mail("Eve <eve@nowhere.test>"), policy=policy)
        [reply] = outbox_to("eve@nowhere.test")
        text = " ".join(reply.body_text.split())
        assert reply.subject == "How to open a support case"
        assert text.startswith("Hello Eve, thank you for your e-mail.")
        assert "calling" not in text and "support plan is active" not in text
        assert "could not match your address to a customer account" in text
        assert "/auth/register" in text and "/auth/login" in text and "/auth/reset" in text
        assert "choose New case, pick the order" in text
        assert "{" not in text
        assert reply.template_key == "how_to_open_case"  # sent as an automatic answer


def test_the_daily_limit_counts_answers_sent_before_the_email_answer_existed(app, people, policy):
    with app.app_context():
        outbox.queue_mail(
            to_address="eve@nowhere.test",
            subject="How to open a support case",
            template="how_to_open_case",
            template_key="faq-open-case",
        )
        db.session.commit()
        mail = inbound.ingest(make_mail("eve@nowhere.test"), policy=policy)
        assert mail.status == InboundStatus.IGNORED
        assert len(outbox_to("eve@nowhere.test")) == 1


def test_an_auto_reply_to_our_how_to_mail_does_not_loop(app, people, policy):
    with app.app_context():
        inbound.ingest(make_mail("robot@nowhere.test"), policy=policy)
        [how_to] = outbox_to("robot@nowhere.test")
        how_to.created_at = utcnow() - timedelta(days=2)  # the daily limit is not what stops it
        db.session.commit()
        auto = make_mail(
            "robot@nowhere.test",
            f"Out of office: {how_to.subject}",
            headers=(("Auto-Submitted", "auto-replied"), ("In-Reply-To", how_to.message_id)),
        )
        mail = inbound.ingest(auto, policy=policy)
        assert mail.status == InboundStatus.IGNORED and "Auto-Submitted" in mail.error
        assert len(outbox_to("robot@nowhere.test")) == 1


def test_a_bounce_from_a_customer_address_is_ignored(app, people, policy):
    with app.app_context():
        raw = make_mail("ann@oldtown.test", "Undelivered", headers=(("Return-Path", "<>"),))
        mail = inbound.ingest(raw, policy=policy)
        assert mail.status == InboundStatus.IGNORED
        assert count(Case) == 0 and count(OutboxMail) == 0


def test_mail_from_staff_is_not_answered(app, people, policy):
    with app.app_context():
        mail = inbound.ingest(make_mail("agent@helpdesk.test"), policy=policy)
        assert mail.status == InboundStatus.IGNORED
        assert count(Case) == 0 and count(OutboxMail) == 0


# --- attachments and markup -----------------------------------------------------------------

RFC2231 = b"""From: ann@oldtown.test
Subject: Logs attached
Message-ID: <files@oldtown.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

See the files.
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''Rapport%20d%C3%A9taill%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="setup.exe"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA
--b--
""".replace(b"\n", b"\r\n")


def test_attachments_go_through_the_upload_policy(app, people, policy):
    with app.app_context():
        mail = inbound.ingest(RFC2231, policy=policy)
        case = db.session.get(Case, mail.case_id)
        [stored] = db.session.scalars(sa.select(Attachment)).all()
        assert stored.case_id == case.id
        assert stored.original_name == "Rapport d_taill_.pdf"  # display_name keeps ASCII only
        assert stored.content_type == "application/pdf"
        assert (policy.directory / stored.stored_name).read_bytes() == b"%PDF-1.4\n"
        assert "setup.exe: this type of file is not accepted" in case.body
        assert len(list(policy.directory.iterdir())) == 1  # the .exe was never written


RENAMED = b"""From: ann@oldtown.test
Subject: Screenshot
Message-ID: <renamed@oldtown.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

The screenshot is attached.
--b
Content-Type: image/png
Content-Disposition: attachment; filename="screen.png"
Content-Transfer-Encoding: base64

TVqQAAMAAAAEAAAA
--b--
""".replace(b"\n", b"\r\n")


def test_an_attachment_whose_content_is_not_its_type_is_noted_not_stored(app, people, policy):
    with app.app_context():
        mail = inbound.ingest(RENAMED, policy=policy)
        case = db.session.get(Case, mail.case_id)
        assert "The screenshot is attached." in case.body
        assert "screen.png: the content is not a .png file (it looks like a .exe file)" in case.body
        assert count(Attachment) == 0
        assert not policy.directory.exists() or not list(policy.directory.iterdir())


HTML_ONLY = b"""From: ann@oldtown.test
Subject: Look at this
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><script>alert('owned')</script></head>
<body><p>Click <a href="javascript:alert(2)">here</a></p>
<img src=x onerror="alert(3)"><p>&lt;script&gt;alert(4)&lt;/script&gt;</p></body></html>
""".replace(b"\n", b"\r\n")


def test_an_html_only_mail_reaches_the_case_page_without_script(app, client, people, policy):
    with app.app_context():
        number = db.session.get(Case, inbound.ingest(HTML_ONLY, policy=policy).case_id).number
    page = as_user(app, client, people["agent"]).get(f"/tracker/cases/{number}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Click" in html
    assert "alert(" not in html.replace("&lt;script&gt;alert(4)&lt;/script&gt;", "")
    assert "<script>alert" not in html and "javascript:" not in html and "onerror" not in html


# --- failures are kept ----------------------------------------------------------------------


def test_unparseable_mail_is_quarantined_raw(app, policy):
    with app.app_context():
        raw = b"\x00\xff garbage that is no e-mail \x81"
        mail = inbound.ingest(raw, policy=policy)
        assert mail.status == InboundStatus.QUARANTINED
        assert mail.error == "The message has no headers."
        assert db.session.get(InboundMail, mail.id).raw == raw


def test_a_processing_error_quarantines_and_keeps_nothing_half_done(
    app, people, policy, monkeypatch
):
    def broken(case, now):
        raise RuntimeError("routing table missing")

    monkeypatch.setattr(cases, "_triage", broken)
    with app.app_context():
        raw = make_mail("ann@oldtown.test")
        mail = inbound.ingest(raw, policy=policy)
        assert mail.status == InboundStatus.QUARANTINED
        assert "routing table missing" in mail.error
        assert mail.raw == raw
        assert count(Case) == 0 and count(OutboxMail) == 0 and count(Activity) == 0
        monkeypatch.undo()
        retried = inbound.retry(db.session.get(User, people["admin"]), mail.id)
        assert retried.status == InboundStatus.PROCESSED and retried.case_id is not None


# --- IMAP -----------------------------------------------------------------------------------


class FakeIMAP:
    """The imaplib calls fetch-mail makes, over an in-memory mailbox."""

    def __init__(self, messages: dict[int, bytes]):
        self.messages = dict(messages)
        self.deleted: set[int] = set()
        self.calls: list[str] = []

    def login(self, user, password):
        self.calls.append(f"login {user}")
        return "OK", [b"Logged in"]

    def select(self, folder):
        self.calls.append(f"select {folder}")
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        command = command.upper()
        if command == "SEARCH":
            live = sorted(u for u in self.messages if u not in self.deleted)
            return "OK", [b" ".join(str(u).encode() for u in live)]
        if command == "FETCH":
            uid = int(args[0])
            if uid not in self.messages:
                return "OK", [None]
            raw = self.messages[uid]
            return "OK", [(f"{uid} (UID {uid} BODY[] {{{len(raw)}}}".encode(), raw), b")"]
        if command == "STORE":
            assert args[1] == "+FLAGS" and "\\Deleted" in args[2]
            self.deleted.add(int(args[0]))
            return "OK", [b""]
        raise AssertionError(command)

    def expunge(self):
        self.calls.append("expunge")
        for uid in self.deleted:
            self.messages.pop(uid, None)
        self.deleted.clear()
        return "OK", [b""]

    def logout(self):
        self.calls.append("logout")
        return "BYE", [b""]


def test_fetch_ingests_each_message_then_deletes_it(app, people):
    box = FakeIMAP({7: make_mail("ann@oldtown.test"), 9: make_mail("eve@nowhere.test")})
    with app.app_context():
        result = inbound.fetch_mail(app.config, connect=lambda config: box)
        assert result.error is None and result.deleted == 2
        assert [m.status for m in result.mails] == [InboundStatus.PROCESSED] * 2
        assert count(InboundMail) == 2
    assert box.messages == {}
    assert box.calls[0].startswith("login") and box.calls[-1] == "logout"


def test_a_message_that_was_not_stored_stays_on_the_server(app, people, monkeypatch):
    good, bad, later = (make_mail("ann@oldtown.test", f"Mail {n}") for n in (1, 2, 3))
    box = FakeIMAP({1: good, 2: bad, 3: later})
    real_store = inbound._store

    def store_fails_for_bad(raw, parsed):
        if raw == bad:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real_store(raw, parsed)

    monkeypatch.setattr(inbound, "_store", store_fails_for_bad)
    with app.app_context():
        result = inbound.fetch_mail(app.config, connect=lambda config: box)
        assert "UID 2 not stored" in result.error
        assert result.deleted == 1
        assert count(InboundMail) == 1
    assert set(box.messages) == {2, 3}  # the failed one and everything after it are kept


def test_a_second_fetch_of_a_kept_message_adds_nothing(app, people):
    raw = make_mail("ann@oldtown.test", message_id="<again@oldtown.test>")
    with app.app_context():
        inbound.ingest(raw)
        result = inbound.fetch_mail(app.config, connect=lambda config: FakeIMAP({1: raw}))
        assert [m.status for m in result.mails] == [InboundStatus.IGNORED]
        assert count(Case) == 1
