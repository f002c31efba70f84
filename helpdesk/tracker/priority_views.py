"""The case page's priority panel: score, level, the seed's factors and their actions (seed 003).

The manual score override stays at tracker.case_priority (case_views); this module adds the
factor ticks. Registered on the shared tracker blueprint by importing it from views.
"""

from __future__ import annotations

from flask import flash, make_response, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.fields.core import UnboundField
from wtforms.validators import NumberRange, Optional

from helpdesk.models import Case
from helpdesk.rules import priority as rules
from helpdesk.services import ServiceError
from helpdesk.services.tracker import priority
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.tracker.case_views import act
from helpdesk.tracker.forms import PriorityForm
from helpdesk.web.access import get_case_or_404
from helpdesk.web.forms import IntegerField
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request

SAVED = "Priority factors saved."


class PriorityFactorsForm(FlaskForm):
    """One input per seed factor: a tick, or a count for a factor each contact repeats."""

    def factor_list(self) -> list[str]:
        """The ticked and counted factors as the list the case stores."""
        return rules.from_counts({f.code: self._count(f) for f in rules.FACTORS})

    def _count(self, factor: rules.Factor) -> int:
        data = self[factor.code].data
        return int(data or 0) if factor.repeatable else int(bool(data))


def _field(factor: rules.Factor) -> UnboundField:
    if factor.repeatable:
        return IntegerField(
            factor.label,
            default=0,
            validators=[
                Optional(),
                NumberRange(0, rules.MAX_REPEAT, f"Count from 0 to {rules.MAX_REPEAT}."),
            ],
            render_kw={"min": 0, "max": rules.MAX_REPEAT, "size": 2},
        )
    return BooleanField(factor.label)


for _factor in rules.FACTORS:
    setattr(PriorityFactorsForm, _factor.code, _field(_factor))


def _display_form(lines: list[rules.Line]) -> PriorityFactorsForm:
    # formdata=None: on a page re-rendered after another form's POST, show the stored factors.
    return PriorityFactorsForm(
        formdata=None,
        **{line.factor.code: line.count if line.factor.repeatable else True for line in lines},
    )


@bp.app_template_global()
def priority_panel(case: Case, form: PriorityFactorsForm | None = None) -> dict:
    """Everything tracker/_priority.html shows: the breakdown, the weights, the factors form."""
    current = priority.weights()
    panel = priority.describe(case, current)
    return {
        "panel": panel,
        "weights": current,
        "factors": rules.FACTORS,
        "form": form if isinstance(form, PriorityFactorsForm) else _display_form(panel.lines),
        "high_at": rules.HIGH_AT,
        "urgent_at": rules.URGENT_AT,
    }


@bp.route("/cases/<int:number>/priority-factors", methods=["POST"])
@role_required(*STAFF)
def case_priority_factors(number: int):
    """Tick or untick the seed's priority factors; the score is recomputed from them."""
    form = PriorityFactorsForm()
    if not is_htmx_request():
        return act(
            number,
            "priority_factors_form",
            form,
            lambda case, f: priority.set_factors(current_user, case, f.factor_list()),
            SAVED,
        )
    case = get_case_or_404(number, current_user)
    if form.validate_on_submit():
        try:
            priority.set_factors(current_user, case, form.factor_list())
        except ServiceError as error:
            form.form_errors.append(error.message)
        else:
            flash(SAVED, "success")
            # The score shows in the page head and the timeline too: reload the whole page.
            response = make_response("", 204)
            response.headers["HX-Redirect"] = url_for("tracker.case_view", number=number)
            return response
    # htmx swaps only 2xx answers: the form comes back with its errors as a 200 fragment.
    response = make_response(
        render_template(
            "tracker/_priority.html",
            case=case,
            priority_factors_form=form,
            priority_form=PriorityForm(formdata=None, priority_score=case.priority_score),
        )
    )
    response.vary.add("HX-Request")
    return response
