"""The case page's intake panel: what the agent recorded when the case came in (callback
number, version, OS, estimate, when the message was left) and how it reached us, with a form
to change the details and one to correct the origin (seed 003, issue 12)."""

from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from helpdesk.models import Case, Origin
from helpdesk.services.cases import intake
from helpdesk.services.tracker import phone
from helpdesk.tracker.blueprint import STAFF, bp
from helpdesk.web.forms import IntegerField
from helpdesk.web.guards import role_required

INTAKE_PREFIX = "intake"  # the tier II panel on the same page has an estimate field too


class IntakeDetailsForm(FlaskForm):
    """The details seed 003 asks for at intake, as the agent learns them later."""

    callback_phone = StringField(
        "Callback number",
        validators=[Optional(), Length(max=phone.PHONE_MAX)],
        description="The number to call back: the caller ID may be their switchboard.",
    )
    product_version = StringField(
        "Product version", validators=[Optional(), Length(max=phone.VERSION_MAX)]
    )
    operating_system = StringField("Computer OS", validators=[Optional(), Length(max=phone.OS_MAX)])
    estimate_minutes = IntegerField(
        "Estimate (minutes)",
        validators=[Optional(), NumberRange(0, phone.ESTIMATE_MAX_MINUTES)],
        description="Roughly how long it takes to resolve.",
    )


class OriginForm(FlaskForm):
    """How the case reached us, when it was recorded wrongly."""

    origin = SelectField(
        "It reached us by",
        choices=[
            SelectChoice(origin.value, label) for origin, label in intake.ORIGIN_LABELS.items()
        ],
        validators=[DataRequired("Choose how the case reached us.")],
    )


def estimate_text(minutes: int | None) -> str:
    """90 -> "1 h 30 min"; None -> ""."""
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def intake_context(case: Case, given: dict) -> dict:
    """The intake panel's forms and labels for the case page (forms in `given` win)."""
    context = {
        "intake_form": IntakeDetailsForm(
            formdata=None,
            prefix=INTAKE_PREFIX,
            callback_phone=case.callback_phone,
            product_version=case.product_version,
            operating_system=case.operating_system,
            estimate_minutes=case.estimate_minutes,
        ),
        "origin_form": OriginForm(formdata=None, origin=str(case.origin)),
        "origin_labels": {str(o): label for o, label in intake.ORIGIN_LABELS.items()},
        "estimate_text": estimate_text,
    }
    return {key: value for key, value in context.items() if key not in given}


@bp.route("/cases/<int:number>/intake", methods=["POST"])
@role_required(*STAFF)
def case_intake_details(number: int):
    """Save the callback number, version, OS and estimate."""
    from helpdesk.tracker.case_views import act  # the case page imports this module

    return act(
        number,
        "intake_form",
        IntakeDetailsForm(prefix=INTAKE_PREFIX),
        lambda case, f: intake.update_details(
            current_user,
            case,
            callback_phone=f.callback_phone.data,
            product_version=f.product_version.data,
            operating_system=f.operating_system.data,
            estimate_minutes=f.estimate_minutes.data,
        ),
        "Details saved.",
    )


@bp.route("/cases/<int:number>/origin", methods=["POST"])
@role_required(*STAFF)
def case_origin(number: int):
    """Correct how the case reached us; the timeline keeps the old and new origin."""
    from helpdesk.tracker.case_views import act

    return act(
        number,
        "origin_form",
        OriginForm(),
        lambda case, f: intake.correct_origin(current_user, case, Origin(f.origin.data)),
        "Origin corrected.",
    )
