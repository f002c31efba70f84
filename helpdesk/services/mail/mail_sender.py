"""Deliver the outbox over SMTP: claim due rows, send each one, mark it sent in its own commit.

Delivery is at-least-once, with a window of one message. A row is claimed (status "sending",
`claimed_at`) in a short transaction of its own, then sent, then marked sent in its own commit
right after the server accepted it. A sender killed between messages leaves its unsent claims in
"sending"; once their lease (`LEASE`, or HELPDESK_MAIL_LEASE_SECONDS) runs out the next batch
claims them again, so nothing is lost and nothing marked sent is sent again. The one duplicate
risk is a sender dying after the server accepted a message and before that message's mark
commits: that single message goes out again after the lease. Each claim is renewed right before
its message goes out, so the lease (minutes, far above `MAIL_TIMEOUT`) only has to outlast one
SMTP conversation, whatever the batch size; a claim another sender took over meanwhile is
skipped, not sent a second time.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, OutboxStatus, utcnow

LEASE = timedelta(minutes=10)  # a claim older than this belongs to a dead sender (the default)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
REFERENCES_KEPT = 10  # RFC 5322 lets long threads trim References; we keep the root and recent
ERROR_MAX = 500
SECURITY_MODES = ("none", "starttls", "tls")

# Mail the system writes on its own (RFC 3834): auto-responders must not answer it, which would
# loop with our own acknowledgements. Agents' answers and canned replies they send are not.
AUTO_GENERATED = frozenset(
    {
        "case_opened",
        "customer_replied",
        "notification",
        "attached_to_parent",
        "password_changed",
        "password_reset",
        "queue_alert",
        "refund_issued",
        "account_opened",
        "registration_confirm",
        "registration_attempt",
        "order_placed",
    }
)
AUTO_REPLIED = frozenset({"how_to_open_case"})  # answers to received mail, sent without a person


@dataclass(frozen=True)
class MailSettings:
    """Where and how to deliver, read from the app config (HELPDESK_MAIL_*)."""

    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)  # never in a log line or an error message
    sender: str  # the From header, e.g. "Helpdesk <support@example.com>"
    timeout: float
    max_attempts: int
    batch_size: int
    capture: bool = False  # keep the mail in the outbox, readable in the app, instead of sending
    lease: timedelta = LEASE  # HELPDESK_MAIL_LEASE_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """Read and check the mail settings; ValueError names the bad one."""
        security = str(config["MAIL_SECURITY"]).lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"HELPDESK_MAIL_SECURITY must be one of {', '.join(SECURITY_MODES)}")
        if "@" not in parseaddr(config["MAIL_FROM"])[1]:
            raise ValueError("HELPDESK_MAIL_FROM needs an address")
        return cls(
            host=config["MAIL_HOST"] or "localhost",
            port=int(config["MAIL_PORT"]),
            security=security,
            username=config["MAIL_USERNAME"] or "",
            password=config["MAIL_PASSWORD"] or "",
            sender=config["MAIL_FROM"],
            timeout=float(config["MAIL_TIMEOUT"]),
            max_attempts=max(1, int(config["MAIL_MAX_ATTEMPTS"])),
            batch_size=max(1, int(config["MAIL_BATCH_SIZE"])),
            capture=captures_mail(config),
            lease=timedelta(seconds=float(config.get("MAIL_LEASE_SECONDS") or LEASE.seconds)),
        )

    @property
    def envelope_from(self) -> str:
        return parseaddr(self.sender)[1]


@dataclass
class BatchResult:
    """What one batch did: rows claimed, sent, put back for a retry, given up."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: BatchResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed


class PermanentFailure(Exception):
    """Sending this row again cannot succeed (refused recipient, unbuildable message)."""


def captures_mail(config: Mapping[str, Any]) -> bool:
    """Development without an SMTP host: mail is kept for reading in the app, never sent."""
    return not config["MAIL_HOST"] and config["HELPDESK_ENV"] != "production"


# --- pure helpers -------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: 1, 2, 4 ... minutes, at most 1 hour."""
    doublings = min(max(attempts - 1, 0), 6)  # 2**6 minutes is past the cap already
    return min(FIRST_RETRY * 2**doublings, LAST_RETRY)


def one_line(text: str) -> str:
    """A header value with line breaks and control characters turned into spaces.

    A display name or subject containing CR/LF must never start a new header (Bcc: injection);
    the e-mail package refuses such values, and a refused customer name would lose their mail.
    """
    joined = " ".join(text.splitlines())
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in joined).strip()


def thread_headers(earlier: list[str], in_reply_to: str | None) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a mail after `earlier` Message-IDs of its thread.

    The thread's root stays first (mail clients anchor the thread on it), then the most recent.
    """
    parent = in_reply_to or (earlier[-1] if earlier else None)
    chain = list(earlier)
    if in_reply_to and in_reply_to not in chain:
        chain.append(in_reply_to)
    if len(chain) > REFERENCES_KEPT:
        chain = chain[:1] + chain[-(REFERENCES_KEPT - 1) :]
    return parent, chain


def is_permanent(error: Exception) -> bool:
    """A 5xx refusal of the recipient or of the message itself; all else is worth a retry.

    A refused sender (5xx to MAIL FROM) is our configuration, not this mail: retried, so the
    outbox drains once the setting is fixed.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, smtplib.SMTPNotSupportedError | PermanentFailure)


def describe(error: Exception, password: str = "") -> str:
    """A short error text for `last_error`, with the SMTP password taken out should it appear."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(f"{code} {_text(reply)}" for code, reply in error.recipients.values())
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_text(error.smtp_error)}"
    elif isinstance(error, PermanentFailure):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    if password:
        text = text.replace(password, "***")
    return text[:ERROR_MAX]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def build_message(
    mail: OutboxMail,
    sender: str,
    *,
    thread: tuple[str | None, list[str]],
    now: datetime,
) -> EmailMessage:
    """The RFC 5322 message for an outbox row; ValueError when a header cannot be made safe."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    # Address() refuses an address with line breaks or a second address hidden in it.
    message["To"] = Address(display_name=one_line(mail.to_name or ""), addr_spec=mail.to_address)
    message["Subject"] = one_line(mail.subject)
    message["Date"] = format_datetime(now.replace(tzinfo=UTC))  # `now` is naive UTC
    message["Message-ID"] = mail.message_id
    parent, references = thread
    if parent:  # ids may come from received mail: no line break of theirs starts a header
        message["In-Reply-To"] = one_line(parent)
        message["References"] = " ".join(one_line(ref) for ref in references)
    if mail.template_key in AUTO_GENERATED:
        message["Auto-Submitted"] = "auto-generated"
    elif mail.template_key in AUTO_REPLIED:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(mail.body_text)
    return message


# --- the SMTP connection ------------------------------------------------------------------------


class SmtpConnection:
    """One SMTP session for a batch, opened on first use and reopened after a disconnection."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None
        # Set when connecting failed: the rest of the batch fails alike at once instead of
        # waiting out the timeout once per message while the server is down.
        self.unreachable: Exception | None = None

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Hand `message` to the server for `recipient`; raises what smtplib raises."""
        self._ready().send_message(
            message, from_addr=self.settings.envelope_from, to_addrs=[recipient]
        )

    def _ready(self) -> smtplib.SMTP:
        if self.client is not None:
            try:
                self.client.noop()  # an idle server may have hung up since the last message
            except (smtplib.SMTPException, OSError):
                self.close()
        if self.client is None:
            if self.unreachable is not None:
                raise self.unreachable
            try:
                self.client = self._connect()
            except (smtplib.SMTPException, OSError) as error:
                self.unreachable = error
                raise
        return self.client

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()  # verifies the server's certificate and name
        if s.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                client.starttls(context=context)
            if s.username:
                client.login(s.username, s.password)
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        """Say goodbye if the server still listens; never raises."""
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()
        self.client = None


class CapturingConnection:
    """Stands in for SMTP in capture mode: the row is marked sent and its mail stays readable."""

    def send(self, message: EmailMessage, recipient: str) -> None:
        """Accept the message without sending it anywhere."""

    def close(self) -> None:
        """Nothing to close."""


# --- claiming and marking -----------------------------------------------------------------------


def _due(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(OutboxMail.status == OutboxStatus.QUEUED, OutboxMail.next_attempt_at <= now),
        sa.and_(OutboxMail.status == OutboxStatus.SENDING, OutboxMail.claimed_at < now - lease),
    )


def claim(now: datetime, limit: int, lease: timedelta = LEASE) -> list[int]:
    """Mark up to `limit` due rows as ours ("sending") and commit; their ids, oldest first.

    PostgreSQL: the candidates are locked FOR UPDATE SKIP LOCKED, so concurrent senders take
    different rows without waiting. SQLite has no row locks: the UPDATE repeats the due condition,
    and SQLite runs one writer at a time, so a row another sender claimed first is not due any
    more and is left out of RETURNING.
    """
    candidates = (
        sa.select(OutboxMail.id)
        .where(_due(now, lease))
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    try:
        ids = list(db.session.scalars(candidates))
        if not ids:
            db.session.rollback()
            return []
        claimed = set(
            db.session.scalars(
                sa.update(OutboxMail)
                .where(OutboxMail.id.in_(ids), _due(now, lease))
                .values(status=OutboxStatus.SENDING, claimed_at=now)
                .returning(OutboxMail.id)
                .execution_options(synchronize_session=False)
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return [mail_id for mail_id in ids if mail_id in claimed]


def release(ids: list[int]) -> None:
    """Hand claimed rows back untried (a stop was asked for), so no one waits for the lease."""
    if not ids:
        return
    db.session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(ids), OutboxMail.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.QUEUED, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _renew(mail_id: int, claimed_at: datetime, at: datetime) -> bool:
    """Extend our claim right before sending; False if it lapsed and another sender took over.

    The lease then runs from each message, not from the batch: a slow server cannot make a
    late message of a big batch look abandoned while we are still about to send it.
    """
    renewed = db.session.execute(
        sa.update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.status == OutboxStatus.SENDING,
            OutboxMail.claimed_at == claimed_at,
        )
        .values(claimed_at=at)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return renewed.rowcount == 1


def _mark_sent(mail: OutboxMail, at: datetime) -> None:
    mail.status = OutboxStatus.SENT
    mail.sent_at = at
    mail.attempts += 1
    mail.last_error = None
    db.session.commit()


def _mark_failed_attempt(
    mail: OutboxMail, error: Exception, settings: MailSettings, now: datetime
) -> OutboxStatus:
    """Count the attempt; queue the row again after a back-off, or give up on it."""
    mail.attempts += 1
    mail.last_error = describe(error, settings.password)
    mail.claimed_at = None
    if is_permanent(error) or mail.attempts >= settings.max_attempts:
        mail.status = OutboxStatus.FAILED
    else:
        mail.status = OutboxStatus.QUEUED
        mail.next_attempt_at = now + backoff(mail.attempts)
    db.session.commit()
    return mail.status


def _thread_of(mail: OutboxMail) -> tuple[str | None, list[str]]:
    """The case's earlier outbound Message-IDs: its first, then the most recent ones."""
    if mail.case_id is None:
        return thread_headers([], mail.in_reply_to)
    earlier = sa.select(OutboxMail.message_id).where(
        OutboxMail.case_id == mail.case_id, OutboxMail.id < mail.id
    )
    root = db.session.scalars(earlier.order_by(OutboxMail.id).limit(1)).all()
    recent = db.session.scalars(
        earlier.order_by(OutboxMail.id.desc()).limit(REFERENCES_KEPT - 1)
    ).all()
    ids = root + [message_id for message_id in reversed(recent) if message_id not in root]
    return thread_headers(ids, mail.in_reply_to)


def message_of(mail: OutboxMail, sender: str) -> EmailMessage:
    """The message as the sender builds it (dated when it was sent, else when queued)."""
    return build_message(mail, sender, thread=_thread_of(mail), now=mail.sent_at or mail.created_at)


# --- the batch ----------------------------------------------------------------------------------


def send_batch(
    settings: MailSettings | None = None,
    *,
    now: datetime | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> BatchResult:
    """Claim one batch of due mail and deliver it over one SMTP connection.

    `now` moves the batch's clock (tests); `should_stop` is asked between messages (SIGTERM):
    the rest of the batch is released.
    """
    settings = settings or MailSettings.from_config(current_app.config)
    offset = (now - utcnow()) if now is not None else timedelta(0)

    def clock() -> datetime:
        return utcnow() + offset

    claimed_at = clock()
    ids = claim(claimed_at, settings.batch_size, settings.lease)
    result = BatchResult(claimed=len(ids))
    connection = CapturingConnection() if settings.capture else SmtpConnection(settings)
    try:
        for position, mail_id in enumerate(ids):
            if should_stop():
                release(ids[position:])
                break
            outcome = _deliver(mail_id, claimed_at, connection, settings, clock)
            if outcome is OutboxStatus.SENT:
                result.sent += 1
            elif outcome is OutboxStatus.FAILED:
                result.failed += 1
            elif outcome is OutboxStatus.QUEUED:
                result.retried += 1
    finally:
        connection.close()
    return result


def _deliver(
    mail_id: int,
    claimed_at: datetime,
    connection: SmtpConnection | CapturingConnection,
    settings: MailSettings,
    clock: Callable[[], datetime],
) -> OutboxStatus | None:
    """Send one claimed row and record the outcome; None when the claim was lost meanwhile."""
    mail = db.session.get(OutboxMail, mail_id, populate_existing=True)
    try:
        message = build_message(mail, settings.sender, thread=_thread_of(mail), now=clock())
    except Exception as error:  # e.g. a line break in the address: no retry can fix it
        failure = PermanentFailure(f"Bad message: {error}")
        return _mark_failed_attempt(mail, failure, settings, clock())
    recipient = mail.to_address
    # Also ends the read: no transaction stays open while the SMTP server talks.
    if not _renew(mail_id, claimed_at, clock()):
        return None
    try:
        connection.send(message, recipient)
    except Exception as error:  # anything unexpected too: one bad row must not stall the queue
        if isinstance(error, smtplib.SMTPServerDisconnected):
            connection.close()
        return _mark_failed_attempt(mail, error, settings, clock())
    _mark_sent(mail, clock())
    return OutboxStatus.SENT
