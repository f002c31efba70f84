"""The administrator's priority weights: one whole number per seed 003 factor."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange

from helpdesk.rules import priority as rules
from helpdesk.services import ServiceError
from helpdesk.services.tracker import priority
from helpdesk.web.forms import IntegerField


class PriorityWeightsForm(FlaskForm):
    """One weight per factor, -50 to 50."""

    def weights(self) -> dict[str, int]:
        """The entered weights by factor code."""
        return {f.code: self[f.code].data for f in rules.FACTORS}


for _factor in rules.FACTORS:
    setattr(
        PriorityWeightsForm,
        _factor.code,
        IntegerField(
            _factor.label,
            validators=[
                InputRequired("Enter a whole number."),
                NumberRange(
                    rules.WEIGHT_MIN,
                    rules.WEIGHT_MAX,
                    f"Enter a whole number from {rules.WEIGHT_MIN} to {rules.WEIGHT_MAX}.",
                ),
            ],
            render_kw={"min": rules.WEIGHT_MIN, "max": rules.WEIGHT_MAX, "size": 4},
        ),
    )


def priority_weights():
    """Show and save the weight of each priority factor (admin only)."""
    form = PriorityWeightsForm(data=priority.weights())
    if form.validate_on_submit():
        try:
            priority.save_weights(current_user, form.weights(), ip_address=request.remote_addr)
        except ServiceError as error:
            target = next((f for f in form if f.name == error.field), None)
            (target.errors if target is not None else form.form_errors).append(error.message)
        else:
            flash("Priority weights saved. New cases and changed factors use them.", "success")
            return redirect(url_for("admin.priority_weights"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "admin/priority.html",
        form=form,
        factors=rules.FACTORS,
        defaults=rules.DEFAULT_WEIGHTS,
        high_at=rules.HIGH_AT,
        urgent_at=rules.URGENT_AT,
    ), status
