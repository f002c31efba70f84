"""Agents' forms on the case page and the folder lists."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from helpdesk.services.cases import BODY_MAX


def optional_int(value) -> int | None:
    """Select values: "" means none."""
    if value in (None, "", "None"):
        return None
    return int(value)


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


class AssignForm(FlaskForm):
    assignee_id = SelectField("Assign to", coerce=optional_int, validators=[Optional()])
    note = StringField("Hand-over note (optional)", validators=[Optional(), Length(max=500)])


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
            SelectChoice("close", "Close"),
        ],
        validators=[DataRequired()],
    )
    assignee_id = SelectField("Agent", coerce=optional_int, validators=[Optional()])
    priority_score = IntegerField("Priority", validators=[Optional(), NumberRange(-50, 100)])
