"""The inbound mail quarantine (issue 7): what could not be routed, kept raw for admins."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from helpdesk import i18n
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import Case, InboundMail, InboundStatus, Role
from helpdesk.services import ServiceError
from helpdesk.services.mail import inbound
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request
from helpdesk.web.paging import page_of

PAGE = "admin/mail_quarantine.html"
FRAGMENT = "admin/_mail_quarantine.html"
# "received" rows are ones whose routing never finished (e.g. the process was killed).
SHOW = {
    "quarantined": (InboundStatus.QUARANTINED, InboundStatus.RECEIVED),
    "ignored": (InboundStatus.IGNORED,),
    "all": (InboundStatus.QUARANTINED, InboundStatus.RECEIVED, InboundStatus.IGNORED),
}


class MailActionForm(FlaskForm):
    """Only the CSRF token: retry and discard take no input."""


def _show() -> str:
    show = request.values.get("show", "quarantined")
    return show if show in SHOW else "quarantined"


def _render(show: str, *, notice: str | None = None, problem: str | None = None) -> Response:
    query = (
        sa.select(InboundMail)
        .where(InboundMail.status.in_(SHOW[show]))
        .order_by(InboundMail.created_at.desc(), InboundMail.id.desc())
    )
    page = page_of(query)
    case_ids = {mail.case_id for mail in page.items if mail.case_id}
    numbers = (
        dict(db.session.execute(sa.select(Case.id, Case.number).where(Case.id.in_(case_ids))).all())
        if case_ids
        else {}
    )
    now = i18n.now()
    stuck = {mail.id for mail in page.items if inbound.is_stuck(mail, now)}
    context = {
        "page": page,
        "show": show,
        "numbers": numbers,
        "stuck": stuck,
        "notice": notice,
        "problem": problem,
    }
    template = FRAGMENT if is_htmx_request() else PAGE
    response = make_response(render_template(template, **context))
    response.vary.add("HX-Request")
    return response


@bp.route("/mail-quarantine")
@role_required(Role.ADMIN)
def inbound_mail_list() -> ResponseReturnValue:
    """Inbound mail that was quarantined (or ignored), newest first."""
    return _render(_show())


def _mail_or_404(mail_id: int) -> InboundMail:
    mail = db.session.get(InboundMail, mail_id)
    if mail is None:
        abort(404)
    return mail


@bp.route("/mail-quarantine/<int:mail_id>/raw")
@role_required(Role.ADMIN)
def inbound_mail_raw(mail_id: int) -> ResponseReturnValue:
    """The message exactly as received, as a plain-text download (never rendered as HTML)."""
    mail = _mail_or_404(mail_id)
    response = make_response(mail.raw)
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="inbound-{mail.id}.txt"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _after(show: str, message: str, ok: bool) -> ResponseReturnValue:
    if is_htmx_request():
        return _render(show, notice=message) if ok else _render(show, problem=message)
    flash(message, "success" if ok else "error")
    return redirect(url_for("admin.inbound_mail_list", show=show))


def _outcome(mail: InboundMail) -> tuple[str, bool]:
    if mail.status == InboundStatus.PROCESSED:
        case = db.session.get(Case, mail.case_id) if mail.case_id else None
        where = f" on case #{case.number}" if case is not None else ""
        return f"Message {mail.id} processed{where}.", True
    return f"Message {mail.id} is {mail.status} again: {mail.error or 'no reason given'}", False


@bp.route("/mail-quarantine/<int:mail_id>/retry", methods=["POST"])
@role_required(Role.ADMIN)
def inbound_mail_retry(mail_id: int) -> ResponseReturnValue:
    """Route a stored message again (after a fix, or once its sender is a known contact)."""
    _mail_or_404(mail_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    try:
        mail = inbound.retry(current_user, mail_id, ip_address=request.remote_addr)
    except ServiceError as error:
        return _after(_show(), error.message, False)
    return _after(_show(), *_outcome(mail))


@bp.route("/mail-quarantine/<int:mail_id>/discard", methods=["POST"])
@role_required(Role.ADMIN)
def inbound_mail_discard(mail_id: int) -> ResponseReturnValue:
    """Set a quarantined message aside as ignored; its raw copy stays."""
    _mail_or_404(mail_id)
    if not MailActionForm().validate_on_submit():
        abort(400)
    try:
        mail = inbound.discard(current_user, mail_id, ip_address=request.remote_addr)
    except ServiceError as error:
        return _after(_show(), error.message, False)
    return _after(_show(), f"Message {mail.id} discarded (kept as ignored).", True)
