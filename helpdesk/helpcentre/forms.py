"""Help centre forms: an article's title, Markdown body, tags and visibility."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.services.helpcentre.kb import BODY_MAX, TITLE_MAX


class ArticleForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=TITLE_MAX)])
    body = TextAreaField(
        "Text (Markdown)",
        validators=[DataRequired("Write the article."), Length(max=BODY_MAX)],
        description="Headings, lists, links and code blocks; HTML is shown as typed.",
    )
    tags = StringField(
        "Tags",
        validators=[Optional(), Length(max=300)],
        description="Comma-separated, e.g. licence keys, installation.",
    )
    visibility = RadioField(
        "Who can read it",
        choices=[
            SelectChoice("public", "Public: anyone, without logging in"),
            SelectChoice("internal", "Internal: agents and admins only"),
        ],
        default="public",
        validators=[DataRequired("Choose who can read it.")],
    )
