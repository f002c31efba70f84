"""Sent mail: every outbox row, queued or sent, readable in full (mail captured in development)."""

from __future__ import annotations

import re
from email.message import EmailMessage

import sqlalchemy as sa
from flask import abort, current_app
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import OutboxMail, Role
from helpdesk.services.mail.mail_sender import captures_mail, message_of
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import render_page_or_fragment
from helpdesk.web.paging import page_of

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}'\""  # sentence punctuation after a link is not part of it


def linked_text(text: str) -> Markup:
    """Plain text, escaped, with its web addresses made into links."""
    pieces, start = [], 0
    for match in URL.finditer(text):
        url = match.group().rstrip(TRAILING)
        pieces.append(escape(text[start : match.start()]))
        pieces.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url))
        start = match.start() + len(url)
    pieces.append(escape(text[start:]))
    return Markup("").join(pieces)


def _parts(message: EmailMessage) -> tuple[list[Markup], list[str], list[tuple[str, str, int]]]:
    """The text parts (linked), the HTML parts (raw, for a sandboxed frame), the attachments."""
    texts, htmls, attachments = [], [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            payload = part.get_payload(decode=True) or b""
            attachments.append((part.get_filename() or "", part.get_content_type(), len(payload)))
        elif part.get_content_type() == "text/html":
            htmls.append(part.get_content())
        elif part.get_content_type() == "text/plain":
            texts.append(linked_text(part.get_content()))
    return texts, htmls, attachments


@bp.route("/sent-mail")
@role_required(Role.ADMIN)
def sent_mail_list() -> ResponseReturnValue:
    """Every outbox mail, newest first, whatever its delivery status."""
    newest_first = sa.select(OutboxMail).order_by(
        OutboxMail.created_at.desc(), OutboxMail.id.desc()
    )
    page = page_of(newest_first)
    return render_page_or_fragment(
        "admin/sent_mail.html",
        "admin/_sent_mail_list.html",
        page=page,
        capturing=captures_mail(current_app.config),
    )


@bp.route("/sent-mail/<int:mail_id>")
@role_required(Role.ADMIN)
def sent_mail_view(mail_id: int) -> ResponseReturnValue:
    """One mail in full: its headers, text and HTML parts, and attachments."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    message = message_of(mail, current_app.config["MAIL_FROM"])
    texts, htmls, attachments = _parts(message)
    return render_page_or_fragment(
        "admin/sent_mail_message.html",
        "admin/_sent_mail_message.html",
        mail=mail,
        headers=list(message.items()),
        texts=texts,
        htmls=htmls,
        attachments=attachments,
    )
