"""Webhook endpoints (REST API issue): where events are POSTed, which ones, and how delivery
went. The secret is shown once, in the answer that made it; it is never shown again."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from helpdesk.admin.forms import PostOnlyForm
from helpdesk.admin.responses import page_or_fragment
from helpdesk.admin.views import bp
from helpdesk.extensions import db
from helpdesk.models import Role, WebhookEndpoint
from helpdesk.rules.webhook_targets import URL_MAX
from helpdesk.rules.webhooks import DISABLE_AFTER_FAILURES, EVENTS, MAX_ATTEMPTS, RETRY_DELAYS
from helpdesk.services import ServiceError
from helpdesk.services.webhooks import endpoints
from helpdesk.web.forms import show_service_error
from helpdesk.web.guards import role_required
from helpdesk.web.paging import page_of


class WebhookForm(FlaskForm):
    url = StringField(
        "URL",
        validators=[DataRequired("Enter the URL the events are sent to."), Length(max=URL_MAX)],
        description="Where each event is POSTed as JSON, e.g. https://shop.example.com/hooks. "
        "Only public addresses are reached.",
    )
    description = StringField(
        "Description",
        validators=[Optional(), Length(max=endpoints.DESCRIPTION_MAX)],
        description="What receives them, e.g. “Order system”.",
    )
    events = SelectMultipleField(
        "Events to send",
        choices=[SelectChoice(name, f"{name}: {label}") for name, label in EVENTS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service names an unknown one
    )
    active = BooleanField(
        "On",
        description="Off: no deliveries are written for it; those waiting wait until it is on.",
    )


def _get(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


def _values(form: WebhookForm) -> dict:
    return {
        "url": form.url.data or "",
        "description": form.description.data or "",
        "events": list(form.events.data or []),
        "active": bool(form.active.data),
    }


@bp.route("/webhooks")
@role_required(Role.ADMIN)
def webhook_list() -> ResponseReturnValue:
    """Every endpoint: its URL, events, whether it is on, and its waiting deliveries."""
    shown = endpoints.endpoints()
    return render_template(
        "admin/webhooks.html",
        endpoints=shown,
        waiting=endpoints.waiting_counts(),
        last={endpoint.id: endpoints.last_delivery(endpoint) for endpoint in shown},
        event_count=len(EVENTS),
    )


@bp.route("/webhooks/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_create() -> ResponseReturnValue:
    """Register an endpoint; the answer shows its secret, once."""
    form = WebhookForm(data={"active": True})
    if form.validate_on_submit():
        try:
            endpoint, secret = endpoints.create(
                current_user, **_values(form), ip_address=request.remote_addr
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            return _secret_page(endpoint, secret, new=True)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/webhook_new.html", form=form), status


def _secret_page(endpoint: WebhookEndpoint, secret: str, *, new: bool) -> ResponseReturnValue:
    # Rendered into this answer only: never a flash (the session cookie), never a redirect.
    return render_template("admin/webhook_secret.html", endpoint=endpoint, secret=secret, new=new)


def _edit_page(
    endpoint: WebhookEndpoint, form: WebhookForm, status: int = 200
) -> ResponseReturnValue:
    return page_or_fragment(
        "admin/webhook_edit.html",
        "admin/_webhook_deliveries.html",
        status=status,
        endpoint=endpoint,
        form=form,
        deliveries=page_of(endpoints.recent_deliveries(endpoint)),
        action_form=PostOnlyForm(),
        retry_delays=RETRY_DELAYS,
        max_attempts=MAX_ATTEMPTS,
        disable_after=DISABLE_AFTER_FAILURES,
        timeout=f"{float(current_app.config['WEBHOOK_TIMEOUT']):g}",
    )


@bp.route("/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def webhook_edit(endpoint_id: int) -> ResponseReturnValue:
    """Change an endpoint's URL, events or whether it is on; its recent deliveries."""
    endpoint = _get(endpoint_id)
    form = WebhookForm(
        data={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.event_list,
            "active": endpoint.active,
        }
    )
    if form.validate_on_submit():
        try:
            changes = endpoints.update(
                current_user, endpoint, **_values(form), ip_address=request.remote_addr
            )
        except ServiceError as error:
            db.session.rollback()
            show_service_error(form, error)
        else:
            flash("Endpoint saved." if changes else "Nothing was changed.", "success")
            return redirect(url_for("admin.webhook_edit", endpoint_id=endpoint.id))
    return _edit_page(endpoint, form, 422 if request.method == "POST" else 200)


def _checked_post() -> None:
    if not PostOnlyForm().validate_on_submit():
        abort(400)


@bp.route("/webhooks/<int:endpoint_id>/secret", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_rotate(endpoint_id: int) -> ResponseReturnValue:
    """Make a new secret at once; the answer shows it, once."""
    endpoint = _get(endpoint_id)
    _checked_post()
    secret = endpoints.rotate_secret(current_user, endpoint, ip_address=request.remote_addr)
    return _secret_page(endpoint, secret, new=False)


@bp.route("/webhooks/<int:endpoint_id>/enable", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_enable(endpoint_id: int) -> ResponseReturnValue:
    """Turn an endpoint on again after the failure rule turned it off."""
    endpoint = _get(endpoint_id)
    _checked_post()
    if endpoints.enable(current_user, endpoint, ip_address=request.remote_addr):
        flash("The endpoint is on again: its waiting deliveries go out next.", "success")
    else:
        flash("The endpoint was on already.", "info")
    return redirect(url_for("admin.webhook_edit", endpoint_id=endpoint.id))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@role_required(Role.ADMIN)
def webhook_delete(endpoint_id: int) -> ResponseReturnValue:
    """Remove an endpoint and its deliveries."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    _checked_post()
    if endpoint is None:
        flash("That endpoint was already removed.", "info")
    else:
        url = endpoint.url
        endpoints.delete(current_user, endpoint, ip_address=request.remote_addr)
        flash(f"{url} removed; it gets no more events.", "success")
    return redirect(url_for("admin.webhook_list"))
