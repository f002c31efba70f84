"""The notifications page: what happened on my cases, each linking to its case; which events
I also get by e-mail (issue 19 item 1). The bell in the top bar counts the unread ones."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from helpdesk.models import Role
from helpdesk.services.tracker import notifications
from helpdesk.web.guards import gate_blueprint

bp = Blueprint("notifications", __name__)
gate_blueprint(bp, Role.AGENT, Role.BILLING, Role.ADMIN)


class MailForm(FlaskForm):
    events = SelectMultipleField(
        "Also send me an e-mail when",
        choices=[
            SelectChoice(event.value, label) for event, label in notifications.EVENT_LABELS.items()
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # unknown values are dropped by the service
    )


class PlainForm(FlaskForm):
    """Only the CSRF token."""


@bp.app_template_global()
def notification_count() -> int:
    """Unread notifications of the person looking (staff only; once per request)."""
    if not current_user.is_authenticated or not current_user.is_staff:
        return 0
    return notifications.unread_count(current_user)


def _page(form: MailForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    chosen = [e.value for e in notifications.EVENT_LABELS if notifications.mails(user, e)]
    return render_template(
        "notifications/list.html",
        items=notifications.latest(user),
        form=form or MailForm(formdata=None, data={"events": chosen}),
        read_form=PlainForm(),
    ), status


@bp.route("/")
def notification_list():
    """The latest notifications, unread ones marked, newest first."""
    return _page()


@bp.route("/<int:notification_id>/open")
def notification_open(notification_id: int):
    """Read one notification and go to its case."""
    item = notifications.owned(current_user, notification_id)
    if item is None:
        abort(404)
    notifications.mark_read(current_user, item)
    if item.case is None:
        return redirect(url_for("notifications.notification_list"))
    return redirect(url_for("tracker.case_view", number=item.case.number))


@bp.route("/read", methods=["POST"])
def notification_read_all():
    """Mark every notification read."""
    if not PlainForm().validate_on_submit():
        abort(400)
    done = notifications.mark_all_read(current_user)
    flash(f"{done} notification{'' if done == 1 else 's'} marked read.", "info")
    return redirect(url_for("notifications.notification_list"))


@bp.route("/mail", methods=["POST"])
def notification_mail():
    """Choose which notifications are also mailed."""
    form = MailForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    chosen = notifications.set_mail_events(current_user, request.form.getlist("events"))
    flash(
        f"E-mail for {len(chosen)} of {len(notifications.EVENT_LABELS)} kinds of notification."
        if chosen
        else "No notifications are mailed to you now; they still show under the bell.",
        "success",
    )
    return redirect(url_for("notifications.notification_list"))
