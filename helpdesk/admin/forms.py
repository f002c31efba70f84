"""Forms of the administration pages: settings, holidays, staff, the catalogue, audit filters.

The settings form only carries what was typed: services.settings validates it, so the page
and any other caller share one set of rules and messages.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, EmailInput, ListWidget, NumberInput, TimeInput

from helpdesk.models import Role
from helpdesk.rules.numbers import optional_int
from helpdesk.services.accounts import accounts, staff_admin
from helpdesk.services.cases import catalogue
from helpdesk.services.core import settings
from helpdesk.web.forms import DateField

WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SettingsForm(FlaskForm):
    """Every adjustable setting, one field per registry entry (named by its config key)."""

    def entered(self) -> dict[str, Any]:
        """What was typed, by setting key."""
        return {spec.key: self[spec.key].data for spec in settings.REGISTRY}


def _setting_field(spec: settings.SettingSpec):
    if spec.kind == settings.INT:
        return StringField(
            spec.label,
            widget=NumberInput(min=spec.minimum, max=spec.maximum),
            description=spec.hint,
        )
    if spec.kind == settings.EMAIL:
        return StringField(spec.label, widget=EmailInput(), description=spec.hint)
    if spec.kind == settings.CLOCK:
        return StringField(spec.label, widget=TimeInput(), description=spec.hint)
    if spec.kind == settings.TIME_ZONE:
        return SelectField(
            spec.label,
            choices=[SelectChoice(zone, zone) for zone in accounts.time_zone_choices()],
            validate_choice=False,
            description=spec.hint,
        )
    if spec.kind == settings.WEEKDAYS:
        return SelectMultipleField(
            spec.label,
            choices=[
                SelectChoice(code, label)
                for code, label in zip(settings.WEEKDAY_NAMES, WEEKDAY_LABELS, strict=True)
            ],
            validate_choice=False,
            widget=ListWidget(prefix_label=False),
            option_widget=CheckboxInput(),
            description=spec.hint,
        )
    if spec.kind in (settings.TEXT, settings.NETWORKS):
        return StringField(spec.label, description=spec.hint)
    if spec.kind == settings.YES_NO:
        return SelectField(
            spec.label,
            choices=[SelectChoice("no", "No"), SelectChoice("yes", "Yes")],
            validate_choice=False,  # parse() answers with the message
            description=spec.hint,
        )
    raise ValueError(f"no form field for setting kind {spec.kind!r}")


for _spec in settings.REGISTRY:
    setattr(SettingsForm, _spec.key, _setting_field(_spec))


class HolidayForm(FlaskForm):
    """A day without business hours."""

    day = DateField("Date", validators=[DataRequired("Enter a date as YYYY-MM-DD.")])
    name = StringField(
        "Name",
        validators=[
            DataRequired("Enter the holiday's name."),
            Length(max=settings.HOLIDAY_NAME_MAX),
        ],
    )


class PostOnlyForm(FlaskForm):
    """Only the CSRF token (delete buttons, sending a link)."""


def _staff_role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, role.value.capitalize()) for role in staff_admin.STAFF_ROLES]


def _tier_choices() -> list[SelectChoice]:
    return [SelectChoice("", "None (not an agent)")] + [
        SelectChoice(str(tier), f"Tier {tier}") for tier in (1, 2, 3)
    ]


class StaffCreateForm(FlaskForm):
    """A new staff login; its owner sets the password through a mailed link."""

    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired("Enter the e-mail address.")])
    role = SelectField(
        "Role", choices=_staff_role_choices(), invalid_choice_message="Choose a role from the list."
    )
    tier = SelectField(
        "Tier",
        choices=_tier_choices(),
        coerce=optional_int,
        invalid_choice_message="Choose a tier from the list.",
        description="Agents work cases of their tier (1, 2 or 3).",
    )


class StaffEditForm(FlaskForm):
    """Role, tier and whether the login works."""

    role = SelectField(
        "Role", choices=_staff_role_choices(), invalid_choice_message="Choose a role from the list."
    )
    tier = SelectField(
        "Tier",
        choices=_tier_choices(),
        coerce=optional_int,
        invalid_choice_message="Choose a tier from the list.",
    )
    active = BooleanField(
        "Active", description="Unticked: the person cannot log in, and their sessions end."
    )


class UserFilterForm(Form):
    """The users list's filters (a GET form: no CSRF token)."""

    role = SelectField(
        "Role",
        choices=[SelectChoice("", "All staff")]
        + [SelectChoice(role.value, role.value.capitalize()) for role in Role],
        validate_choice=False,
    )
    active = SelectField(
        "Login",
        choices=[
            SelectChoice("", "Active or not"),
            SelectChoice("yes", "Active"),
            SelectChoice("no", "Deactivated"),
        ],
        validate_choice=False,
    )


class CatalogueAddForm(FlaskForm):
    """A new case type, reason or action; reasons may belong to one case type."""

    name = StringField(
        "Name",
        validators=[
            DataRequired("Enter a name."),
            Length(max=catalogue.NAME_MAX, message=f"Use at most {catalogue.NAME_MAX} characters."),
        ],
    )
    case_type_id = SelectField(
        "For case type",
        coerce=optional_int,
        invalid_choice_message="Choose a case type from the list.",
    )


class RenameForm(FlaskForm):
    name = StringField(
        "New name",
        validators=[
            DataRequired("Enter a name."),
            Length(max=catalogue.NAME_MAX, message=f"Use at most {catalogue.NAME_MAX} characters."),
        ],
    )


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["1", "0"])])


class AuditFilterForm(Form):
    """The audit log's filters (a GET form: no CSRF token)."""

    actor = StringField(
        "Who",
        validators=[Optional(), Length(max=120)],
        description="Part of a name or e-mail address.",
    )
    action = StringField(
        "Action starts with",
        validators=[Optional(), Length(max=60)],
        description='e.g. "refund.", "fraud." or "refused."',
    )
    object_type = StringField("Object type", validators=[Optional(), Length(max=40)])
    since = DateField(
        "From", validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )
    until = DateField(
        "To (inclusive)", validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
    )

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")


class BillingPermissionForm(FlaskForm):
    """An agent's billing permission: refunds and replacements from case pages."""

    billing_permission = BooleanField(
        "May refund payments and send replacement parcels from case pages",
        description="Billing staff and administrators always may. Every change is recorded.",
    )
