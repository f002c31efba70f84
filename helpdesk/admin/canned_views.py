"""The administrator's canned responses: seed 000's system e-mails, edited with a preview."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import CannedResponse, Role
from helpdesk.rules.canned import VARIABLES
from helpdesk.services import ServiceError
from helpdesk.services.mail import canned
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request, render_page_or_fragment


class CannedForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Enter a title."), Length(max=canned.TITLE_MAX)]
    )
    subject = StringField(
        "Subject", validators=[DataRequired("Enter a subject."), Length(max=canned.SUBJECT_MAX)]
    )
    body = TextAreaField(
        "Text", validators=[DataRequired("Write the e-mail."), Length(max=canned.BODY_MAX)]
    )
    active = BooleanField("Active: agents can send it")


def _response(canned_id: int) -> CannedResponse:
    response = db.session.get(CannedResponse, canned_id)
    if response is None or not response.is_system_email:  # saved replies are macros only
        abort(404)
    return response


@bp.route("/canned")
@role_required(Role.ADMIN)
def canned_list():
    """The system e-mails agents send from the phone procedure."""
    return render_template("admin/canned_list.html", responses=canned.all_responses())


@bp.route("/canned/<int:canned_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def canned_edit(canned_id: int):
    """Edit one system e-mail; "Preview" shows it with sample values without saving."""
    response = _response(canned_id)
    form = CannedForm(obj=response)
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            try:
                if request.form.get("action") == "save":
                    _save(response, form)
                    flash(f"“{response.title}” saved.", "success")
                    return _to(url_for("admin.canned_list"))
                canned.check_template(form.subject.data, form.body.data)
                status = 200  # a preview of valid text, not saved
            except ServiceError as error:
                show_service_error(form, error)
    preview = canned.render(
        form.subject.data or "", form.body.data or "", canned.sample_variables(current_user)
    )
    response_out = make_response(
        render_page_or_fragment(
            "admin/canned_edit.html",
            "admin/_canned_form.html",
            response=response,
            form=form,
            preview=preview,
            variables=VARIABLES,
            sample=canned.sample_variables(current_user),
        )
    )
    response_out.status_code = status
    return response_out


def _save(response: CannedResponse, form: CannedForm) -> None:
    canned.update_response(
        current_user,
        response,
        title=form.title.data,
        subject=form.subject.data,
        body=form.body.data,
        active=form.active.data,
        ip_address=request.remote_addr,
    )


def _to(target: str):
    """Post/redirect/get; for htmx a full-page HX-Redirect, so the flash shows."""
    if is_htmx_request():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)
