"""Customer forms: open a case, reply, close."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.models import Category
from helpdesk.rules.numbers import strict_int
from helpdesk.services.cases.cases import BODY_MAX, SUBJECT_MAX

CATEGORY_LABELS = {
    Category.LICENCE_KEY: "Licence key",
    Category.SUPPORT: "Installation or support question",
    Category.CUSTOMISATION: "Customisation request",
    Category.HOSTING: "Hosting or website",
    Category.BUG_REPORT: "Bug report",
    Category.OTHER: "Other",
}


TOPIC_PREFIX = "topic-"


def category_choices(topics=()) -> list[SelectChoice]:
    """The standard categories with the administrator's topics before "Other"."""
    standard = [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()]
    extra = [SelectChoice(f"{TOPIC_PREFIX}{t.id}", t.label) for t in topics]
    return standard[:-1] + extra + standard[-1:]


def split_category(value: str) -> tuple[str, int | None]:
    """A posted choice as (category, topic id): a topic counts as its own category later."""
    if value.startswith(TOPIC_PREFIX) and value[len(TOPIC_PREFIX) :].isdigit():
        return Category.OTHER.value, int(value[len(TOPIC_PREFIX) :])
    return value, None


class NewCaseForm(FlaskForm):
    order_id = SelectField(
        "Order", coerce=strict_int, validators=[DataRequired("Choose an order.")]
    )
    category = SelectField(
        "What is it about?",
        choices=category_choices(),
        validators=[DataRequired()],
    )
    subject = StringField(
        "Subject", validators=[DataRequired("Enter a subject."), Length(max=SUBJECT_MAX)]
    )
    body = TextAreaField(
        "Description",
        validators=[DataRequired("Describe the issue."), Length(max=BODY_MAX)],
        description="What happened, what you expected, and the steps to see it. Markdown works.",
    )
    attachments = MultipleFileField("Attachments (optional)")


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Your reply", validators=[DataRequired("Write your reply."), Length(max=BODY_MAX)]
    )
    attachments = MultipleFileField("Attachments (optional)")


class CloseForm(FlaskForm):
    comment = TextAreaField(
        "Closing comment (optional)", validators=[Optional(), Length(max=BODY_MAX)]
    )


class ReopenForm(FlaskForm):
    """No fields: the CSRF token is what it carries."""
