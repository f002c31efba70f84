"""The one-button forms that confirm an answer (a POST, so link scanners never vote)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice


class ConfirmForm(FlaskForm):
    """Only the CSRF token: the answer is in the signed link."""


class ArticleAnswerForm(FlaskForm):
    solved = RadioField(
        "Did this article solve it?", choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
    )
