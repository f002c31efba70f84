"""Showing a service's refusal on the form that caused it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField as _IntegerField

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
LARGEST_INTEGER = 2**31 - 1


class IntegerField(_IntegerField):
    """WTForms' IntegerField, refusing numbers no column or range check can take."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > LARGEST_INTEGER:
            self.data = None
            raise ValueError("That number is too large.")
