"""Merge a case into another, and split a message out into a new case (issue 19 item 3)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.extensions import db
from helpdesk.models import Case, Message
from helpdesk.rules.numbers import parse_id
from helpdesk.services import ServiceError
from helpdesk.services.cases import merge
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required


class MergeForm(FlaskForm):
    target = StringField(
        "Merge into case number",
        validators=[DataRequired("Type the number of the case to keep."), Length(max=12)],
        description="The case that lives on. This one closes, and its thread, files, time and "
        "tags move there; its customer then sees only that case.",
    )


class SplitForm(FlaskForm):
    split_subject = StringField("Subject of the new case", validators=[Optional(), Length(max=200)])


def merge_context(case, given: dict) -> dict:
    """The merge panel's form, and the case this one was merged into (for the banner)."""
    context = {"merged_into": merge.surviving(case) if case.merged_into_id else None}
    if "merge_form" not in given:
        context["merge_form"] = MergeForm(formdata=None)
    return context


def _target_of(form: MergeForm) -> Case:
    number = parse_id((form.target.data or "").strip().lstrip("#"))
    target = db.session.scalar(sa.select(Case).where(Case.number == number)) if number else None
    if target is None:
        raise ServiceError("There is no case with that number.", field="target")
    return target


@bp.route("/cases/<int:number>/merge", methods=["POST"])
@role_required(*STAFF)
def case_merge(number: int):
    """Merge this case into the one named; go to the surviving case."""
    from helpdesk.tracker.case_views import _page

    case = get_case_or_404(number, current_user)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            target = merge.merge(current_user, case, _target_of(form))
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(f"#{number} is merged into this case and closed.", "success")
            return redirect(url_for("tracker.case_view", number=target.number))
    return _page(case, 422, merge_form=form)


@bp.route("/cases/<int:number>/messages/<int:message_id>/split", methods=["POST"])
@role_required(*STAFF)
def case_split(number: int, message_id: int):
    """Make one message of the thread a new case, linked to this one."""
    case = get_case_or_404(number, current_user)
    message = db.session.get(Message, message_id)
    if message is None or message.case_id != case.id:
        abort(404)
    form = SplitForm()
    if not form.validate_on_submit():
        flash("The subject has at most 200 characters.", "error")
        return redirect(url_for("tracker.case_view", number=number))
    try:
        new = merge.split(current_user, case, message, form.split_subject.data or "")
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("tracker.case_view", number=number))
    flash(f"The message is case #{new.number} now, linked to #{number}.", "success")
    return redirect(url_for("tracker.case_view", number=new.number))
