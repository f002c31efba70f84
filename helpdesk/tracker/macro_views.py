"""Macros: the composer's picker, and the agents' page of personal and shared macros (issue 14,
item 3). Administrators manage the shared ones on the same page."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.extensions import db
from helpdesk.models import CannedResponse, CaseReason, CaseType, Role
from helpdesk.rules import macros as rules
from helpdesk.rules import priority as priority_rules
from helpdesk.rules.numbers import optional_int, parse_id
from helpdesk.services import ServiceError
from helpdesk.services.tracker import macros
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.common import sidebar_context, staff_members
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request


@bp.route("/cases/<int:number>/macros")
@role_required(*STAFF)
def case_macro_picker(number: int):
    """The composer's macro list, filtered by what the agent types (htmx)."""
    case = get_case_or_404(number, current_user)
    if not is_htmx_request():
        return redirect(url_for("tracker.case_view", number=number))
    query = request.args.get("macro_q", "")
    return render_template(
        "tracker/_macro_picker_results.html",
        case=case,
        entries=macros.picker(current_user, case, query),
        query=query,
    )


def posted_macro_id() -> int | None:
    """The macro the composer used: None when none; anything not a number is refused later."""
    raw = (request.form.get("macro_id") or "").strip()
    if not raw:
        return None
    return parse_id(raw) or 0


class MacroForm(FlaskForm):
    title = StringField(
        "Name", validators=[DataRequired("Enter a name."), Length(max=macros.TITLE_MAX)]
    )
    body = TextAreaField(
        "Text", validators=[DataRequired("Write the text."), Length(max=macros.BODY_MAX)]
    )
    status = SelectField("Set the status", validators=[Optional()])
    case_type_id = SelectField("Set the case type", validators=[Optional()])
    case_reason_id = SelectField("and reason", validators=[Optional()])
    priority_factor = SelectField("Add a priority factor", validators=[Optional()])
    assignee_id = SelectField("Assign to", validators=[Optional()])
    article_slug = StringField(
        "Link a help article",
        description="The article's address name, e.g. open-support-case (public articles only).",
        validators=[Optional(), Length(max=120)],
    )
    active = BooleanField("Active: shown in the picker", default=True)
    shared = BooleanField("Shared with every agent")


def _form(macro: CannedResponse | None = None) -> MacroForm:
    actions = rules.read_actions(macro.actions) if macro else rules.Actions()
    form = (
        MacroForm(
            obj=macro,
            status=actions.status or "",
            case_type_id=str(actions.case_type_id or ""),
            case_reason_id=str(actions.case_reason_id or ""),
            priority_factor=actions.priority_factor or "",
            assignee_id=str(actions.assignee_id or ""),
            article_slug=actions.article_slug or "",
        )
        if macro
        else MacroForm()
    )
    none = SelectChoice("", "leave as it is")
    form.status.choices = [none] + [SelectChoice(k, v) for k, v in rules.STATUSES.items()]
    types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.position)
    ).all()
    form.case_type_id.choices = [none] + [SelectChoice(str(t.id), t.name) for t in types]
    reasons = db.session.scalars(
        sa.select(CaseReason).where(CaseReason.active).order_by(CaseReason.position)
    ).all()
    form.case_reason_id.choices = [SelectChoice("", "none")] + [
        SelectChoice(str(r.id), r.name) for r in reasons
    ]
    form.priority_factor.choices = [SelectChoice("", "none")] + [
        SelectChoice(f.code, f.label) for f in priority_rules.FACTORS
    ]
    form.assignee_id.choices = [none] + [SelectChoice(str(u.id), u.name) for u in staff_members()]
    return form


def _fields(form: MacroForm) -> macros.MacroInput:
    return macros.MacroInput(
        title=form.title.data or "",
        body=form.body.data or "",
        actions=rules.Actions(
            status=form.status.data or None,
            case_type_id=optional_int(form.case_type_id.data),
            case_reason_id=optional_int(form.case_reason_id.data),
            priority_factor=form.priority_factor.data or None,
            assignee_id=optional_int(form.assignee_id.data),
            article_slug=(form.article_slug.data or "").strip() or None,
        ),
        active=form.active.data,
    )


class DeleteForm(FlaskForm):
    """Only the CSRF token."""


def _editable(macro_id: int) -> CannedResponse:
    macro = db.session.get(CannedResponse, macro_id)
    if macro is None or macro.owner_id not in (None, current_user.id):
        abort(404)  # someone else's personal macro: not even its existence is shown
    if not macros.can_edit(current_user, macro):
        abort(403)
    return macro


@bp.route("/macros")
@role_required(*STAFF)
def macro_list():
    """My personal macros and the team's shared ones, with how often each was used."""
    personal, shared = macros.listed(current_user)
    return render_template(
        "tracker/macros.html",
        personal=personal,
        shared=shared,
        describe=lambda m: macros.describe(rules.read_actions(m.actions)),
        can_edit=lambda m: macros.can_edit(current_user, m),
        snippet=macros.snippet,
        delete_form=DeleteForm(),
        **sidebar_context(),
    )


def _edit_page(form: MacroForm, macro: CannedResponse | None, status: int = 200):
    return render_template(
        "tracker/macro_edit.html",
        form=form,
        macro=macro,
        variables=rules.VARIABLES,
        is_admin=current_user.role == Role.ADMIN,
        **sidebar_context(),
    ), status


@bp.route("/macros/new", methods=["GET", "POST"])
@role_required(*STAFF)
def macro_new():
    """A new personal macro (administrators may share it with the team)."""
    form = _form()
    return _save_or_show(
        form,
        None,
        lambda: macros.create_macro(
            current_user,
            _fields(form),
            shared=bool(form.shared.data),
            ip_address=request.remote_addr,
        ),
    )


@bp.route("/macros/<int:macro_id>", methods=["GET", "POST"])
@role_required(*STAFF)
def macro_edit(macro_id: int):
    """Edit one of my macros, or (administrators) a shared one."""
    macro = _editable(macro_id)
    form = _form(macro)
    return _save_or_show(
        form,
        macro,
        lambda: macros.update_macro(
            current_user, macro, _fields(form), ip_address=request.remote_addr
        ),
    )


def _save_or_show(form, macro, save: Callable[[], CannedResponse]):
    """Save a valid form and go back to the list; else the form again, with its errors."""
    if form.validate_on_submit():
        try:
            saved = save()
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"Macro “{saved.title}” saved.", "success")
            return redirect(url_for("tracker.macro_list"))
    return _edit_page(form, macro, 422 if form.is_submitted() else 200)


@bp.route("/macros/<int:macro_id>/delete", methods=["POST"])
@role_required(*STAFF)
def macro_delete(macro_id: int):
    """Delete one of my macros, or (administrators) a shared saved reply."""
    macro = _editable(macro_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    title = macro.title
    try:
        macros.delete_macro(current_user, macro, ip_address=request.remote_addr)
    except ServiceError as error:
        flash(error.message, "error")
    else:
        flash(f"Macro “{title}” deleted.", "success")
    return redirect(url_for("tracker.macro_list"))
