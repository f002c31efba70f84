"""Refused money and permission actions leave an audit row (issue 16 item 6).

Every 403 answered to a signed-in user on an action (POST) of the billing, system manager or
administration areas, or on a case's refund or reship, is audited as "refused.<endpoint>":
who, what they tried to change, from where, and why. Page views (GET) are not actions and
anonymous visitors are sent to the login page, so neither is audited.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from helpdesk.extensions import db
from helpdesk.services.core import audit
from helpdesk.web.guards import refusal_reason

MONEY_AND_PERMISSION_BLUEPRINTS = frozenset({"billing", "system", "admin"})
MONEY_ENDPOINTS_ELSEWHERE = frozenset({"tracker.case_refund", "tracker.case_reship"})
ACTION_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The URL argument naming what was to be changed, and the object type the audit log shows.
TARGET_TYPES = {
    "payment_id": "Payment",
    "shipment_id": "Shipment",
    "recurring_id": "RecurringPayment",
    "subscription_id": "Subscription",
    "order_id": "Order",
    "promotion_id": "Promotion",
    "user_id": "User",
    "mail_id": "InboundMail",
    "canned_id": "CannedResponse",
    "holiday_id": "Holiday",
    "rule_id": "RoutingRule",
    "organisation_id": "Organisation",
    "token_id": "ApiToken",
}
# Form fields whose values say what the change would have been; never secrets or card numbers.
TELLING_FIELDS = ("role", "tier", "active", "billing_permission", "amount", "destination")
VALUE_MAX = 120


def is_money_or_permission_action() -> bool:
    """Whether this request is an action the audit of refusals covers."""
    if request.method not in ACTION_METHODS:
        return False
    return (
        request.blueprint in MONEY_AND_PERMISSION_BLUEPRINTS
        or request.endpoint in MONEY_ENDPOINTS_ELSEWHERE
    )


def _target() -> tuple[str | None, int | None]:
    """The object type and id the request was about, from its URL arguments."""
    args = request.view_args or {}
    for name, object_type in TARGET_TYPES.items():
        if isinstance(args.get(name), int):
            return object_type, args[name]
    return None, None


def _attempt() -> dict:
    """What the request tried, as audit details: where, on what, with which telling values."""
    form = request.form
    attempt = {
        "request": f"{request.method} {request.path}",
        "arguments": dict(request.view_args or {}),
        "fields": sorted({name for name in form if name != "csrf_token"}),
    }
    tried = {name: form[name][:VALUE_MAX] for name in TELLING_FIELDS if name in form}
    if tried:
        attempt["values"] = tried
    return attempt


def audit_refusal() -> None:
    """Record the refused action of the signed-in user, in its own transaction."""
    # The refused request keeps nothing; on SQLite its open write would also block ours.
    db.session.rollback()
    object_type, object_id = _target()
    audit.record_refusal(
        request.endpoint or "unknown",
        actor=current_user._get_current_object(),
        reason=refusal_reason() or "not allowed",
        object_type=object_type,
        object_id=object_id,
        ip_address=request.remote_addr,
        **_attempt(),
    )


def register(app: Flask) -> None:
    """Audit every refused money or permission action."""

    @app.after_request
    def audit_refused_actions(response: Response) -> Response:
        if (
            response.status_code == 403
            and is_money_or_permission_action()
            and current_user.is_authenticated
        ):
            try:
                audit_refusal()
            except SQLAlchemyError:
                # The 403 stands; a failing audit write must not turn it into a 500.
                current_app.logger.exception("could not audit a refused %s", request.endpoint)
        return response
