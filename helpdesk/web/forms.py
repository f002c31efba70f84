"""Showing a service's refusal on the form that caused it, and number and date fields that
only take what a database column can hold (helpdesk.rules.numbers)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField as _DateField
from wtforms import IntegerField as _IntegerField

from helpdesk.rules.numbers import (
    ASCII_DATE,
    EARLIEST_DATE,
    LARGEST_ID,
    LATEST_DATE,
    date_in_range,
    is_ascii_integer,
)
from helpdesk.services import ServiceError


def show_service_error(form: FlaskForm, error: ServiceError) -> bool:
    """Put the message under the field it names, else at the top of the form.

    Returns True when a field took it, so callers can react to form-level refusals.
    """
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
        return True
    form.form_errors.append(error.message)
    return False


# Beyond any count, id or score a form asks for; float() of a larger int overflows inside
# WTForms' NumberRange, and databases refuse it: such a number is a form error, never a 500.
LARGEST_INTEGER = LARGEST_ID


def _typed(valuelist) -> str:
    return str(valuelist[0]).strip() if valuelist else ""


class IntegerField(_IntegerField):
    """WTForms' IntegerField, refusing numbers no column or range check can take."""

    def process_formdata(self, valuelist):
        typed = _typed(valuelist)
        # int() reads "٣" as 3 and "1_000" as 1000: only ASCII digits are a number here.
        if typed and not is_ascii_integer(typed):
            self.data = None
            raise ValueError(
                self.invalid_value_message or self.gettext("Not a valid integer value.")
            )
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > LARGEST_INTEGER:
            self.data = None
            raise ValueError("That number is too large.")


DATE_OUT_OF_RANGE = f"Enter a date between {EARLIEST_DATE} and {LATEST_DATE}."


class DateField(_DateField):
    """WTForms' DateField for days people mean: a day after 9999-12-31 overflows the code
    that counts to the end of the day, so far dates are a form error."""

    def process_formdata(self, valuelist):
        typed = _typed(valuelist)
        if typed and not ASCII_DATE.fullmatch(typed):
            self.data = None
            raise ValueError(self.gettext("Not a valid date value."))
        super().process_formdata(valuelist)
        if self.data is not None and not date_in_range(self.data):
            self.data = None
            raise ValueError(DATE_OUT_OF_RANGE)
