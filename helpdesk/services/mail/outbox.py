"""Queue e-mail in the outbox, inside the caller's transaction (the sender delivers it later)."""

from __future__ import annotations

import secrets
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template

from helpdesk import i18n
from helpdesk.extensions import db
from helpdesk.models import Case, OutboxMail, User
from helpdesk.services.cases import feedback


def _message_domain() -> str:
    _, address = parseaddr(current_app.config["MAIL_FROM"])
    return address.rpartition("@")[2] or "helpdesk.invalid"


def new_message_id() -> str:
    """A unique Message-ID. Not email.utils.make_msgid: it draws on the `random` module, which
    a seeded test (hypothesis) or a copied process state can repeat within the same 10 ms."""
    return f"<{secrets.token_hex(16)}@{_message_domain()}>"


def case_subject(case: Case, subject: str) -> str:
    """Put the case number where mail clients and our inbound parser look for it."""
    return f"[#{case.number}] {subject}"


def queue_mail(
    *,
    to_address: str,
    subject: str,
    template: str,
    to_name: str = "",
    case: Case | None = None,
    user: User | None = None,
    organisation_id: int | None = None,
    template_key: str | None = None,
    in_reply_to: str | None = None,
    **context: Any,
) -> OutboxMail:
    """Render `templates/mail/<template>.txt` and add the mail to the session; no commit.

    `in_reply_to` is the Message-ID this mail answers (say, a customer's e-mail); without it the
    sender threads a case mail under the case's earlier outbound mail.
    """
    # Times in mail are in the recipient's own zone (else the business zone), named.
    with i18n.shown_in(user.time_zone if user is not None else None):
        body = render_template(f"mail/{template}.txt", case=case, user=user, **context)
    if organisation_id is None:
        organisation_id = case.organisation_id if case is not None else None
        if organisation_id is None and user is not None:
            organisation_id = user.organisation_id
    mail = OutboxMail(
        to_address=to_address,
        to_name=to_name,
        subject=case_subject(case, subject) if case is not None else subject,
        body_text=body,
        template_key=template_key or template,
        organisation_id=organisation_id,
        user_id=user.id if user is not None else None,
        case_id=case.id if case is not None else None,
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
    )
    db.session.add(mail)
    if feedback.asks(template, case):  # answers on a case end with "Did this solve it?"
        feedback.ask(
            mail,
            case,
            template=template,
            agent=context.get("agent"),
            message=context.get("message"),
        )
    return mail
