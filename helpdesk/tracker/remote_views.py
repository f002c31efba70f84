"""The remote-session screen of a case (seed 003 "Remote Access"): the identity check by
customer number or case number, the disconnect preamble, start and end on the timeline."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from helpdesk.services import ServiceError
from helpdesk.services.tracker import remote_sessions
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import sidebar_context
from helpdesk.tracker.forms import PlainForm, RemoteCheckForm
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required

PREAMBLE = (
    "Before I connect, one thing: you stay in control of your computer the whole time. "
    "If anything comes on the screen that you feel I should not see, or that is private, "
    "disconnect me at once by closing the remote-session window or pressing its Disconnect "
    "button; you do not need to ask. When we are finished, you disconnect me, and I will "
    "ask you to confirm that I am gone."
)


def _screen(case, form=None, verdict=None, status=200):
    return render_template(
        "tracker/remote_session.html",
        case=case,
        form=form or RemoteCheckForm(formdata=None),
        plain_form=PlainForm(),
        verdict=verdict,
        matched_text=remote_sessions.matched_text(case, verdict) if verdict else None,
        session=remote_sessions.state(case),
        preamble=PREAMBLE,
        **sidebar_context(),
    ), status


@bp.route("/cases/<int:number>/remote-session")
@role_required(*STAFF)
def remote_session(number: int):
    """The steps of a remote session for this case, and where it stands."""
    return _screen(get_case_or_404(number, current_user))


@bp.route("/cases/<int:number>/remote-session/check", methods=["POST"])
@role_required(*STAFF)
def remote_check(number: int):
    """Check the number the customer read out: a match shows the preamble and Start."""
    case = get_case_or_404(number, current_user)
    form = RemoteCheckForm()
    if form.validate_on_submit():
        try:
            verdict = remote_sessions.check(
                agent=current_user,
                case=case,
                typed=form.number.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            return _screen(case, form, verdict)
    return _screen(case, form, status=422)


@bp.route("/cases/<int:number>/remote-session/start", methods=["POST"])
@role_required(*STAFF)
def remote_start(number: int):
    """Record the start: the number is checked again, the preamble was read."""
    case = get_case_or_404(number, current_user)
    form = RemoteCheckForm()
    if form.validate_on_submit():
        try:
            remote_sessions.start(
                agent=current_user,
                case=case,
                typed=form.number.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Remote session started and logged on the case. You may connect now.", "success")
            return redirect(url_for("tracker.remote_session", number=number))
    return _screen(case, form, status=422)


@bp.route("/cases/<int:number>/remote-session/end", methods=["POST"])
@role_required(*STAFF)
def remote_end(number: int):
    """Record "session ended, customer confirmed"."""
    case = get_case_or_404(number, current_user)
    form = PlainForm()
    if form.validate_on_submit():
        try:
            remote_sessions.end(agent=current_user, case=case, ip_address=request.remote_addr)
        except ServiceError as error:
            flash(error.message, "error")
        else:
            flash("Remote session ended and logged on the case.", "success")
        return redirect(url_for("tracker.case_view", number=number))
    return _screen(case, status=400)
