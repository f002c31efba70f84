"""The administrator's routing rules (seed 001): who gets a new case, and who covers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, NumberRange

from helpdesk.extensions import db
from helpdesk.models import CaseReason, CaseType, RoutingRule
from helpdesk.portal.forms import CATEGORY_LABELS
from helpdesk.rules.numbers import optional_int, parse_id
from helpdesk.services import ServiceError
from helpdesk.services.tracker import routing_admin
from helpdesk.web.forms import IntegerField
from helpdesk.web.htmx import is_htmx_request

PAGE = "admin/routing.html"
FRAGMENT = "admin/_routing_rules.html"
PICK_STAFF = "Choose an active agent or administrator from the list."


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "", "None") else str(value)


class RoutingRuleForm(FlaskForm):
    """A new rule: what it matches (all optional) and who gets the case."""

    category = SelectField(
        "Category",
        coerce=_optional_str,
        choices=[SelectChoice("", "Any category")]
        + [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        invalid_choice_message="Choose a category from the list.",
    )
    case_type_id = SelectField(
        "Case type",
        coerce=optional_int,
        invalid_choice_message="Choose a case type from the list.",
    )
    case_reason_id = SelectField(
        "Case reason",
        coerce=optional_int,
        invalid_choice_message="Choose a reason from the list.",
        description="With a type chosen too, the reason must be one of that type's.",
    )
    assignee_id = SelectField(
        "Assign to",
        coerce=optional_int,
        validators=[DataRequired("Choose who gets the cases.")],
        invalid_choice_message=PICK_STAFF,
    )
    fallback_id = SelectField(
        "Fallback when the assignee is away",
        coerce=optional_int,
        invalid_choice_message=PICK_STAFF,
    )
    position = IntegerField(
        "Position",
        validators=[
            InputRequired("Enter a whole number."),
            NumberRange(
                routing_admin.POSITION_MIN,
                routing_admin.POSITION_MAX,
                f"Enter a whole number from {routing_admin.POSITION_MIN} "
                f"to {routing_admin.POSITION_MAX}.",
            ),
        ],
        render_kw={"min": routing_admin.POSITION_MIN, "max": routing_admin.POSITION_MAX},
        description="Lower numbers are tried first; equal numbers in the order they were added.",
    )

    def values(self) -> dict[str, Any]:
        """The entered rule, as create_rule takes it."""
        return {
            name: self[name].data
            for name in (
                "category",
                "case_type_id",
                "case_reason_id",
                "assignee_id",
                "fallback_id",
                "position",
            )
        }


class TopicForm(FlaskForm):
    """A topic customers may pick on a new case, giving it a case type."""

    label = StringField(
        "What customers see",
        validators=[DataRequired("Enter what customers will see, e.g. Billing or payment.")],
        description="Listed under \u201cWhat is it about?\u201d on the new-case form.",
    )
    case_type_id = SelectField(
        "Case type it gives",
        coerce=optional_int,
        validators=[DataRequired("Choose a case type.")],
        invalid_choice_message="Choose a case type from the list.",
    )
    category = SelectField(
        "Counts as",
        choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        default="other",
        invalid_choice_message="Choose a category from the list.",
        description="The standard category for everything else (system e-mails, tiers).",
    )


class TopicDeleteForm(FlaskForm):
    topic_id = HiddenField(validators=[DataRequired()])


class RuleMoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class RuleActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["1", "0"])])


class RuleDeleteForm(FlaskForm):
    """Only the CSRF token."""


def _rule_form(*, blank: bool = False) -> RoutingRuleForm:
    """The add form with its choices; `blank` ignores the posted data (after a save)."""
    defaults = {"position": routing_admin.suggested_position()}
    form = (
        RoutingRuleForm(formdata=None, data=defaults) if blank else RoutingRuleForm(data=defaults)
    )
    types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.position, CaseType.name)
    ).all()
    form.case_type_id.choices = [SelectChoice("", "Any case type")] + [
        SelectChoice(str(t.id), t.name) for t in types
    ]
    # Grouped by type (shared reasons first), so the admin sees which reasons belong together.
    type_order = {t.id: (index, t.name) for index, t in enumerate(types, start=1)}
    reasons = [
        reason
        for reason in db.session.scalars(sa.select(CaseReason).where(CaseReason.active))
        # A reason whose type is switched off can be picked neither with nor without it.
        if reason.case_type_id is None or reason.case_type_id in type_order
    ]
    reasons.sort(key=lambda r: (type_order.get(r.case_type_id, (0, "")), r.position, r.name, r.id))
    reason_choices = [SelectChoice("", "Any reason")] + [
        SelectChoice(
            str(r.id),
            r.name,
            optgroup=type_order[r.case_type_id][1] if r.case_type_id else "Any type",
        )
        for r in reasons
    ]
    form.case_reason_id.choices = reason_choices
    staff = [
        SelectChoice(
            str(u.id),
            f"{u.name} ({u.role}{f', tier {u.tier}' if u.tier else ''})",
        )
        for u in routing_admin.routable_staff()
    ]
    form.assignee_id.choices = [SelectChoice("", "Choose a person")] + staff
    form.fallback_id.choices = [SelectChoice("", "None: the case waits in the support queue")] + (
        staff
    )
    return form


def _topic_form(*, blank: bool = False) -> TopicForm:
    form = TopicForm(prefix="topic", formdata=None) if blank else TopicForm(prefix="topic")
    types = db.session.scalars(
        sa.select(CaseType).where(CaseType.active).order_by(CaseType.position, CaseType.name)
    ).all()
    form.case_type_id.choices = [SelectChoice("", "Choose a case type")] + [
        SelectChoice(str(t.id), t.name) for t in types
    ]
    return form


def _render(
    form: RoutingRuleForm,
    *,
    status: int = 200,
    notice: str | None = None,
    problem: str | None = None,
    topic_form: TopicForm | None = None,
) -> Response:
    context = {
        "form": form,
        "topic_form": topic_form or _topic_form(blank=True),
        "topics": routing_admin.topics(),
        "rows": routing_admin.overview(),
        "category_labels": CATEGORY_LABELS,
        "notice": notice,
        "problem": problem,
    }
    if is_htmx_request():
        # htmx swaps only 2xx answers: errors come back in a 200 fragment.
        response = make_response(render_template(FRAGMENT, **context), 200)
    else:
        response = make_response(render_template(PAGE, **context), status)
    response.vary.add("HX-Request")
    return response


def _done(message: str) -> ResponseReturnValue:
    """After a change: the updated list for htmx, post/redirect/get otherwise."""
    if is_htmx_request():
        return _render(_rule_form(blank=True), notice=message)
    flash(message, "success")
    return redirect(url_for("admin.routing_rules"))


def _refused(message: str) -> Response:
    if is_htmx_request():
        return _render(_rule_form(blank=True), problem=message)
    flash(message, "error")
    return redirect(url_for("admin.routing_rules"))


def routing_rules() -> ResponseReturnValue:
    """The routing rules in the order they are tried, and a form to add one (admin only)."""
    return _render(_rule_form())


def routing_rule_create() -> ResponseReturnValue:
    """Add a routing rule; say at once when it can never match or never assign."""
    form = _rule_form()
    if form.validate_on_submit():
        try:
            rule = routing_admin.create_rule(
                current_user, **form.values(), ip_address=request.remote_addr
            )
        except ServiceError as error:
            target = next((f for f in form if f.name == error.field), None)
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            row = next(r for r in routing_admin.overview() if r.rule.id == rule.id)
            if row.shadowed_by is not None:
                return _done(
                    "Routing rule added, but it is never reached: the rule at position "
                    f"{row.shadowed_by.position} takes all its cases. Move it up."
                )
            if row.never:
                return _done(f"Routing rule added, but: {' '.join(row.never)}")
            return _done("Routing rule added.")
    return _render(form, status=422)


def routing_topic_create() -> ResponseReturnValue:
    """Offer customers a topic that gives their new case a type."""
    form = _topic_form()
    if form.validate_on_submit():
        try:
            routing_admin.create_topic(
                current_user,
                label=form.label.data,
                case_type_id=form.case_type_id.data,
                category=form.category.data,
                ip_address=request.remote_addr,
            )
        except ServiceError as error:
            target = next((f for f in form if f.name == error.field), None)
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            return _done("Topic added: customers can pick it on a new case.")
    return _render(_rule_form(blank=True), status=422, topic_form=form)


def routing_topic_delete() -> ResponseReturnValue:
    """Stop offering a topic."""
    form = TopicDeleteForm()
    topic_id = parse_id(form.topic_id.data)
    if not form.validate_on_submit() or topic_id is None:
        abort(400)
    try:
        routing_admin.delete_topic(current_user, topic_id, ip_address=request.remote_addr)
    except ServiceError as error:
        return _refused(error.message)
    return _done("Topic removed: customers no longer see it.")


def _rule_or_404(rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        if is_htmx_request():
            # Another admin deleted it: refresh the stale list instead of a silent 404.
            abort(_refused("That rule no longer exists; the list below is up to date."))
        abort(404)
    return rule


def routing_rule_move(rule_id: int) -> ResponseReturnValue:
    """Move a rule one place up or down in the order."""
    rule = _rule_or_404(rule_id)
    form = RuleMoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        routing_admin.move_rule(
            current_user, rule, form.direction.data, ip_address=request.remote_addr
        )
    except ServiceError as error:
        return _refused(error.message)
    return _done(f"Rule moved {form.direction.data}.")


def routing_rule_active(rule_id: int) -> ResponseReturnValue:
    """Switch a rule on or off."""
    rule = _rule_or_404(rule_id)
    form = RuleActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    routing_admin.set_active(current_user, rule, active, ip_address=request.remote_addr)
    return _done("Rule switched on." if active else "Rule switched off: routing skips it.")


def routing_rule_delete(rule_id: int) -> ResponseReturnValue:
    """Delete a rule."""
    rule = _rule_or_404(rule_id)
    if not RuleDeleteForm().validate_on_submit():
        abort(400)
    routing_admin.delete_rule(current_user, rule, ip_address=request.remote_addr)
    return _done("Rule deleted.")
