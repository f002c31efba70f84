"""Showing a service's refusal on the form that caused it."""

from __future__ import annotations

from flask_wtf import FlaskForm

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
