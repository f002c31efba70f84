"""Refused money and permission actions through the API leave an audit row, as on the pages
(issue 16 item 6, helpdesk.web.refusals): a token's 403 on a refund, or on a customer login's
change (the system manager's work), records who, on what, from where and why."""

from __future__ import annotations

from flask import Response, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from helpdesk.api.blueprint import bp
from helpdesk.extensions import db
from helpdesk.services.core import audit

# Endpoint -> the URL argument naming what was to be changed, and its object type.
AUDITED = {
    "api.create_refund": ("payment_id", "Payment"),
    "api.update_customer": ("user_id", "User"),
}
REASON_MAX = 200


def account(role: str) -> str:
    """The start of a refusal: "An agent account", "A billing account"."""
    return f"{'An' if role[:1] in 'aeiou' else 'A'} {role} account"


@bp.after_request
def audit_refused_actions(response: Response) -> Response:
    """A token refused one of the AUDITED actions (403): keep the attempt on record."""
    holder = g.get("api")
    if response.status_code != 403 or request.endpoint not in AUDITED or holder is None:
        return response
    argument, object_type = AUDITED[request.endpoint]
    object_id = (request.view_args or {}).get(argument)
    try:
        db.session.rollback()  # the refused request keeps nothing
        detail = (response.get_json(silent=True) or {}).get("detail") or "not allowed"
        audit.record_refusal(
            request.endpoint,
            actor=holder.user,
            reason=str(detail)[:REASON_MAX],
            object_type=object_type,
            object_id=object_id if isinstance(object_id, int) else None,
            ip_address=request.remote_addr,
            request=f"{request.method} {request.path}",
            token_id=holder.token.id,
        )
    except SQLAlchemyError:
        # The 403 stands; a failing audit write must not turn it into a 500.
        db.session.rollback()
        current_app.logger.exception("could not audit a refused %s", request.endpoint)
    return response
