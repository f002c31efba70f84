"""Agents' forms on the case page and the folder lists."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from helpdesk.rules.numbers import optional_int
from helpdesk.rules.send_status import AfterSend
from helpdesk.services.cases.cases import BODY_MAX
from helpdesk.web.forms import IntegerField


class MessageForm(FlaskForm):
    kind = RadioField(
        "Send as",
        choices=[
            SelectChoice("reply", "Public reply (mailed to the customer)"),
            SelectChoice("note", "Private note (agents only)"),
        ],
        default="reply",
        validators=[DataRequired()],
    )
    body = TextAreaField(
        "Message", validators=[DataRequired("Write a message."), Length(max=BODY_MAX)]
    )
    attachments = MultipleFileField("Attachments (optional)")
    time_spent = StringField(
        "Time spent (optional)",
        validators=[Optional(), Length(max=20)],
        description="Minutes, or hours and minutes: 15, 1:30, 1h 30m.",
    )
    # The status beside "Send"; the first choice keeps the usual behaviour of each kind.
    then = SelectField(
        "Status after sending",
        choices=[
            SelectChoice(AfterSend.USUAL.value, "with the usual status"),
            SelectChoice(AfterSend.WAIT.value, "and wait for the customer"),
            SelectChoice(AfterSend.KEEP_OPEN.value, "and keep open"),
            SelectChoice(AfterSend.CLOSE.value, "and close"),
        ],
        default=AfterSend.USUAL.value,
        validators=[Optional()],
    )


class AssignForm(FlaskForm):
    assignee_id = SelectField("Assign to", coerce=optional_int, validators=[Optional()])
    note = StringField("Hand-over note (optional)", validators=[Optional(), Length(max=500)])
    override_reason = StringField(
        "Why, if they are below the case's tier",
        validators=[Optional(), Length(max=300)],
        description="Only needed to give the case to someone of a lower tier; it is logged.",
    )


class PriorityForm(FlaskForm):
    priority_score = IntegerField(
        "Priority score",
        validators=[InputRequired("Enter a number."), NumberRange(-50, 100)],
    )


class ClassifyForm(FlaskForm):
    case_type_id = SelectField("Case type", coerce=optional_int, validators=[Optional()])
    case_reason_id = SelectField("Reason", coerce=optional_int, validators=[Optional()])


class CallForm(FlaskForm):
    notes = TextAreaField(
        "Call notes", validators=[DataRequired("Write what was said."), Length(max=500)]
    )
    outcome = StringField("Outcome", validators=[Optional(), Length(max=200)])
    call_minutes = StringField(
        "Time on the call (optional)",
        validators=[Optional(), Length(max=20)],
        description="Minutes, or hours and minutes: 15, 1:30, 1h 30m.",
    )


class ActionForm(FlaskForm):
    action_id = SelectField(
        "Action", coerce=optional_int, validators=[InputRequired("Choose an action.")]
    )
    note = StringField("Detail (optional)", validators=[Optional(), Length(max=400)])


class CloseForm(FlaskForm):
    comment = TextAreaField(
        "Closing comment to the customer (optional)", validators=[Optional(), Length(max=BODY_MAX)]
    )


class PlainForm(FlaskForm):
    """No fields: accept and repost carry only the CSRF token."""


class BulkForm(FlaskForm):
    action = SelectField(
        "With the selected cases",
        choices=[
            SelectChoice("assign", "Assign to"),
            SelectChoice("priority", "Set priority"),
            SelectChoice("tag_add", "Add tags"),
            SelectChoice("tag_remove", "Remove tags"),
            SelectChoice("close", "Close"),
        ],
        validators=[DataRequired()],
    )
    assignee_id = SelectField("Agent", coerce=optional_int, validators=[Optional()])
    priority_score = IntegerField("Priority", validators=[Optional(), NumberRange(-50, 100)])
    tags = StringField("Tags", validators=[Optional(), Length(max=400)])


class SaveViewForm(FlaskForm):
    """Keep the folder and filters in view under a name (the filters come as their own fields)."""

    name = StringField("Name of the view", validators=[DataRequired(), Length(max=60)])
    shared = BooleanField("Share with the team")


class TagsForm(FlaskForm):
    tags = StringField(
        "Add tags",
        validators=[DataRequired("Type a tag."), Length(max=400)],
        description="Separate several with commas.",
    )


class StatusForm(FlaskForm):
    status = SelectField(
        "My status",
        choices=[
            SelectChoice(s, s.replace("_", " "))
            for s in ("available", "on_phone", "email_support", "training", "away")
        ],
        validators=[DataRequired()],
        invalid_choice_message="Choose a status from the list.",
    )
    note = StringField(
        "Reason (optional)",
        validators=[Optional(), Length(max=200, message="Keep the reason under 200 characters.")],
        description="What colleagues see, e.g. \u201cat the dentist\u201d.",
    )
    away_until = DateTimeLocalField(
        "Back at (optional)",
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
        description="When you are away: your own time zone. Routing passes you over until then.",
    )


class EscalateForm(FlaskForm):
    note = TextAreaField("What tier II should know", validators=[Optional(), Length(max=2000)])


class SendBackForm(FlaskForm):
    note = TextAreaField(
        "Why it goes back", validators=[DataRequired("Say why."), Length(max=2000)]
    )


class Tier2Form(FlaskForm):
    estimate_minutes = IntegerField(
        "Estimate (minutes)", validators=[Optional(), NumberRange(0, 100_000)]
    )
    kind = SelectField(
        "Bug or enhancement",
        choices=[
            SelectChoice("", "-"),
            SelectChoice("bug", "Bug"),
            SelectChoice("enhancement", "Enhancement / feature request"),
        ],
        validators=[Optional()],
    )
    criticality = SelectField(
        "Criticality",
        choices=[
            SelectChoice("", "-"),
            SelectChoice("low", "Low"),
            SelectChoice("normal", "Normal"),
            SelectChoice("high", "High"),
            SelectChoice("critical", "Critical"),
        ],
        validators=[Optional()],
    )
    note = TextAreaField("Tier II note", validators=[Optional(), Length(max=2000)])


class SubcaseForm(FlaskForm):
    parent_number = IntegerField(
        "Parent case number (with tier II)", validators=[InputRequired("Enter a case number.")]
    )


class CloneDepartmentForm(FlaskForm):
    assignee_id = SelectField(
        "Person in the other department",
        coerce=optional_int,
        validators=[InputRequired("Choose a person.")],
    )
    reason = StringField(
        "What they need to do", validators=[DataRequired("Say what for."), Length(max=500)]
    )


class CloneOrdersForm(FlaskForm):
    order_numbers = TextAreaField(
        "Affected order numbers (one per line or comma-separated)",
        validators=[DataRequired("List the orders.")],
    )
    subject = StringField("Subject for each case", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        "Description for each case", validators=[DataRequired(), Length(max=20_000)]
    )


class AcceptForm(FlaskForm):
    """Accept into my queue; a case above my tier needs the reason for the override."""

    override_reason = StringField(
        "Why you take it anyway", validators=[Optional(), Length(max=300)]
    )


# -- contacts --


class ContactForm(FlaskForm):
    """One contact of an organisation (seed 003: the minimum information to capture)."""

    name = StringField("Full name", validators=[DataRequired("Enter the name."), Length(max=120)])
    position = StringField("Position in the organisation", validators=[Optional(), Length(max=120)])
    email = StringField("E-mail address", validators=[Optional(), Length(max=254)])
    phone = StringField("Direct telephone", validators=[Optional(), Length(max=40)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=2000)])
    is_primary = BooleanField("Primary contact (one per organisation)")


class FormerForm(FlaskForm):
    note = StringField(
        "Description",
        validators=[Optional(), Length(max=200)],
        description="Shown beside their name from now on.",
    )


class CorrespondentForm(FlaskForm):
    contact_id = SelectField(
        "New correspondent", coerce=optional_int, validators=[InputRequired("Choose a contact.")]
    )


class RemoteCheckForm(FlaskForm):
    number = StringField(
        "Number the customer reads out",
        validators=[DataRequired("Type the number the customer reads out."), Length(max=60)],
        description="Their customer number (on their profile in the support portal) or the "
        "number of this case (in our e-mails).",
    )


class TimeForm(FlaskForm):
    """Time spent on a case on its own (not with a reply, a note or a call)."""

    time_minutes = StringField(
        "Time spent",
        validators=[DataRequired("Type the time spent, e.g. 20 or 1:30."), Length(max=20)],
        description="Minutes, or hours and minutes: 15, 1:30, 1h 30m.",
    )
    time_day = DateField("Day", validators=[Optional()], description="Empty: today.")
    time_note = StringField("What on (optional)", validators=[Optional(), Length(max=200)])
