"""Settings an administrator may change at run time, the mail settings (shown only), holidays."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from helpdesk.admin.forms import HolidayForm, PostOnlyForm, SettingsForm
from helpdesk.admin.responses import page_or_fragment
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.formatting import when
from helpdesk.models import Holiday, Role
from helpdesk.services import ServiceError
from helpdesk.services.core import settings
from helpdesk.services.mail.mail_sender import captures_mail
from helpdesk.web.guards import role_required
from helpdesk.web.htmx import is_htmx_request
from helpdesk.web.paging import page_of

# Shown, never edited here: they come from the environment (HELPDESK_MAIL_*, HELPDESK_IMAP_*).
MAIL_SHOWN = (
    ("MAIL_HOST", "SMTP host"),
    ("MAIL_PORT", "SMTP port"),
    ("MAIL_SECURITY", "SMTP security"),
    ("MAIL_USERNAME", "SMTP user"),
    ("MAIL_FROM", "From address"),
    ("IMAP_HOST", "IMAP host"),
    ("IMAP_PORT", "IMAP port"),
    ("IMAP_SECURITY", "IMAP security"),
    ("IMAP_USERNAME", "IMAP user"),
    ("IMAP_FOLDER", "IMAP folder"),
)
SECRETS_SHOWN = (("MAIL_PASSWORD", "SMTP password"), ("IMAP_PASSWORD", "IMAP password"))


def mail_settings() -> list[tuple[str, str]]:
    """(label, text) of each mail setting the app has; a password only as set or not set."""
    config = current_app.config
    delivery = "captured, not sent (read it under Sent mail)" if captures_mail(config) else "SMTP"
    shown = [("Outgoing mail", delivery)]
    shown += [(label, str(config.get(key) or "")) for key, label in MAIL_SHOWN if key in config]
    shown += [
        (label, "set" if config.get(key) else "not set")
        for key, label in SECRETS_SHOWN
        if key in config
    ]
    return shown


def _shown(spec: settings.SettingSpec, value: Any) -> str:
    """A value as the hint under its field names it, e.g. "30" or "Monday to Friday"."""
    if value in (None, ""):
        return "empty"
    if spec.kind == settings.WEEKDAYS:
        return ", ".join(settings.entered_form(spec, value))
    if spec.kind == settings.YES_NO:
        return "Yes" if value else "No"
    if spec.kind == settings.INT and isinstance(value, int):
        return str(value // spec.scale)
    return str(value)


def _settings_page(form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    defaults = settings.defaults()
    return render_template(
        "admin/settings.html",
        form=form,
        groups=[
            (group, [spec for spec in settings.REGISTRY if spec.group == group])
            for group in settings.GROUPS
        ],
        overridden=settings.overridden(),
        defaults={spec.key: _shown(spec, defaults[spec.key]) for spec in settings.REGISTRY},
        mail=mail_settings(),
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def settings_edit() -> ResponseReturnValue:
    """Show and save the adjustable settings (admin only)."""
    current = settings.values()
    form = SettingsForm(
        data={
            spec.key: settings.entered_form(spec, current[spec.key]) for spec in settings.REGISTRY
        }
    )
    if form.validate_on_submit():
        try:
            changes = settings.save(current_user, form.entered(), ip_address=request.remote_addr)
        except settings.SettingsError as error:
            for key, message in error.errors.items():
                form[key].errors.append(message)
        else:
            if changes:
                flash(f"Settings saved: {len(changes)} changed. They apply at once.", "success")
            else:
                flash("Nothing was changed.", "info")
            return redirect(url_for("admin.settings_edit"))
    return _settings_page(form, 422 if request.method == "POST" else 200)


# --- Holidays -------------------------------------------------------------------------------

HOLIDAYS_PAGE = "admin/holidays.html"
HOLIDAYS_FRAGMENT = "admin/_holidays.html"


def _holidays(
    form: HolidayForm | None = None,
    *,
    status: int = 200,
    notice: str | None = None,
    problem: str | None = None,
) -> ResponseReturnValue:
    return page_or_fragment(
        HOLIDAYS_PAGE,
        HOLIDAYS_FRAGMENT,
        status=status,
        form=form or HolidayForm(formdata=None),
        page=page_of(sa.select(Holiday).order_by(Holiday.day.desc())),
        notice=notice,
        problem=problem,
    )


@bp.route("/holidays")
@role_required(Role.ADMIN)
def holiday_list() -> ResponseReturnValue:
    """The holidays, latest first, and a form to add one."""
    return _holidays()


@bp.route("/holidays", methods=["POST"])
@role_required(Role.ADMIN)
def holiday_create() -> ResponseReturnValue:
    """Add a holiday: the business calendar skips the day."""
    form = HolidayForm()
    if form.validate_on_submit():
        try:
            holiday = settings.add_holiday(
                current_user, form.day.data, form.name.data, ip_address=request.remote_addr
            )
        except ServiceError as error:
            target = form.day if error.field == "day" else form.name
            target.errors.append(error.message)
        else:
            return _holiday_done(f"{when(holiday.day)} ({holiday.name}) added.")
    return _holidays(form, status=422)


@bp.route("/holidays/<int:holiday_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def holiday_delete(holiday_id: int) -> ResponseReturnValue:
    """Remove a holiday: the day counts as a normal calendar day again."""
    if not PostOnlyForm().validate_on_submit():
        abort(400)
    holiday = db.session.get(Holiday, holiday_id)
    if holiday is None:
        return _holiday_done("That holiday was already removed.")
    text = f"{when(holiday.day)} ({holiday.name}) removed."
    settings.remove_holiday(current_user, holiday, ip_address=request.remote_addr)
    return _holiday_done(text)


def _holiday_done(message: str) -> ResponseReturnValue:
    """The updated list for htmx; post/redirect/get otherwise."""
    if is_htmx_request():
        return _holidays(notice=message)
    flash(message, "success")
    return redirect(url_for("admin.holiday_list"))
