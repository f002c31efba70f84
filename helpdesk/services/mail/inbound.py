"""Inbound e-mail: keep every message raw, then make it a reply, a new case or an answer.

Issue 7 items 3-4; seed 003 ("all support arrives via and will be documented" in the tracker,
linked to the client's address) and seed 000 (a customer must log in to open a support
case, so strangers get "How to open a support case"). The raw message is committed before
anything else, so nothing received is ever lost: what cannot be handled is quarantined for
an administrator, who can retry or discard it. Automatic mail is never answered.

If the process dies between the two commits the row stays "received". The MTA's redelivery
of the same Message-ID then resumes that row, and `sweep_stuck_mail` (run by `fetch-mail`,
`sweep-mail` and the periodic worker) resumes rows left that way for a few minutes. Routing
first claims its row with a conditional UPDATE in the routing transaction, so two processes
never both route one message: the second waits on the row lock, then finds it done.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from helpdesk import i18n
from helpdesk.extensions import db
from helpdesk.markup import render_markup
from helpdesk.models import (
    ActivityKind,
    Case,
    CaseLink,
    CaseStatus,
    Category,
    Contact,
    InboundMail,
    InboundStatus,
    LinkKind,
    Message,
    MessageKind,
    Origin,
    OutboxMail,
    User,
    utcnow,
)
from helpdesk.rules.inbound import ParsedMail, ParseError, parse, reply_text
from helpdesk.rules.mail_auth import SenderCheck, check_sender, trusted_ids
from helpdesk.rules.subjects import clean_subject
from helpdesk.rules.uploads import HEAD_BYTES, upload_problem
from helpdesk.services import ServiceError
from helpdesk.services.cases import attachments, cases, cc, merge
from helpdesk.services.cases.attachments import AttachmentPolicy, Upload, store_uploads
from helpdesk.services.cases.casework import committed, log_activity, touch
from helpdesk.services.core import audit, settings
from helpdesk.services.core.counters import next_number
from helpdesk.services.mail import outbox
from helpdesk.services.tracker import queue_health, sla
from helpdesk.services.webhooks import events as webhook_events

HOW_TO_TEMPLATE = "how_to_open_case"  # the answer to a stranger's e-mail
HOW_TO_SUBJECT = "How to open a support case"
HOW_TO_KEY = "faq-open-case"  # what strangers' answers were keyed as before (the daily limit)
HOW_TO_EVERY = timedelta(days=1)  # at most one per sender and day: no mail loops
ADDRESS_MAX = 254
ID_MAX = 998
NO_SUBJECT = "(no subject)"
NO_TEXT = "(The e-mail had no text.)"
# store_uploads reads only `.id`; mail from a contact without a login has no uploader.
NO_LOGIN = SimpleNamespace(id=None)


@dataclass(frozen=True)
class Sender:
    """Who wrote, as far as our accounts know them."""

    address: str
    name: str
    user: User | None
    organisation_ids: tuple[int, ...]
    staff: bool = False

    @property
    def known(self) -> bool:
        return bool(self.organisation_ids)


# --- receiving ------------------------------------------------------------------------------


def ingest(raw: bytes, *, policy: AttachmentPolicy | None = None) -> InboundMail:
    """Store one received message (commit), then route it (commit); returns its row.

    Raises only when the raw message itself could not be stored: the caller must then keep
    its copy (an MTA defers, the IMAP fetcher leaves it on the server).
    """
    policy = policy or attachments.current_policy()
    try:
        parsed = parse(raw)
    except ParseError as error:
        mail = InboundMail(
            raw=raw,
            from_address=_loose_header(raw, "from"),
            subject=_loose_header(raw, "subject"),
            status=InboundStatus.QUARANTINED,
            error=str(error),
        )
        db.session.add(mail)
        db.session.commit()
        return mail
    mail = _store(raw, parsed)
    if mail.status != InboundStatus.RECEIVED:
        return mail
    return _process(mail, parsed, policy)


def _loose_header(raw: bytes, name: str) -> str | None:
    """A header's raw text for the quarantine list, from a message we could not parse."""
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    for line in head.splitlines():
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name.encode():
            text = value.decode("utf-8", "replace").replace("\x00", "").strip()
            return text[: ADDRESS_MAX if name == "from" else ID_MAX] or None
    return None


def _store(raw: bytes, parsed: ParsedMail) -> InboundMail:
    """Commit the raw row; a second copy of a known Message-ID is stored as ignored, unless
    the first copy was never routed: then that row is returned to be routed now."""
    message_id = _storable_id(parsed)
    original = _original_of(message_id)
    if original is None:
        mail = _row(raw, parsed, message_id=message_id)
        db.session.add(mail)
        try:
            db.session.commit()
            return mail
        except IntegrityError:  # the same message, stored by a concurrent delivery
            db.session.rollback()
            original = _original_of(message_id)
    unfinished = db.session.get(InboundMail, original) if original is not None else None
    if unfinished is not None and unfinished.status == InboundStatus.RECEIVED:
        return unfinished  # a redelivery after a crash: resume, do not store it twice
    mail = _row(raw, parsed, message_id=None)
    db.session.add(_as_duplicate(mail, original))
    db.session.commit()
    return mail


def _storable_id(parsed: ParsedMail) -> str | None:
    message_id = parsed.message_id
    return message_id if message_id and len(message_id) <= ID_MAX else None


def _as_duplicate(mail: InboundMail, original: int | None) -> InboundMail:
    mail.status = InboundStatus.IGNORED
    mail.error = f"Duplicate of inbound mail {original} (same Message-ID): nothing was added."
    return mail


def _original_of(message_id: str | None) -> int | None:
    if message_id is None:
        return None
    return db.session.scalar(sa.select(InboundMail.id).where(InboundMail.message_id == message_id))


def _row(raw: bytes, parsed: ParsedMail, *, message_id: str | None) -> InboundMail:
    return InboundMail(
        raw=raw,
        message_id=message_id,
        from_address=parsed.from_address[:ADDRESS_MAX],
        subject=_clean(parsed.subject)[:ID_MAX],
        status=InboundStatus.RECEIVED,
    )


def _clean(text: str) -> str:
    return text.replace("\x00", "")


class _NotClaimed(Exception):
    """Another process routed the row, or is routing it now."""


def _process(mail: InboundMail, parsed: ParsedMail, policy: AttachmentPolicy) -> InboundMail:
    """Route a stored message; any failure quarantines it with the reason (raw kept)."""
    mail_id = mail.id
    try:
        new_case = committed(lambda files: _claimed_route(mail, parsed, policy, files))
    except _NotClaimed:
        return _fresh(mail_id)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the message must be kept
        if isinstance(exc, ServiceError):  # a known limit, said in words for the admin
            return _quarantine(mail_id, exc.message)
        current_app.logger.exception("inbound mail %s quarantined", mail_id)
        return _quarantine(mail_id, f"{type(exc).__name__}: {exc}")
    if new_case is not None:
        _notify_director(new_case)
    return mail


def _claimed_route(
    mail: InboundMail, parsed: ParsedMail, policy: AttachmentPolicy, files: list[Path]
) -> Case | None:
    """Claim the row first in this transaction, then route it; raises _NotClaimed."""
    try:
        claimed = _claim(mail.id)
    except OperationalError as error:  # SQLite: another writer held on past the lock timeout
        raise _NotClaimed from error
    if not claimed:
        raise _NotClaimed
    return _route(mail, parsed, policy, files)


def _claim(mail_id: int) -> bool:
    """Lock the row while it is still "received"; False once another process has routed it.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until this
    transaction ends; a second claimer waits, then sees the new status and matches nothing.
    """
    claim = (
        sa.update(InboundMail)
        .where(InboundMail.id == mail_id, InboundMail.status == InboundStatus.RECEIVED)
        .values(status=InboundStatus.RECEIVED)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(claim).rowcount == 1


def _fresh(mail_id: int) -> InboundMail:
    """The row as another process left it (our transaction has ended, so it is reloaded)."""
    return db.session.get(InboundMail, mail_id)


def _quarantine(mail_id: int, reason: str) -> InboundMail:
    """Set the row aside with the reason, unless another process routed it meanwhile."""
    db.session.execute(
        sa.update(InboundMail)
        .where(InboundMail.id == mail_id, InboundMail.status == InboundStatus.RECEIVED)
        .values(status=InboundStatus.QUARANTINED, error=reason[:2000], case_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return _fresh(mail_id)


def _notify_director(case: Case) -> None:
    # Seed 001 queue alerts, as for a web case; a failure here must not undo the case.
    try:
        queue_health.notify_director(case.created_at)
    except Exception:  # noqa: BLE001
        db.session.rollback()
        current_app.logger.exception("queue alert after inbound case %s failed", case.number)


# --- routing --------------------------------------------------------------------------------


def _route(
    mail: InboundMail, parsed: ParsedMail, policy: AttachmentPolicy, files: list[Path]
) -> Case | None:
    """Decide what the message is and write it; the caller commits. Returns a new case."""
    if parsed.is_auto:
        return _ignore(mail, f"Automatic mail ({parsed.auto_reason}): never answered.")
    check = sender_check(parsed)
    if check.failed:
        return _hold(
            mail,
            f"Sender check failed: {check.reason}. The From address is probably forged, so "
            "nothing was added to a case. Retry only after the mail server's check is fixed.",
        )
    if parsed.from_address == _our_address():
        return _ignore(mail, "Sent from our own address: never answered.")
    sender = find_sender(parsed)
    if sender.staff:
        return _ignore(mail, "Sent from a staff address: staff answer in the tracker.")
    if not sender.known:
        return _answer_stranger(mail, parsed, sender)
    case = thread_case(parsed, sender)
    if case is not None and not _reopenable(case):
        return _new_case(mail, parsed, sender, policy, files, follows=case)
    if case is not None:
        _reply(mail, parsed, sender, case, policy, files)
        return None
    return _new_case(mail, parsed, sender, policy, files)


def _ignore(mail: InboundMail, reason: str) -> None:
    mail.status = InboundStatus.IGNORED
    mail.error = reason
    return None


def _hold(mail: InboundMail, reason: str) -> None:
    """Keep the message in the quarantine, with the reason the administrator reads there."""
    mail.status = InboundStatus.QUARANTINED
    mail.error = reason
    mail.case_id = None
    return None


def sender_check(parsed: ParsedMail) -> SenderCheck:
    """What our own mail servers' Authentication-Results say about the sender."""
    trusted = trusted_ids(settings.setting("TRUSTED_AUTHSERV_IDS") or "")
    return check_sender(parsed.authentication_results, trusted)


def correspondents(case: Case) -> set[str]:
    """The addresses that speak for a case (lower case): its requester and correspondent,
    anyone we mailed about it, and senders whose replies on it were already accepted.

    Not every contact of the organisation: only they can thread a reply at all, so counting
    them all would check nothing, and a colleague's address is the likeliest to be misused.
    """
    requester = case.requester.email if case.requester is not None else None
    mailed = db.session.scalars(
        sa.select(OutboxMail.to_address).where(OutboxMail.case_id == case.id).distinct()
    )
    accepted = db.session.scalars(
        sa.select(sa.func.coalesce(Message.author_email, User.email))
        .outerjoin(User, Message.author_id == User.id)
        .where(
            Message.case_id == case.id,
            Message.from_customer.is_(True),
            Message.unverified_sender.is_(False),
        )
        .distinct()
    )
    found = {requester, case.correspondent_email, *mailed, *accepted, *cc.addresses(case)}
    return {address.lower() for address in found if address}


def _our_address() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1].lower()


def find_sender(parsed: ParsedMail) -> Sender:
    """The login and current contacts with this address, and their organisations.

    Seed 003 marks former employees; they no longer speak for the organisation.
    """
    address = parsed.from_address
    user = db.session.scalar(sa.select(User).where(User.email == address))  # stored lower-case
    if user is not None and user.is_staff:
        return Sender(address, parsed.from_name or user.name, user, (), staff=True)
    if user is not None and not user.active:
        user = None
    contacts = db.session.scalars(
        sa.select(Contact)
        .where(sa.func.lower(Contact.email) == address, Contact.former_employee.is_(False))
        .order_by(Contact.id)
    ).all()
    organisation_ids = [user.organisation_id] if user is not None else []
    organisation_ids += [
        c.organisation_id for c in contacts if c.organisation_id not in organisation_ids
    ]
    if user is None:
        linked = [c.user_id for c in contacts if c.user_id]
        candidate = db.session.get(User, linked[0]) if linked else None
        user = candidate if candidate is not None and candidate.active else None
    name = parsed.from_name or (user.name if user else contacts[0].name if contacts else "")
    return Sender(address, _clean(name)[:120], user, tuple(organisation_ids))


def thread_case(parsed: ParsedMail, sender: Sender) -> Case | None:
    """The sender's case this message answers (the surviving one, when it was merged)."""
    case = _answered_case(parsed, sender)
    return merge.surviving(case) if case is not None else None


def _answered_case(parsed: ParsedMail, sender: Sender) -> Case | None:
    """By its number in the subject, else by the In-Reply-To/References ids of our mails.
    Another organisation's case never matches."""
    if parsed.case_number is not None:
        case = db.session.scalar(sa.select(Case).where(Case.number == parsed.case_number))
        if case is not None and case.organisation_id in sender.organisation_ids:
            return case
    if not parsed.in_reply_to:
        return None
    ids = list(parsed.in_reply_to)
    found = dict(
        db.session.execute(
            sa.select(OutboxMail.message_id, OutboxMail.case_id).where(
                OutboxMail.message_id.in_(ids), OutboxMail.case_id.is_not(None)
            )
        ).all()
    )
    found.update(
        db.session.execute(
            sa.select(Message.email_message_id, Message.case_id).where(
                Message.email_message_id.in_(ids)
            )
        ).all()
    )
    for message_id in ids:
        case = db.session.get(Case, found[message_id]) if message_id in found else None
        if case is not None and case.organisation_id in sender.organisation_ids:
            return case
    return None


def _reopenable(case: Case) -> bool:
    """Open cases take replies; a closed one only within the portal's reopening period."""
    if case.status != CaseStatus.CLOSED:
        return True
    window = timedelta(days=settings.setting("REOPEN_DAYS"))
    return case.closed_at is not None and utcnow() - case.closed_at <= window


def _accepted_files(parsed: ParsedMail, policy: AttachmentPolicy) -> tuple[list[Upload], list[str]]:
    """The files the attachment policy accepts, and a note for each one it refuses."""
    accepted: list[Upload] = []
    notes: list[str] = []
    for attachment in parsed.attachments:
        problem = upload_problem(
            attachment.filename,
            len(attachment.data),
            policy.max_bytes,
            policy.extensions,
            head=attachment.data[:HEAD_BYTES],
        )
        if problem is None and len(accepted) >= policy.per_message:
            problem = f"{attachment.filename}: more than {policy.per_message} files in one e-mail."
        if problem:
            notes.append(problem)
        else:
            accepted.append(Upload(attachment.filename, attachment.data))
    return accepted, notes


def _text_with_notes(text: str, notes: Sequence[str], limit: int) -> str:
    text = _clean(text).strip() or NO_TEXT
    if notes:
        listed = "\n".join(f"- {note}" for note in notes)
        text += f"\n\n[Attachments not accepted, not stored:\n{listed}]"
    if len(text) > limit:
        text = text[: limit - 80].rstrip() + "\n\n[Cut here: the full e-mail is kept as received.]"
    return text


def _reply(
    mail: InboundMail,
    parsed: ParsedMail,
    sender: Sender,
    case: Case,
    policy: AttachmentPolicy,
    files: list[Path],
) -> None:
    """A customer message on the case, as a portal reply would add it (seed 002 Waiting);
    from an address that is not the case's, it is only held on the case for an agent."""
    uploads, notes = _accepted_files(parsed, policy)
    body = _text_with_notes(reply_text(parsed.body), notes, cases.BODY_MAX)
    now = utcnow()
    verified = sender.address in correspondents(case)
    message = Message(
        case_id=case.id,
        author_id=sender.user.id if sender.user else None,
        author_email=sender.address,
        kind=MessageKind.REPLY,
        from_customer=True,
        origin=Origin.EMAIL,
        body=body,
        body_html=render_markup(body),
        email_message_id=mail.message_id,
        created_at=now,
        unverified_sender=not verified,
    )
    db.session.add(message)
    db.session.flush()
    files += store_uploads(
        uploads, policy, case=case, message=message, uploader=sender.user or NO_LOGIN
    )
    if verified:
        _reply_takes_effect(case, message, sender, sender.user, "Customer replied by e-mail", now)
        # Only a correspondent's mail brings colleagues in: a held one adds no one.
        cc.from_mail(case, parsed.cc, ignore=[sender.address, _our_address()])
    else:
        log_activity(
            case,
            None,
            ActivityKind.MAIL,
            f"E-mail from {sender.address}, who is not a correspondent of this case: "
            "held as an unverified sender until an agent accepts it",
            now,
        )
    touch(case, now)
    _processed(mail, case)


def _reply_takes_effect(
    case: Case,
    message: Message,
    author: Any,
    actor: User | None,
    summary: str,
    now: datetime,
    *,
    tell_assignee: bool = True,
) -> bool:
    """What a customer's reply does to its case: back to the agent (seed 002 Waiting), a
    closed case reopened, and the assignee told. `author` has the `.name` mail shows.
    True when the status changed (and the timeline says so)."""
    changed = case.status in (CaseStatus.ANSWERED, CaseStatus.CLOSED)
    case.last_customer_reply_at = now
    sla.customer_wrote(case, now)
    if case.status in (CaseStatus.ANSWERED, CaseStatus.CLOSED):
        reopened = case.status == CaseStatus.CLOSED
        case.status = CaseStatus.WAITING
        case.awaiting_agent_since = now
        case.closed_at = case.closed_by_id = None
        outcome = "reopened" if reopened else "waiting for agent"
        log_activity(case, actor, ActivityKind.STATUS, f"{summary}: {outcome}", now)
    if tell_assignee:
        cases.mail_assignee_of_reply(case, message, author)
    return changed


def accept_sender(
    agent: User,
    case: Case,
    message_id: int,
    *,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> Message:
    """An agent vouches for a held e-mail: it becomes the customer's reply and takes effect
    as one would have on arrival; audited; commit."""
    now = now or utcnow()
    # One conditional update: two agents accepting at once apply the reply once.
    claimed = db.session.execute(
        sa.update(Message)
        .where(
            Message.id == message_id,
            Message.case_id == case.id,
            Message.unverified_sender.is_(True),
        )
        .values(unverified_sender=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise ServiceError("That e-mail is not waiting to be accepted (already accepted?).")
    message = db.session.get(Message, message_id)
    db.session.refresh(message)
    webhook_events.reply_accepted(db.session(), message)  # the UPDATE passed no flush
    address = message.author_email or (message.author.email if message.author else "")
    author = SimpleNamespace(name=message.author.name if message.author else address)
    summary = f"{agent.name} accepted the e-mail from {address} as the customer's reply"
    changed = _reply_takes_effect(
        case,
        message,
        author,
        agent,
        summary,
        now,
        tell_assignee=case.assignee_id != agent.id,  # who accepts it has read it
    )
    if not changed:
        log_activity(case, agent, ActivityKind.MAIL, summary, now)
    audit.record(
        "message.accept_sender",
        actor=agent,
        obj=message,
        organisation_id=case.organisation_id,
        ip_address=ip_address,
        case=case.number,
        sender=address,
    )
    touch(case, now)
    db.session.commit()
    return message


def _new_case(
    mail: InboundMail,
    parsed: ParsedMail,
    sender: Sender,
    policy: AttachmentPolicy,
    files: list[Path],
    follows: Case | None = None,
) -> Case:
    """Seed 003 e-mail support: a known contact's message opens a case, origin e-mail."""
    if len(sender.organisation_ids) > 1:
        raise ServiceError(
            f"{sender.address} is a contact of {len(sender.organisation_ids)} organisations; "
            "open the case by hand for the right one."
        )
    uploads, notes = _accepted_files(parsed, policy)
    body = parsed.body
    if follows is not None:
        body = f"Follow-up to case #{follows.number}, closed too long ago to reopen.\n\n{body}"
    body = _text_with_notes(body, notes, cases.BODY_MAX)
    subject = clean_subject(parsed.subject)[: cases.SUBJECT_MAX].rstrip() or NO_SUBJECT
    now = utcnow()
    case = Case(
        number=next_number("case"),
        subject=subject,
        body=body,
        body_html=render_markup(body),
        organisation_id=sender.organisation_ids[0],
        order_id=None,  # mail names no order; the agent finds it (seed 000 step II)
        requester_id=sender.user.id if sender.user else None,
        correspondent_email=sender.address,
        origin=Origin.EMAIL,
        category=Category.OTHER,  # the customer picked none; the agent classifies
        status=CaseStatus.NEW,
        created_at=now,
        updated_at=now,
        awaiting_agent_since=now,
    )
    db.session.add(case)
    db.session.flush()
    cases._triage(case, now)
    files += store_uploads(
        uploads, policy, case=case, message=None, uploader=sender.user or NO_LOGIN
    )
    log_activity(
        case, sender.user, ActivityKind.STATUS, f"Opened from an e-mail by {sender.address}", now
    )
    if follows is not None:
        db.session.add(CaseLink(case_id=case.id, linked_case_id=follows.id, kind=LinkKind.RELATED))
    cc.from_mail(case, parsed.cc, ignore=[sender.address, _our_address()])
    if sender.user is not None and not parsed.no_auto_reply:
        # Seed 003: every e-mail is acknowledged with the number to quote.
        cases._acknowledge(case, sender.user)
    _processed(mail, case)
    return case


def _processed(mail: InboundMail, case: Case | None) -> None:
    mail.status = InboundStatus.PROCESSED
    mail.case_id = case.id if case is not None else None
    mail.error = None


def _answer_stranger(mail: InboundMail, parsed: ParsedMail, sender: Sender) -> None:
    """Seed 000: customers must log in to open a case; tell the stranger how to register or
    log in and open one, at most once a day."""
    if parsed.no_auto_reply:
        return _ignore(mail, "Unknown sender who asked for no automatic answers.")
    since = utcnow() - HOW_TO_EVERY
    already = db.session.scalar(
        sa.select(OutboxMail.id)
        .where(
            # Strangers' mail has no organisation: the (organisation, created) index finds it.
            OutboxMail.organisation_id.is_(None),
            OutboxMail.to_address == sender.address,
            OutboxMail.template_key.in_((HOW_TO_TEMPLATE, HOW_TO_KEY)),
            OutboxMail.created_at >= since,
        )
        .limit(1)
    )
    if already is not None:
        return _ignore(mail, "Unknown sender, already sent “How to open a support case” today.")
    # Not the "How to open a support case" system e-mail: that is what agents send callers
    # with an active plan ("thank you for calling"). A stranger gets the e-mail answer.
    outbox.queue_mail(
        to_address=sender.address,
        to_name=sender.name,
        subject=HOW_TO_SUBJECT,
        template=HOW_TO_TEMPLATE,
        name=sender.name,
    )
    _processed(mail, None)
    return None


# --- the administrators' quarantine ---------------------------------------------------------


def retry(actor: User, mail_id: int, *, ip_address: str | None = None) -> InboundMail:
    """Run a stored message through routing again (after a fix or a new contact); audited."""
    mail = _locked(mail_id)
    if mail is None:
        raise ServiceError("That message no longer exists.")
    if mail.status == InboundStatus.PROCESSED:
        raise ServiceError("That message was already processed.")
    audit.record(
        "inbound_mail.retry", actor=actor, obj=mail, ip_address=ip_address, previous=mail.error
    )
    mail.status, mail.error = InboundStatus.RECEIVED, None
    db.session.commit()
    try:
        parsed = parse(mail.raw)
    except ParseError as error:
        return _quarantine(mail.id, str(error))
    if mail.message_id is None and _storable_id(parsed):
        original = _original_of(_storable_id(parsed))
        if original is not None:
            _as_duplicate(mail, original)
            db.session.commit()
            return mail
        mail.message_id = _storable_id(parsed)
        mail.from_address, mail.subject = parsed.from_address[:ADDRESS_MAX], parsed.subject[:ID_MAX]
        db.session.commit()
    return _process(mail, parsed, attachments.current_policy())


def discard(actor: User, mail_id: int, *, ip_address: str | None = None) -> InboundMail:
    """Set a quarantined message aside as ignored (the raw copy stays); audited."""
    mail = _locked(mail_id)
    if mail is None:
        raise ServiceError("That message no longer exists.")
    if mail.status not in (InboundStatus.QUARANTINED, InboundStatus.RECEIVED):
        raise ServiceError("Only a quarantined message can be discarded.")
    audit.record(
        "inbound_mail.discard", actor=actor, obj=mail, ip_address=ip_address, previous=mail.error
    )
    mail.status = InboundStatus.IGNORED
    mail.error = f"Discarded by {actor.name}. {mail.error or ''}".strip()[:2000]
    db.session.commit()
    return mail


def _locked(mail_id: int) -> InboundMail | None:
    """The row, read afresh under a row lock: if a process is routing it, wait for its end."""
    return db.session.get(InboundMail, mail_id, with_for_update=True, populate_existing=True)


# --- mail left unrouted by a crash ----------------------------------------------------------


def stuck_after() -> timedelta:
    """How long a row may stay "received" before the sweep takes it as abandoned."""
    return timedelta(minutes=current_app.config["INBOUND_STUCK_MINUTES"])


def is_stuck(mail: InboundMail, now: datetime) -> bool:
    """Received long ago and never routed: the process storing it died (or is hung)."""
    return mail.status == InboundStatus.RECEIVED and now - mail.created_at >= stuck_after()


def sweep_stuck_mail(
    now: datetime | None = None, *, limit: int = 100, policy: AttachmentPolicy | None = None
) -> list[InboundMail]:
    """Route the rows left "received" for longer than INBOUND_STUCK_MINUTES, oldest first.

    Safe beside live deliveries and other sweeps: each row is claimed before it is routed.
    """
    cutoff = (now or i18n.now()) - stuck_after()
    stuck_ids = db.session.scalars(
        sa.select(InboundMail.id)
        .where(InboundMail.status == InboundStatus.RECEIVED, InboundMail.created_at <= cutoff)
        .order_by(InboundMail.created_at, InboundMail.id)
        .limit(limit)
    ).all()
    db.session.commit()  # end the read; each row gets its own transaction
    policy = policy or attachments.current_policy()
    return [_resume(mail_id, policy) for mail_id in stuck_ids]


def _resume(mail_id: int, policy: AttachmentPolicy) -> InboundMail:
    mail = db.session.get(InboundMail, mail_id)
    try:
        parsed = parse(mail.raw)
    except ParseError as error:
        return _quarantine(mail_id, str(error))
    return _process(mail, parsed, policy)


# --- IMAP -----------------------------------------------------------------------------------


@dataclass
class FetchResult:
    """What one `fetch-mail` run did."""

    mails: list[InboundMail] = field(default_factory=list)
    deleted: int = 0
    error: str | None = None  # the run stopped here; the message stays on the server


def imap_client(config: dict[str, Any]) -> imaplib.IMAP4:
    """An unauthenticated connection to HELPDESK_IMAP_HOST, encrypted as configured."""
    host, port = config["IMAP_HOST"], config["IMAP_PORT"]
    security = config["IMAP_SECURITY"]
    if security == "tls":
        return imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=60)
    client = imaplib.IMAP4(host, port, timeout=60)
    if security == "starttls":
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def fetch_mail(
    config: dict[str, Any],
    *,
    connect: Callable[[dict[str, Any]], imaplib.IMAP4] | None = None,
    limit: int = 100,
) -> FetchResult:
    """Poll the mailbox by UID: ingest each message, and delete it only once it is stored."""
    mailbox = (connect or imap_client)(config)
    try:
        mailbox.login(config["IMAP_USERNAME"], config["IMAP_PASSWORD"])
        return _drain(mailbox, config["IMAP_FOLDER"], limit, attachments.current_policy())
    finally:
        try:
            mailbox.logout()
        except Exception:  # noqa: BLE001 - the work is done; a failed goodbye changes nothing
            current_app.logger.warning("IMAP logout failed", exc_info=True)


def _drain(
    mailbox: imaplib.IMAP4, folder: str, limit: int, policy: AttachmentPolicy
) -> FetchResult:
    result = FetchResult()
    status, _ = mailbox.select(folder)
    if status != "OK":
        result.error = f"Cannot open the folder {folder!r}."
        return result
    status, data = mailbox.uid("SEARCH", None, "UNDELETED")
    uids = (data[0] or b"").split()[:limit] if status == "OK" and data else []
    try:
        for uid in uids:
            raw = _fetch(mailbox, uid)
            if raw is None:
                continue  # gone meanwhile, or unreadable: left on the server
            try:
                result.mails.append(ingest(raw, policy=policy))
            except Exception as exc:  # noqa: BLE001 - not stored: keep the server's copy
                db.session.rollback()
                result.error = f"Message UID {uid.decode()} not stored: {type(exc).__name__}: {exc}"
                break
            # Committed above: only now may the server's copy go.
            mailbox.uid("STORE", uid, "+FLAGS", r"(\Deleted)")
            result.deleted += 1
    finally:
        if result.deleted:
            mailbox.expunge()
    return result


def _fetch(mailbox: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = mailbox.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK" or not data:
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None
