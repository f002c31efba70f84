"""Service-level policies (issue 19 item 4): targets per plan and priority, in business hours."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.admin.forms import PostOnlyForm
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import Role, SlaPolicy
from helpdesk.services import ServiceError
from helpdesk.services.tracker import sla, sla_policies
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required

HOURS_HINT = "Business hours, e.g. 4 or 1.5."


class PolicyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Name the policy."), Length(max=80)])
    plan = SelectField(
        "Plan",
        choices=[SelectChoice(k, v) for k, v in sla_policies.PLAN_LABELS.items()],
        validate_choice=False,
    )
    priority = SelectField(
        "Priority",
        choices=[SelectChoice(k, v) for k, v in sla_policies.PRIORITY_LABELS.items()],
        validate_choice=False,
    )
    first_response_hours = StringField(
        "First response within", validators=[Length(max=12)], description=HOURS_HINT
    )
    next_reply_hours = StringField(
        "Next reply within (optional)",
        validators=[Optional(), Length(max=12)],
        description="After each message of the customer, once the first answer was given.",
    )
    resolution_hours = StringField(
        "Resolved within (optional)",
        validators=[Optional(), Length(max=12)],
        description="The clock stands still while the case waits for the customer.",
    )


def _page(form: PolicyForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "admin/sla.html",
        form=form,
        policies=sla_policies.policies(),
        plans=sla_policies.PLAN_LABELS,
        priorities=sla_policies.PRIORITY_LABELS,
        default_hours=sla.first_response_hours(),
        delete_form=PostOnlyForm(),
    ), status


@bp.route("/sla", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def sla_policy_list() -> ResponseReturnValue:
    """The policies, most specific first when a case arrives; a form to add one."""
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            policy = sla_policies.create(
                current_user,
                name=form.name.data,
                plan=form.plan.data,
                priority=form.priority.data,
                first_response_hours=form.first_response_hours.data,
                next_reply_hours=form.next_reply_hours.data,
                resolution_hours=form.resolution_hours.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash(
                f"Policy “{policy.name}” added: it holds cases that arrive from now on.", "success"
            )
            return redirect(url_for("admin.sla_policy_list"))
    return _page(form, 422 if form.errors else 200)


@bp.route("/sla/<int:policy_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def sla_policy_delete(policy_id: int) -> ResponseReturnValue:
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None:
        abort(404)
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    name = policy.name
    sla_policies.delete(current_user, policy, ip_address=request.remote_addr)
    flash(f"Policy “{name}” removed; its cases keep their due times.", "info")
    return redirect(url_for("admin.sla_policy_list"))
